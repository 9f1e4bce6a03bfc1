/**
 * The Node implementation of crypto/platform/types.ts: node:crypto (OpenSSL, hardware AES) and
 * tiny-secp256k1 (libsecp256k1 as WebAssembly, constant-time and ~12x faster here than a pure-JS
 * curve, which matters for custodians wrapping shares under load). The AES-GCM work is done
 * synchronously; the sync functions are exported too for Node-only hot paths (the publish
 * pipeline's sealing worker threads).
 */
import { createCipheriv, createDecipheriv, createHash, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from "node:crypto";
import * as ecc from "tiny-secp256k1";
import { GCM_TAG_LENGTH, type AesGcmKey, type CryptoPlatform } from "./types.js";

/** AES-256-GCM over plaintext pieces: ciphertext pieces then the tag, not joined (a copy per segment costs a fifth of the throughput). */
export function aesGcmSealSync(key: KeyObject | Uint8Array, iv: Uint8Array, aad: Uint8Array, pieces: readonly Uint8Array[]): Buffer[] {
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(aad);
  const out: Buffer[] = [];
  for (const piece of pieces) out.push(cipher.update(piece));
  const last = cipher.final();
  if (last.length > 0) out.push(last);
  out.push(cipher.getAuthTag());
  return out;
}

/** Opens ciphertext ‖ tag given in pieces: the plaintext pieces after the tag verified, else null. */
export function aesGcmOpenSync(key: KeyObject | Uint8Array, iv: Uint8Array, aad: Uint8Array, pieces: readonly Uint8Array[], frameLength: number): Buffer[] | null {
  if (frameLength < GCM_TAG_LENGTH) return null;
  const decipher = createDecipheriv("aes-256-gcm", key, iv);
  decipher.setAAD(aad);
  const tag = Buffer.alloc(GCM_TAG_LENGTH);
  const out: Buffer[] = [];
  let remaining = frameLength - GCM_TAG_LENGTH; // ciphertext bytes still to feed
  let tagOffset = 0;
  for (const piece of pieces) {
    const ct = Math.min(remaining, piece.length);
    if (ct > 0) out.push(decipher.update(piece.subarray(0, ct)));
    remaining -= ct;
    if (ct < piece.length) {
      tag.set(piece.subarray(ct), tagOffset);
      tagOffset += piece.length - ct;
    }
  }
  decipher.setAuthTag(tag);
  try {
    const last = decipher.final();
    if (last.length > 0) out.push(last);
  } catch {
    return null;
  }
  return out;
}

const keyObjectOf = (key: AesGcmKey): KeyObject => key as unknown as KeyObject;

/** The raw bytes of a key made here, for handing to a worker thread (Node only). */
export function exportAesGcmKey(key: AesGcmKey): Uint8Array {
  return new Uint8Array(keyObjectOf(key).export());
}

const isCompressedPoint = (point: Uint8Array) =>
  point instanceof Uint8Array && point.length === 33 && (point[0] === 2 || point[0] === 3) && ecc.isPoint(point);

export const platform: CryptoPlatform = {
  name: "node",
  randomBytes: (length) => new Uint8Array(randomBytes(length)),
  constantTimeEqual: (a, b) => a.length === b.length && timingSafeEqual(a, b),
  sha256: (data) => new Uint8Array(createHash("sha256").update(data).digest()),
  importAesGcmKey: async (raw) => createSecretKey(raw) as unknown as AesGcmKey,
  aesGcmSeal: async (key, iv, aad, pieces) => aesGcmSealSync(keyObjectOf(key), iv, aad, pieces),
  aesGcmOpen: async (key, iv, aad, pieces, frameLength) => aesGcmOpenSync(keyObjectOf(key), iv, aad, pieces, frameLength),
  secp256k1: {
    isPrivateKey: (key) => key instanceof Uint8Array && key.length === 32 && ecc.isPrivate(key),
    isCompressedPoint,
    publicKey: (privateKey) => ecc.pointFromScalar(privateKey, true)!,
    sharedPoint: (privateKey, publicKey) => ecc.pointMultiply(publicKey, privateKey, true),
    sign: (digest, privateKey) => ecc.sign(digest, privateKey),
    verify: (signature, digest, publicKey) => {
      try {
        return ecc.verify(digest, publicKey, signature, true);
      } catch {
        return false;
      }
    },
  },
};
