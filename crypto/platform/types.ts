/**
 * The primitives every format module of crypto/ is written against, so each byte format and
 * protocol message has one implementation for Node and browsers. package.json `imports` maps
 * `#crypto-platform` to node.ts (node:crypto, libsecp256k1 WASM: fast) or, under the bundlers'
 * `browser` condition, to browser.ts (WebCrypto, @noble/curves). Both must give the same bytes
 * (test/crypto/platforms.test.ts runs the committed vectors through each).
 *
 * AES-GCM is async because WebCrypto is; the Node implementation works synchronously and returns
 * a settled promise.
 */

declare const aesKeyBrand: unique symbol;
/** An AES-256-GCM key as the platform holds it (a KeyObject or a non-extractable CryptoKey). */
export interface AesGcmKey {
  readonly [aesKeyBrand]: true;
}

export interface Secp256k1 {
  /** Whether `key` is 32 bytes and a scalar in [1, n). */
  isPrivateKey(key: Uint8Array): boolean;
  /** Whether `point` is a 33-byte compressed point (prefix 02 or 03) on the curve. */
  isCompressedPoint(point: Uint8Array): boolean;
  /** The compressed public key of a valid private key. */
  publicKey(privateKey: Uint8Array): Uint8Array;
  /** The compressed point d·Q (ECDH), or null when there is none. */
  sharedPoint(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null;
  /** RFC 6979 ECDSA over a 32-byte digest (no prehash): r ‖ s, 64 bytes, low s. */
  sign(digest: Uint8Array, privateKey: Uint8Array): Uint8Array;
  /** Whether `signature` (r ‖ s, low s only) signs `digest` for `publicKey`; false on malformed input. */
  verify(signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): boolean;
}

export interface CryptoPlatform {
  readonly name: "node" | "browser";
  /** `length` bytes from the platform's CSPRNG. */
  randomBytes(length: number): Uint8Array;
  /** Equality that does not stop at the first difference (false on a length mismatch). */
  constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean;
  sha256(data: Uint8Array): Uint8Array;
  importAesGcmKey(raw: Uint8Array): Promise<AesGcmKey>;
  /** AES-256-GCM over plaintext given in pieces: the ciphertext then the 16-byte tag, as one or more pieces. */
  aesGcmSeal(key: AesGcmKey, iv: Uint8Array, aad: Uint8Array, pieces: readonly Uint8Array[]): Promise<Uint8Array[]>;
  /**
   * Opens `frameLength` bytes of ciphertext ‖ tag given in pieces: the plaintext (one or more
   * pieces) only after the tag verified, else null. No unauthenticated byte is ever returned.
   */
  aesGcmOpen(key: AesGcmKey, iv: Uint8Array, aad: Uint8Array, pieces: readonly Uint8Array[], frameLength: number): Promise<Uint8Array[] | null>;
  readonly secp256k1: Secp256k1;
}

export const GCM_TAG_LENGTH = 16;
