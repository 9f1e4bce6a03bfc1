/** Checks of arguments before anything is sent, so a bad one fails with ChainArgumentError naming it. */
import { isAddress, isHex, size, toHex, type Address, type Hex } from "viem";
import { ChainArgumentError } from "./errors.js";

export function uint(value: bigint, name: string): bigint {
  if (typeof value !== "bigint" || value < 0n) throw new ChainArgumentError(`${name} must be a non-negative bigint`);
  return value;
}

export function address(value: Address, name: string): Address {
  if (typeof value !== "string" || !isAddress(value, { strict: false })) throw new ChainArgumentError(`${name} is not an address`);
  return value;
}

export function bytes(value: Uint8Array | Hex, name: string): Hex {
  if (value instanceof Uint8Array) return toHex(value);
  if (typeof value === "string" && isHex(value, { strict: true }) && value.length % 2 === 0) return value;
  throw new ChainArgumentError(`${name} must be a Uint8Array or 0x-prefixed hex bytes`);
}

/** A 33-byte compressed secp256k1 public key, as the contracts require. */
export function compressedKey(value: Uint8Array | Hex, name: string): Hex {
  const key = bytes(value, name);
  if (size(key) !== 33 || !/^0x0[23]/i.test(key)) throw new ChainArgumentError(`${name} must be a 33-byte compressed secp256k1 public key`);
  return key;
}

export function bytes32(value: Hex, name: string): Hex {
  if (typeof value !== "string" || !isHex(value, { strict: true }) || size(value) !== 32) throw new ChainArgumentError(`${name} must be 32 bytes of hex`);
  return value;
}

export function uint16(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new ChainArgumentError(`${name} must be an integer in 0..65535`);
  return value;
}
