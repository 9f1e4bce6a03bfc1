/**
 * The browser implementation of crypto/platform/types.ts: WebCrypto AES-GCM and getRandomValues
 * (browsers on https:// or localhost, Deno, Bun, Node >= 19), @noble/curves secp256k1 and
 * @noble/hashes. Nothing here imports a Node built-in: the SDK's bundle is built on it.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { NoWebCryptoError } from "../errors.js";
import { GCM_TAG_LENGTH, type AesGcmKey, type CryptoPlatform } from "./types.js";

/** WebCrypto's types, taken from the global (the project compiles without the DOM lib). */
type Subtle = typeof globalThis.crypto.subtle;
type CryptoKey = Awaited<ReturnType<Subtle["importKey"]>>;

function webCrypto(): typeof globalThis.crypto {
  const crypto = (globalThis as { crypto?: typeof globalThis.crypto }).crypto;
  if (crypto?.subtle === undefined || typeof crypto.getRandomValues !== "function") throw new NoWebCryptoError();
  return crypto;
}

/** One contiguous copy backed by a plain ArrayBuffer (what WebCrypto's BufferSource wants). */
function joined(pieces: readonly Uint8Array[], length = pieces.reduce((n, p) => n + p.length, 0)): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const piece of pieces) {
    const take = Math.min(piece.length, length - offset);
    out.set(piece.subarray(0, take), offset);
    offset += take;
  }
  return out;
}
const copy = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes);
const cryptoKeyOf = (key: AesGcmKey): CryptoKey => key as unknown as CryptoKey;
/** getRandomValues fills at most 65536 bytes per call. */
const RANDOM_CHUNK = 65536;

export const platform: CryptoPlatform = {
  name: "browser",
  randomBytes(length) {
    const crypto = webCrypto();
    const out = new Uint8Array(length);
    for (let at = 0; at < length; at += RANDOM_CHUNK) crypto.getRandomValues(out.subarray(at, at + RANDOM_CHUNK));
    return out;
  },
  constantTimeEqual(a, b) {
    if (a.length !== b.length) return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
    return diff === 0;
  },
  sha256: (data) => sha256(data),
  async importAesGcmKey(raw) {
    const key = await webCrypto().subtle.importKey("raw", copy(raw), { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
    return key as unknown as AesGcmKey;
  },
  async aesGcmSeal(key, iv, aad, pieces) {
    const params = { name: "AES-GCM", iv: copy(iv), additionalData: copy(aad), tagLength: 128 };
    return [new Uint8Array(await webCrypto().subtle.encrypt(params, cryptoKeyOf(key), joined(pieces)))];
  },
  async aesGcmOpen(key, iv, aad, pieces, frameLength) {
    if (frameLength < GCM_TAG_LENGTH) return null;
    const subtle = webCrypto().subtle;
    try {
      const params = { name: "AES-GCM", iv: copy(iv), additionalData: copy(aad), tagLength: 128 };
      const plain = new Uint8Array(await subtle.decrypt(params, cryptoKeyOf(key), joined(pieces, frameLength)));
      return plain.length === 0 ? [] : [plain]; // as Node's: no empty piece for an empty segment
    } catch {
      return null;
    }
  },
  secp256k1: {
    isPrivateKey: (key) => key instanceof Uint8Array && key.length === 32 && secp256k1.utils.isValidSecretKey(key),
    isCompressedPoint: (point) =>
      point instanceof Uint8Array && point.length === 33 && (point[0] === 2 || point[0] === 3) && secp256k1.utils.isValidPublicKey(point, true),
    publicKey: (privateKey) => secp256k1.getPublicKey(privateKey, true),
    sharedPoint(privateKey, publicKey) {
      try {
        return secp256k1.getSharedSecret(privateKey, publicKey, true);
      } catch {
        return null;
      }
    },
    sign: (digest, privateKey) => secp256k1.sign(digest, privateKey, { prehash: false, lowS: true, format: "compact" }),
    verify(signature, digest, publicKey) {
      try {
        return secp256k1.verify(signature, digest, publicKey, { prehash: false, lowS: true, format: "compact" });
      } catch {
        return false;
      }
    },
  },
};
