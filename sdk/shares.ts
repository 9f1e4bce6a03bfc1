/**
 * Key shares in crypto/shares.ts's encoding (67 bytes), combined with shamir-secret-sharing
 * (GF(2^8); its browser build draws randomness from crypto.getRandomValues, and combining
 * needs none):
 *
 *   share = version (1) || threshold (1) || index (1) || key commitment (32) || y (32)
 */
import { combine } from "shamir-secret-sharing";
import { constantTimeEqual } from "./bytes.js";
import { KEY_LENGTH, keyCommitment } from "./derive.js";
import { SdkError } from "./errors.js";

const SHARE_VERSION = 1;
export const SHARE_LENGTH = 3 + 32 + KEY_LENGTH;
/** Bound on the subsets tried when more than k shares are given and some are corrupt. */
const MAX_COMBINATIONS = 2048;

export interface KeyShare {
  threshold: number;
  /** x-coordinate, 1..255. */
  index: number;
  commitment: Uint8Array;
  y: Uint8Array;
}

export function decodeShare(bytes: Uint8Array): KeyShare {
  if (!(bytes instanceof Uint8Array) || bytes.length !== SHARE_LENGTH) {
    throw new SdkError("SHARE_MALFORMED", `a key share is ${SHARE_LENGTH} bytes`);
  }
  if (bytes[0] !== SHARE_VERSION) throw new SdkError("SHARE_MALFORMED", `unsupported share version ${bytes[0]}`);
  const threshold = bytes[1]!;
  const index = bytes[2]!;
  if (threshold < 2 || index < 1) throw new SdkError("SHARE_MALFORMED", "share threshold or index out of range");
  return { threshold, index, commitment: bytes.slice(3, 35), y: bytes.slice(35) };
}

/**
 * Recovers the 32-byte key from encoded shares. Duplicates are ignored; with more than
 * `threshold` shares, a corrupt one is routed around by trying other subsets (bounded). The
 * result always matches the shares' key commitment.
 */
export async function combineShares(encoded: readonly Uint8Array[]): Promise<Uint8Array> {
  if (!Array.isArray(encoded) || encoded.length === 0) {
    throw new SdkError("NOT_ENOUGH_SHARES", "need at least 2 distinct shares of the key, have 0", { threshold: 2, released: 0 });
  }
  const decoded = encoded.map(decodeShare);
  const first = decoded[0]!;
  const byIndex = new Map<number, KeyShare>();
  for (const share of decoded) {
    if (share.threshold !== first.threshold || !constantTimeEqual(share.commitment, first.commitment)) {
      throw new SdkError("SHARES_MISMATCHED", "the shares belong to different keys or splits");
    }
    const seen = byIndex.get(share.index);
    if (seen === undefined) byIndex.set(share.index, share);
    else if (!constantTimeEqual(seen.y, share.y)) throw new SdkError("SHARES_MISMATCHED", "two different shares have the same index");
  }
  const distinct = [...byIndex.values()];
  if (distinct.length < first.threshold) {
    throw new SdkError("NOT_ENOUGH_SHARES", `need ${first.threshold} distinct shares of the key, have ${distinct.length}`, {
      threshold: first.threshold,
      released: distinct.length,
    });
  }
  let tried = 0;
  for (const subset of subsets(distinct, first.threshold)) {
    if (++tried > MAX_COMBINATIONS) break;
    const key = await combine(subset.map(toLibraryShare));
    if (constantTimeEqual(keyCommitment(key), first.commitment)) return key;
    key.fill(0);
  }
  throw new SdkError("SHARES_INVALID", "no combination of the shares yields the committed key: a share is corrupt");
}

/** The library's layout: y bytes then the x-coordinate. */
function toLibraryShare(share: KeyShare): Uint8Array {
  const out = new Uint8Array(KEY_LENGTH + 1);
  out.set(share.y, 0);
  out[KEY_LENGTH] = share.index;
  return out;
}

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
