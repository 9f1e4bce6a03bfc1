/**
 * Creating and opening sealed headers. Opening checks, in order: structure, the key
 * commitment (wrong key), the header tag (tampered header), then the expected model id, so each
 * failure is reported as what it is.
 */
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { platform } from "#crypto-platform";
import { constantTimeEqual, expectBytes, utf8 } from "../bytes.js";
import { hkdfSha256, KEY_LENGTH, keyCommitment } from "../derive.js";
import { HeaderTamperedError, ModelMismatchError, WrongKeyError } from "../errors.js";
import {
  checkSegmentSize,
  encodeHeaderFields,
  HEADER_LENGTH,
  MODEL_ID_LENGTH,
  NONCE_PREFIX_LENGTH,
  parseHeader,
  SIGNED_HEADER_LENGTH,
  type SealedHeader,
} from "./format.js";
import type { AesGcmKey } from "../platform/types.js";

/** A header whose authenticity was checked, with what is needed to open its segments. */
export interface OpenedHeader {
  header: SealedHeader;
  segmentKey: AesGcmKey;
  /** SHA-256 of the whole header: every segment's AAD. */
  aad: Uint8Array;
}

/** Per-stream keys: HKDF(content key, salt = model id, info = context || nonce prefix). */
function streamKeys(key: Uint8Array, modelId: Uint8Array, noncePrefix: Uint8Array) {
  const info = new Uint8Array([...utf8("modelvault/v1/sealed-stream"), ...noncePrefix]);
  const okm = hkdfSha256(key, modelId, info, 64);
  return { segmentKey: okm.subarray(0, 32), headerKey: okm.subarray(32, 64), okm };
}

function headerTag(headerKey: Uint8Array, fields: Uint8Array): Uint8Array {
  return hmac(sha256, headerKey, fields.subarray(0, SIGNED_HEADER_LENGTH));
}

/** The opened header; the derived key bytes are zeroed once the platform holds the segment key. */
async function opened(header: SealedHeader, keys: ReturnType<typeof streamKeys>): Promise<OpenedHeader> {
  const segmentKey = await platform.importAesGcmKey(keys.segmentKey);
  keys.okm.fill(0);
  return { header, segmentKey, aad: platform.sha256(header.bytes) };
}

export interface HeaderOptions {
  key: Uint8Array;
  modelId: Uint8Array;
  segmentSize: number;
  /** Tests and test vectors only: a fixed prefix. Never reuse a prefix with the same key. */
  noncePrefix?: Uint8Array | undefined;
}

export async function createHeader(options: HeaderOptions): Promise<OpenedHeader> {
  const key = expectBytes(options.key, KEY_LENGTH, "key");
  const modelId = expectBytes(options.modelId, MODEL_ID_LENGTH, "modelId");
  const segmentSize = checkSegmentSize(options.segmentSize);
  const noncePrefix =
    options.noncePrefix === undefined
      ? platform.randomBytes(NONCE_PREFIX_LENGTH)
      : expectBytes(options.noncePrefix, NONCE_PREFIX_LENGTH, "noncePrefix");
  const fields = encodeHeaderFields({ segmentSize, modelId, noncePrefix, keyCommitment: keyCommitment(key) });
  const keys = streamKeys(key, modelId, noncePrefix);
  const bytes = new Uint8Array(HEADER_LENGTH);
  bytes.set(fields, 0);
  bytes.set(headerTag(keys.headerKey, fields), SIGNED_HEADER_LENGTH);
  return opened(parseHeader(bytes), keys);
}

/** Checks a header against a key (and, when given, the model it must belong to). */
export async function openHeader(bytes: Uint8Array, key: Uint8Array, expectedModelId?: Uint8Array): Promise<OpenedHeader> {
  expectBytes(key, KEY_LENGTH, "key");
  if (expectedModelId !== undefined) expectBytes(expectedModelId, MODEL_ID_LENGTH, "modelId");
  const header = parseHeader(bytes);
  if (!constantTimeEqual(keyCommitment(key), header.keyCommitment)) throw new WrongKeyError();
  const keys = streamKeys(key, header.modelId, header.noncePrefix);
  try {
    if (!constantTimeEqual(headerTag(keys.headerKey, header.bytes), header.tag)) throw new HeaderTamperedError();
    if (expectedModelId !== undefined && !constantTimeEqual(expectedModelId, header.modelId)) throw new ModelMismatchError();
  } catch (error) {
    keys.okm.fill(0);
    throw error;
  }
  return opened(header, keys);
}

