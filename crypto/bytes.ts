/** Small byte helpers shared by crypto/ modules (and the SDK). */
import { platform } from "#crypto-platform";
import { InvalidArgumentError } from "./errors.js";

/** Constant-time equality of two byte strings (false, not an exception, on length mismatch). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return platform.constantTimeEqual(a, b);
}

/** Throws InvalidArgumentError unless `value` is a Uint8Array of exactly `length` bytes. */
export function expectBytes(value: unknown, length: number, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(`${name} must be a Uint8Array`);
  if (value.length !== length) {
    throw new InvalidArgumentError(`${name} must be ${length} bytes, got ${value.length}`);
  }
  return value;
}

export function concatBytes(pieces: readonly Uint8Array[]): Uint8Array {
  const total = pieces.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
