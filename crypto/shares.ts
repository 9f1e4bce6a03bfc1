/**
 * k-of-n shares of a 32-byte content key (shamir-secret-sharing, GF(2^8), audited; its browser
 * build draws randomness from crypto.getRandomValues, and combining needs none). One
 * implementation for the node and the SDK.
 * Each encoded share carries its index, the threshold and the key commitment, so combining
 * too few, mixed or corrupt shares fails with a typed error instead of yielding a wrong key.
 *
 *   share = version(1) || threshold(1) || index(1) || key commitment(32) || y(32)   (67 bytes)
 */
import { combine, split } from "shamir-secret-sharing";
import { constantTimeEqual, expectBytes } from "./bytes.js";
import { KEY_LENGTH, keyCommitment } from "./derive.js";
import {
  InvalidArgumentError,
  InvalidSharesError,
  MalformedShareError,
  MismatchedSharesError,
  NotEnoughSharesError,
} from "./errors.js";

const SHARE_VERSION = 1;
export const SHARE_LENGTH = 3 + 32 + KEY_LENGTH;
/** Bound on the subsets tried when more than k shares are given and some are corrupt. */
const MAX_COMBINATIONS = 2048;

export interface KeyShare {
  threshold: number;
  /** The share's x-coordinate, 1..255. */
  index: number;
  commitment: Uint8Array;
  y: Uint8Array;
}

export function encodeShare(share: KeyShare): Uint8Array {
  const out = new Uint8Array(SHARE_LENGTH);
  out[0] = SHARE_VERSION;
  out[1] = share.threshold;
  out[2] = share.index;
  out.set(share.commitment, 3);
  out.set(share.y, 35);
  return out;
}

export function decodeShare(bytes: Uint8Array): KeyShare {
  if (!(bytes instanceof Uint8Array) || bytes.length !== SHARE_LENGTH) {
    throw new MalformedShareError(`a key share is ${SHARE_LENGTH} bytes`);
  }
  if (bytes[0] !== SHARE_VERSION) throw new MalformedShareError(`unsupported share version ${bytes[0]}`);
  const threshold = bytes[1]!;
  const index = bytes[2]!;
  if (threshold < 2 || index < 1) throw new MalformedShareError("share threshold or index out of range");
  return { threshold, index, commitment: bytes.slice(3, 35), y: bytes.slice(35) };
}

/** Splits `key` into `shares` encoded shares, any `threshold` of which recover it. */
export async function splitKey(key: Uint8Array, threshold: number, shares: number): Promise<Uint8Array[]> {
  expectBytes(key, KEY_LENGTH, "key");
  if (!Number.isInteger(threshold) || !Number.isInteger(shares) || threshold < 2 || shares < threshold || shares > 255) {
    throw new InvalidArgumentError("need integers 2 <= threshold <= shares <= 255");
  }
  const commitment = keyCommitment(key);
  const raw = await split(key, shares, threshold);
  // The library appends each share's x-coordinate after its y bytes.
  return raw.map((s) => encodeShare({ threshold, index: s[KEY_LENGTH]!, commitment, y: s.subarray(0, KEY_LENGTH) }));
}

/**
 * Recovers the key from encoded shares. Duplicates are ignored; with more than `threshold`
 * shares, a corrupt one is routed around by trying other subsets (bounded).
 */
export async function combineShares(encoded: readonly Uint8Array[]): Promise<Uint8Array> {
  if (!Array.isArray(encoded) || encoded.length === 0) throw new NotEnoughSharesError(0, 2);
  const decoded = encoded.map(decodeShare);
  const first = decoded[0]!;
  const byIndex = new Map<number, KeyShare>();
  for (const share of decoded) {
    if (share.threshold !== first.threshold || !constantTimeEqual(share.commitment, first.commitment)) {
      throw new MismatchedSharesError();
    }
    const seen = byIndex.get(share.index);
    if (seen === undefined) byIndex.set(share.index, share);
    else if (!constantTimeEqual(seen.y, share.y)) throw new MismatchedSharesError();
  }
  const distinct = [...byIndex.values()];
  if (distinct.length < first.threshold) throw new NotEnoughSharesError(distinct.length, first.threshold);
  let tried = 0;
  for (const subset of subsets(distinct, first.threshold)) {
    if (++tried > MAX_COMBINATIONS) break;
    const key = await combine(subset.map(toLibraryShare));
    if (constantTimeEqual(keyCommitment(key), first.commitment)) return key;
    key.fill(0);
  }
  throw new InvalidSharesError();
}

function toLibraryShare(share: KeyShare): Uint8Array {
  const out = new Uint8Array(KEY_LENGTH + 1);
  out.set(share.y, 0);
  out[KEY_LENGTH] = share.index;
  return out;
}

/** The k-element subsets of `items`, in lexicographic order of positions. */
function* subsets<T>(items: readonly T[], k: number): Generator<T[]> {
  const positions = Array.from({ length: k }, (_, i) => i);
  while (true) {
    yield positions.map((p) => items[p]!);
    let i = k - 1;
    while (i >= 0 && positions[i] === items.length - k + i) i--;
    if (i < 0) return;
    positions[i]!++;
    for (let j = i + 1; j < k; j++) positions[j] = positions[j - 1]! + 1;
  }
}
