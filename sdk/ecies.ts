/**
 * ECIES unwrapping, the inverse of crypto/ecies.ts wrapKey, on @noble/curves + WebCrypto:
 *   wrapped = ephemeral public key (33, compressed) || nonce (12) || ciphertext || tag (16)
 *   shared  = x-coordinate of d·E (secp256k1 ECDH)
 *   key     = HKDF-SHA256(shared, salt = E || recipient public key, info = "modelvault/v1/ecies[/<context>]", 32)
 *   plain   = AES-256-GCM-Open(key, nonce, aad = info, ciphertext || tag)
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { aesGcmOpen, copyBytes, expectBytes, importAesKey, utf8 } from "./bytes.js";
import { hkdfSha256 } from "./derive.js";
import { SdkError } from "./errors.js";

export const PUBLIC_KEY_LENGTH = 33;
export const PRIVATE_KEY_LENGTH = 32;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
export const WRAP_OVERHEAD = PUBLIC_KEY_LENGTH + NONCE_LENGTH + TAG_LENGTH;

export interface RecipientKeyPair {
  privateKey: Uint8Array;
  /** 33-byte compressed secp256k1 public key: what requestKey records in the ticket. */
  publicKey: Uint8Array;
}

/** A fresh secp256k1 key pair from crypto.getRandomValues. */
export function generateRecipientKey(): RecipientKeyPair {
  const privateKey = secp256k1.utils.randomSecretKey();
  return { privateKey, publicKey: secp256k1.getPublicKey(privateKey, true) };
}

export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  expectBytes(privateKey, PRIVATE_KEY_LENGTH, "privateKey");
  if (!secp256k1.utils.isValidSecretKey(privateKey)) throw new SdkError("INVALID_ARGUMENT", "not a valid secp256k1 private key");
  return secp256k1.getPublicKey(privateKey, true);
}

const wrapInfo = (context: string) => utf8(context === "" ? "modelvault/v1/ecies" : `modelvault/v1/ecies/${context}`);

function isCompressedPoint(bytes: Uint8Array): boolean {
  return bytes.length === PUBLIC_KEY_LENGTH && (bytes[0] === 2 || bytes[0] === 3) && secp256k1.utils.isValidPublicKey(bytes, true);
}

/** Opens a key wrapped to `privateKey`'s public key under `context`; UNWRAP_FAILED on any mismatch. */
export async function unwrapKey(privateKey: Uint8Array, wrapped: Uint8Array, context = ""): Promise<Uint8Array> {
  const recipient = publicKeyOf(privateKey);
  if (!(wrapped instanceof Uint8Array) || wrapped.length < WRAP_OVERHEAD) throw new SdkError("UNWRAP_FAILED", "wrapped key too short");
  const ephemeral = wrapped.subarray(0, PUBLIC_KEY_LENGTH);
  if (!isCompressedPoint(ephemeral)) throw new SdkError("UNWRAP_FAILED", "wrapped key has an invalid ephemeral key");
  const nonce = wrapped.subarray(PUBLIC_KEY_LENGTH, PUBLIC_KEY_LENGTH + NONCE_LENGTH);
  const body = copyBytes(wrapped.subarray(PUBLIC_KEY_LENGTH + NONCE_LENGTH));
  const info = wrapInfo(context);
  const shared = secp256k1.getSharedSecret(privateKey, ephemeral, true);
  const salt = new Uint8Array(PUBLIC_KEY_LENGTH * 2);
  salt.set(ephemeral, 0);
  salt.set(recipient, PUBLIC_KEY_LENGTH);
  const raw = hkdfSha256(shared.subarray(1), salt, info, 32);
  const key = await importAesKey(raw);
  raw.fill(0);
  shared.fill(0);
  const plain = await aesGcmOpen(key, nonce, info, body);
  if (plain === null) throw new SdkError("UNWRAP_FAILED", "the wrapped key does not open with this private key");
  return plain;
}
