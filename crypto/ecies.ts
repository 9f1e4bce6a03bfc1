/**
 * ECIES key wrapping to a secp256k1 public key (curve arithmetic: libsecp256k1 via
 * tiny-secp256k1's WebAssembly build, constant-time and ~12x faster here than a pure-JS
 * constant-time ECDH, which matters for custodians re-wrapping shares under load):
 *   ephemeral key pair -> ECDH x-coordinate -> HKDF-SHA256(salt = ephemeral || recipient,
 *   info = "modelvault/v1/ecies" [+ "/" + context]) -> AES-256-GCM.
 * Output: 33-byte compressed ephemeral public key || 12-byte nonce || ciphertext || 16-byte tag.
 * Only the recipient's private key opens it; a different context string does not.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import * as ecc from "tiny-secp256k1";
import { expectBytes, utf8 } from "./bytes.js";
import { hkdfSha256 } from "./derive.js";
import { InvalidArgumentError, InvalidPublicKeyError, UnwrapError } from "./errors.js";

export const PUBLIC_KEY_LENGTH = 33;
export const PRIVATE_KEY_LENGTH = 32;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
export const WRAP_OVERHEAD = PUBLIC_KEY_LENGTH + NONCE_LENGTH + TAG_LENGTH;

function checkPublicKey(publicKey: Uint8Array): Uint8Array {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_LENGTH) {
    throw new InvalidPublicKeyError();
  }
  if ((publicKey[0] !== 2 && publicKey[0] !== 3) || !ecc.isPoint(publicKey)) throw new InvalidPublicKeyError();
  return publicKey;
}

function wrapInfo(context: string): Uint8Array {
  return utf8(context === "" ? "modelvault/v1/ecies" : `modelvault/v1/ecies/${context}`);
}

function wrappingKey(sharedPoint: Uint8Array, ephemeral: Uint8Array, recipient: Uint8Array, info: Uint8Array) {
  const salt = new Uint8Array(PUBLIC_KEY_LENGTH * 2);
  salt.set(ephemeral, 0);
  salt.set(recipient, PUBLIC_KEY_LENGTH);
  return hkdfSha256(sharedPoint.subarray(1), salt, info, 32); // x-coordinate of the shared point
}

/** A fresh secp256k1 key pair (compressed public key). */
export function generateKeyPair(): { privateKey: Uint8Array; publicKey: Uint8Array } {
  for (;;) {
    // A uniform 32-byte string is a valid scalar except with probability ~2^-128.
    const privateKey = new Uint8Array(randomBytes(PRIVATE_KEY_LENGTH));
    if (ecc.isPrivate(privateKey)) return { privateKey, publicKey: ecc.pointFromScalar(privateKey, true)! };
  }
}

/** The compressed shared point d·Q; its x-coordinate is the ECDH secret. */
function sharedPoint(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const point = ecc.pointMultiply(publicKey, privateKey, true);
  if (point === null) throw new InvalidPublicKeyError();
  return point;
}

/** The compressed public key of a private key. */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  expectBytes(privateKey, PRIVATE_KEY_LENGTH, "privateKey");
  if (!ecc.isPrivate(privateKey)) throw new InvalidArgumentError("not a valid secp256k1 private key");
  return ecc.pointFromScalar(privateKey, true)!;
}

/** Encrypts `plaintext` (e.g. a key share) so that only `recipientPublicKey`'s owner opens it. */
export function wrapKey(recipientPublicKey: Uint8Array, plaintext: Uint8Array, context = ""): Uint8Array {
  const recipient = checkPublicKey(recipientPublicKey);
  if (!(plaintext instanceof Uint8Array)) throw new InvalidArgumentError("plaintext must be a Uint8Array");
  return wrap(recipient, plaintext, context, generateKeyPair(), randomBytes(NONCE_LENGTH));
}

/**
 * wrapKey with a given ephemeral private key and nonce, for the committed test vectors only
 * (test/crypto/vectors/ecies-v1.json): a wrap is deterministic only when both are fixed, and
 * using either twice breaks the scheme. Not exported from crypto/index.ts.
 * @internal
 */
export function wrapKeyWith(
  recipientPublicKey: Uint8Array,
  plaintext: Uint8Array,
  context: string,
  ephemeralPrivateKey: Uint8Array,
  nonce: Uint8Array,
): Uint8Array {
  const recipient = checkPublicKey(recipientPublicKey);
  if (!(plaintext instanceof Uint8Array)) throw new InvalidArgumentError("plaintext must be a Uint8Array");
  expectBytes(nonce, NONCE_LENGTH, "nonce");
  return wrap(recipient, plaintext, context, { privateKey: ephemeralPrivateKey, publicKey: publicKeyOf(ephemeralPrivateKey) }, nonce);
}

function wrap(
  recipient: Uint8Array,
  plaintext: Uint8Array,
  context: string,
  ephemeral: { privateKey: Uint8Array; publicKey: Uint8Array },
  nonce: Uint8Array,
): Uint8Array {
  const shared = sharedPoint(ephemeral.privateKey, recipient);
  const info = wrapInfo(context);
  const key = wrappingKey(shared, ephemeral.publicKey, recipient, info);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(info);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  const out = new Uint8Array(PUBLIC_KEY_LENGTH + NONCE_LENGTH + body.length);
  out.set(ephemeral.publicKey, 0);
  out.set(nonce, PUBLIC_KEY_LENGTH);
  out.set(body, PUBLIC_KEY_LENGTH + NONCE_LENGTH);
  return out;
}

/** Opens a wrapped key with the recipient's private key; UnwrapError on any mismatch. */
export function unwrapKey(privateKey: Uint8Array, wrapped: Uint8Array, context = ""): Uint8Array {
  const recipient = publicKeyOf(privateKey);
  if (!(wrapped instanceof Uint8Array) || wrapped.length < WRAP_OVERHEAD) {
    throw new UnwrapError("wrapped key too short");
  }
  const ephemeral = wrapped.subarray(0, PUBLIC_KEY_LENGTH);
  if ((ephemeral[0] !== 2 && ephemeral[0] !== 3) || !ecc.isPoint(ephemeral)) throw new UnwrapError("wrapped key has an invalid ephemeral key");
  const nonce = wrapped.subarray(PUBLIC_KEY_LENGTH, PUBLIC_KEY_LENGTH + NONCE_LENGTH);
  const ciphertext = wrapped.subarray(PUBLIC_KEY_LENGTH + NONCE_LENGTH, wrapped.length - TAG_LENGTH);
  const tag = wrapped.subarray(wrapped.length - TAG_LENGTH);
  const info = wrapInfo(context);
  const key = wrappingKey(sharedPoint(privateKey, ephemeral), ephemeral, recipient, info);
  const decipher = createDecipheriv("aes-256-gcm", key, nonce);
  decipher.setAAD(info);
  decipher.setAuthTag(tag);
  try {
    return new Uint8Array(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
  } catch {
    throw new UnwrapError();
  }
}
