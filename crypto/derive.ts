/**
 * Key derivation: HKDF-SHA256 (RFC 5869, @noble/hashes) with modelvault's context strings.
 * Every derived key names its purpose in `info`, so keys for different uses never coincide.
 */
import { platform } from "#crypto-platform";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { expectBytes, utf8 } from "./bytes.js";
import { InvalidArgumentError } from "./errors.js";

export const KEY_LENGTH = 32;

/** HKDF-SHA256 with a string context; `salt` may be empty. */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: string | Uint8Array, length: number): Uint8Array {
  return hkdf(sha256, ikm, salt, typeof info === "string" ? utf8(info) : info, length);
}

/** A fresh random 32-byte content key (one per model version; never reused across streams). */
export function generateContentKey(): Uint8Array {
  return platform.randomBytes(KEY_LENGTH);
}

/**
 * Public commitment to a content key: HKDF(key, info = "modelvault/v1/key-commitment").
 * It reveals nothing usable about the key, lets a licensee check a key combined from shares
 * before fetching anything, and makes the sealed format key-committing (one key opens a stream).
 */
export function keyCommitment(key: Uint8Array): Uint8Array {
  expectBytes(key, KEY_LENGTH, "key");
  return hkdfSha256(key, new Uint8Array(0), "modelvault/v1/key-commitment", 32);
}

/** What a per-model key is for; each purpose yields an independent key. */
export type ModelKeyPurpose = "content" | "share-at-rest" | "manifest";

/**
 * A per-model key derived from a node's master secret: HKDF(master, salt = modelId,
 * info = "modelvault/v1/model-key/<purpose>/<version>"). Deterministic, so re-publishing the
 * same model version yields the same key (idempotent publish), and rotation (a new version)
 * yields an unrelated one.
 */
export function deriveModelKey(
  master: Uint8Array,
  modelId: Uint8Array,
  purpose: ModelKeyPurpose,
  version = 1,
): Uint8Array {
  if (!(master instanceof Uint8Array) || master.length < 32) {
    throw new InvalidArgumentError("master secret must be at least 32 bytes");
  }
  expectBytes(modelId, 32, "modelId");
  if (!Number.isSafeInteger(version) || version < 1) throw new InvalidArgumentError("version must be a positive integer");
  return hkdfSha256(master, modelId, `modelvault/v1/model-key/${purpose}/${version}`, KEY_LENGTH);
}
