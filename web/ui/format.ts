/** Formatting of chain and storage quantities for display (pure functions: unit-testable in Node). */
import { formatEther } from "viem";

/** 1500000000000000000n -> "1.5 ETH"; small amounts keep their precision. */
export function formatWei(wei: bigint, unit = "ETH"): string {
  return `${formatEther(wei)} ${unit}`;
}

/** 0x1234…abcd (the full address stays available as the element's title). */
export function shortAddress(address: string): string {
  return /^0x[0-9a-fA-F]{40}$/.test(address) ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** 1536 -> "1.5 KiB". */
export function formatBytes(bytes: number | bigint): string {
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${UNITS[unit]}`;
}

/** Seconds -> "30 d", "2 h 5 min", "45 s"; 0 means no limit in the contracts' terms. */
export function formatDuration(seconds: number | bigint): string {
  let rest = Number(seconds);
  if (rest === 0) return "unlimited";
  const parts: string[] = [];
  for (const [size, name] of [[86_400, "d"], [3_600, "h"], [60, "min"], [1, "s"]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)} ${name}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(" ");
}

/** Unix seconds -> "2026-12-01 17:30:05 UTC" (the chain's clock, shown in one zone for everyone). */
export function formatTime(seconds: number | bigint): string {
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}
