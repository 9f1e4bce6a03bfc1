/**
 * ECIES key wrapping to a secp256k1 public key, one implementation for Node and browsers on the
 * platform's primitives (crypto/platform: libsecp256k1 WASM + node:crypto, or @noble/curves +
 * WebCrypto):
 *   ephemeral key pair -> ECDH x-coordinate -> HKDF-SHA256(salt = ephemeral || recipient,
 *   info = "modelvault/v1/ecies" [+ "/" + context]) -> AES-256-GCM(aad = info).
 * Output: 33-byte compressed ephemeral public key || 12-byte nonce || ciphertext || 16-byte tag.
 * Only the recipient's private key opens it; a different context string does not.
 */
import { platform } from "#crypto-platform";
import { concatBytes, expectBytes, utf8 } from "./bytes.js";
import { hkdfSha256 } from "./derive.js";
import { InvalidArgumentError, InvalidPublicKeyError, UnwrapError } from "./errors.js";

export const PUBLIC_KEY_LENGTH = 33;
export const PRIVATE_KEY_LENGTH = 32;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
export const WRAP_OVERHEAD = PUBLIC_KEY_LENGTH + NONCE_LENGTH + TAG_LENGTH;

const { secp256k1 } = platform;

function checkPublicKey(publicKey: Uint8Array): Uint8Array {
  if (!secp256k1.isCompressedPoint(publicKey)) throw new InvalidPublicKeyError();
  return publicKey;
}

function wrapInfo(context: string): Uint8Array {
  return utf8(context === "" ? "modelvault/v1/ecies" : `modelvault/v1/ecies/${context}`);
}

/** The AES key of one wrap: HKDF over the x-coordinate of d·Q; the shared point is zeroed. */
function wrappingKey(privateKey: Uint8Array, publicKey: Uint8Array, ephemeral: Uint8Array, recipient: Uint8Array, info: Uint8Array) {
  const shared = secp256k1.sharedPoint(privateKey, publicKey);
  if (shared === null) throw new InvalidPublicKeyError();
  const salt = new Uint8Array(PUBLIC_KEY_LENGTH * 2);
  salt.set(ephemeral, 0);
  salt.set(recipient, PUBLIC_KEY_LENGTH);
  const raw = hkdfSha256(shared.subarray(1), salt, info, 32);
  shared.fill(0);
  return platform.importAesGcmKey(raw).finally(() => raw.fill(0));
}

/** A fresh secp256k1 key pair (compressed public key). */
export function generateKeyPair(): { privateKey: Uint8Array; publicKey: Uint8Array } {
  for (;;) {
    // A uniform 32-byte string is a valid scalar except with probability ~2^-128.
    const privateKey = platform.randomBytes(PRIVATE_KEY_LENGTH);
    if (secp256k1.isPrivateKey(privateKey)) return { privateKey, publicKey: secp256k1.publicKey(privateKey) };
  }
}

/** The compressed public key of a private key. */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  expectBytes(privateKey, PRIVATE_KEY_LENGTH, "privateKey");
  if (!secp256k1.isPrivateKey(privateKey)) throw new InvalidArgumentError("not a valid secp256k1 private key");
  return secp256k1.publicKey(privateKey);
}

/** Encrypts `plaintext` (e.g. a key share) so that only `recipientPublicKey`'s owner opens it. */
export async function wrapKey(recipientPublicKey: Uint8Array, plaintext: Uint8Array, context = ""): Promise<Uint8Array> {
  const recipient = checkPublicKey(recipientPublicKey);
  if (!(plaintext instanceof Uint8Array)) throw new InvalidArgumentError("plaintext must be a Uint8Array");
  return wrap(recipient, plaintext, context, generateKeyPair(), platform.randomBytes(NONCE_LENGTH));
}

/**
 * wrapKey with a given ephemeral private key and nonce, for the committed test vectors only
 * (test/crypto/vectors/ecies-v1.json): a wrap is deterministic only when both are fixed, and
 * using either twice breaks the scheme. Not exported from crypto/index.ts.
 * @internal
 */
export async function wrapKeyWith(
  recipientPublicKey: Uint8Array,
  plaintext: Uint8Array,
  context: string,
  ephemeralPrivateKey: Uint8Array,
  nonce: Uint8Array,
): Promise<Uint8Array> {
  const recipient = checkPublicKey(recipientPublicKey);
  if (!(plaintext instanceof Uint8Array)) throw new InvalidArgumentError("plaintext must be a Uint8Array");
  expectBytes(nonce, NONCE_LENGTH, "nonce");
  return wrap(recipient, plaintext, context, { privateKey: ephemeralPrivateKey, publicKey: publicKeyOf(ephemeralPrivateKey) }, nonce);
}

async function wrap(
  recipient: Uint8Array,
  plaintext: Uint8Array,
  context: string,
  ephemeral: { privateKey: Uint8Array; publicKey: Uint8Array },
  nonce: Uint8Array,
): Promise<Uint8Array> {
  const info = wrapInfo(context);
  const key = await wrappingKey(ephemeral.privateKey, recipient, ephemeral.publicKey, recipient, info);
  return concatBytes([ephemeral.publicKey, nonce, ...(await platform.aesGcmSeal(key, nonce, info, [plaintext]))]);
}

/** Opens a wrapped key with the recipient's private key; UnwrapError on any mismatch. */
export async function unwrapKey(privateKey: Uint8Array, wrapped: Uint8Array, context = ""): Promise<Uint8Array> {
  return keyOpener(privateKey)(wrapped, context);
}

/**
 * unwrapKey for several wraps to one key: the private key is checked and its public key (the HKDF
 * salt's second half) derived once, not per wrap — a scalar multiplication each, which a licensee
 * opening k shares per access would otherwise repeat.
 */
export function keyOpener(privateKey: Uint8Array): (wrapped: Uint8Array, context?: string) => Promise<Uint8Array> {
  const recipient = publicKeyOf(privateKey);
  return async (wrapped, context = "") => {
    if (!(wrapped instanceof Uint8Array) || wrapped.length < WRAP_OVERHEAD) {
      throw new UnwrapError("wrapped key too short");
    }
    const ephemeral = wrapped.subarray(0, PUBLIC_KEY_LENGTH);
    if (!secp256k1.isCompressedPoint(ephemeral)) throw new UnwrapError("wrapped key has an invalid ephemeral key");
    const nonce = wrapped.subarray(PUBLIC_KEY_LENGTH, PUBLIC_KEY_LENGTH + NONCE_LENGTH);
    const body = wrapped.subarray(PUBLIC_KEY_LENGTH + NONCE_LENGTH);
    const info = wrapInfo(context);
    const key = await wrappingKey(privateKey, ephemeral, ephemeral, recipient, info);
    const plain = await platform.aesGcmOpen(key, nonce, info, [body], body.length);
    if (plain === null) throw new UnwrapError();
    return concatBytes(plain);
  };
}
