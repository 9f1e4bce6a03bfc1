/**
 * Amounts of ether on the command line: wei as a plain integer ("100000000000000000") or ether
 * with a unit ("0.1eth", "0.1 ether", "5gwei"). Anything else is a usage error (exit 2) naming
 * the option, before anything is read or sent.
 */
import { parseUnits } from "viem";
import { UsageError } from "./usage-error.js";

const UNITS: Record<string, number> = { wei: 0, gwei: 9, eth: 18, ether: 18 };

export interface AmountLimits {
  /** Smallest accepted amount in wei (default 0). */
  min?: bigint;
  /** Largest accepted amount in wei, e.g. 2n ** 128n - 1n for a uint128 field. */
  max?: bigint;
}

/** Parses `text` as an amount in wei; `name` (e.g. "--stake") is named in the error. */
export function parseAmount(text: string, name: string, limits: AmountLimits = {}): bigint {
  const shown = JSON.stringify(String(text).slice(0, 80));
  const bad = () => new UsageError(`${name} is wei (e.g. 100000000000000000) or ether (e.g. 0.1eth), got ${shown}`);
  const match = /^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([a-z]*)\s*$/i.exec(String(text));
  if (match === null) throw bad();
  const [, number, unitText] = match as unknown as [string, string, string];
  const unit = unitText === "" ? 0 : UNITS[unitText.toLowerCase()];
  if (unit === undefined) throw bad();
  const decimals = number.includes(".") ? number.split(".")[1]!.length : 0;
  if (decimals > unit) {
    throw new UsageError(`${name}: ${shown} is not a whole number of wei${unit === 0 ? " (add a unit, e.g. 0.1eth)" : ""}`);
  }
  if (number.length > 90) throw bad();
  const wei = parseUnits(number.endsWith(".") ? number.slice(0, -1) : number, unit);
  if (limits.min !== undefined && wei < limits.min) throw new UsageError(`${name} must be at least ${limits.min} wei, got ${shown}`);
  if (limits.max !== undefined && wei > limits.max) throw new UsageError(`${name} must be at most ${limits.max} wei, got ${shown}`);
  return wei;
}

/** A non-negative integer option (e.g. --max-uses) up to `max`. */
export function parseCount(text: string, name: string, max: number): number {
  if (!/^[0-9]{1,16}$/.test(String(text)) || Number(text) > max) {
    throw new UsageError(`${name} must be an integer in 0..${max}, got ${JSON.stringify(String(text).slice(0, 80))}`);
  }
  return Number(text);
}
