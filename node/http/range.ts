/** HTTP Range (RFC 9110 §14) for one byte range; multiple ranges are not served. */
import { ApiError } from "./errors.js";

export interface ByteRange {
  /** Inclusive start. */
  start: number;
  /** Exclusive end. */
  end: number;
}

/**
 * The range a `Range` header asks of a resource of `size` bytes, or undefined for the whole.
 * Throws 416 RANGE_NOT_SATISFIABLE for a malformed, multiple or unsatisfiable range.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const unsatisfiable = (why: string) => new ApiError(416, "RANGE_NOT_SATISFIABLE", `${why} (resource has ${size} bytes)`);
  const match = /^bytes=(\d{0,16})-(\d{0,16})$/.exec(header.trim());
  if (match === null) throw unsatisfiable(`unsupported Range ${JSON.stringify(header.slice(0, 100))}: one "bytes=start-end" range only`);
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") throw unsatisfiable("empty range");
  if (first === "") {
    // Suffix range: the last N bytes.
    const suffix = Number(last);
    if (suffix === 0 || size === 0) throw unsatisfiable("empty suffix range");
    return { start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(first);
  const end = last === "" ? size : Math.min(size, Number(last) + 1);
  if (last !== "" && Number(last) < start) throw unsatisfiable("range end precedes its start");
  if (start >= size) throw unsatisfiable(`range starts at ${start}`);
  return { start, end };
}
