/** Small byte helpers shared by crypto/ modules. */
import { timingSafeEqual } from "node:crypto";
import { InvalidArgumentError } from "./errors.js";

/** Constant-time equality of two byte strings (false, not an exception, on length mismatch). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Throws InvalidArgumentError unless `value` is a Uint8Array of exactly `length` bytes. */
export function expectBytes(value: unknown, length: number, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(`${name} must be a Uint8Array`);
  if (value.length !== length) {
    throw new InvalidArgumentError(`${name} must be ${length} bytes, got ${value.length}`);
  }
  return value;
}

/** A Buffer view over the same memory (no copy), for node:crypto calls. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
