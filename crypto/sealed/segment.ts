/**
 * One segment of the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizar 2015):
 * AES-256-GCM (the platform's: node:crypto or WebCrypto) with nonce = prefix(7) || counter(u32
 * BE) || final(1). The counter pins each segment to its position and the final flag marks the
 * last one, so reordering, dropping, duplicating, truncating or extending the stream fails
 * authentication.
 */
import { platform } from "#crypto-platform";
import type { AesGcmKey } from "../platform/types.js";
import { MAX_SEGMENTS, NONCE_PREFIX_LENGTH } from "./format.js";
import { InvalidArgumentError } from "../errors.js";

export function segmentNonce(prefix: Uint8Array, index: number, final: boolean): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_SEGMENTS) {
    throw new InvalidArgumentError("segment counter exhausted (2^32 segments)");
  }
  const nonce = new Uint8Array(12);
  nonce.set(prefix.subarray(0, NONCE_PREFIX_LENGTH), 0);
  new DataView(nonce.buffer).setUint32(NONCE_PREFIX_LENGTH, index);
  nonce[11] = final ? 1 : 0;
  return nonce;
}

/**
 * AES-256-GCM over plaintext given in pieces. Returns the ciphertext pieces followed by the
 * 16-byte tag, without joining them where the platform allows (a copy per segment would cost a
 * fifth of the throughput on Node).
 */
export function gcmSeal(key: AesGcmKey, iv: Uint8Array, aad: Uint8Array, pieces: readonly Uint8Array[]): Promise<Uint8Array[]> {
  return platform.aesGcmSeal(key, iv, aad, pieces);
}

/**
 * Opens ciphertext || tag given in pieces. Returns the plaintext pieces only after the tag
 * verified, or null when authentication fails: no unauthenticated byte ever leaves here.
 */
export function gcmOpen(key: AesGcmKey, iv: Uint8Array, aad: Uint8Array, pieces: readonly Uint8Array[], frameLength: number): Promise<Uint8Array[] | null> {
  return platform.aesGcmOpen(key, iv, aad, pieces, frameLength);
}
