/**
 * Creating and opening sealed headers. Opening checks, in order: structure, the key
 * commitment (wrong key), the header tag (tampered header), then the expected model id, so each
 * failure is reported as what it is.
 */
import { createHash, createHmac, createSecretKey, randomBytes, type KeyObject } from "node:crypto";
import { constantTimeEqual, expectBytes } from "../bytes.js";
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

/** A header whose authenticity was checked, with what is needed to open its segments. */
export interface OpenedHeader {
  header: SealedHeader;
  segmentKey: KeyObject;
  /** SHA-256 of the whole header: every segment's AAD. */
  aad: Uint8Array;
}

/** Per-stream keys: HKDF(content key, salt = model id, info = context || nonce prefix). */
function streamKeys(key: Uint8Array, modelId: Uint8Array, noncePrefix: Uint8Array) {
  const info = new Uint8Array([...new TextEncoder().encode("modelvault/v1/sealed-stream"), ...noncePrefix]);
  const okm = hkdfSha256(key, modelId, info, 64);
  return { segmentKey: createSecretKey(okm.subarray(0, 32)), headerKey: okm.subarray(32, 64) };
}

function headerTag(headerKey: Uint8Array, fields: Uint8Array): Uint8Array {
  return createHmac("sha256", headerKey).update(fields.subarray(0, SIGNED_HEADER_LENGTH)).digest();
}

function opened(header: SealedHeader, segmentKey: KeyObject): OpenedHeader {
  return { header, segmentKey, aad: createHash("sha256").update(header.bytes).digest() };
}

export interface HeaderOptions {
  key: Uint8Array;
  modelId: Uint8Array;
  segmentSize: number;
  /** Tests and test vectors only: a fixed prefix. Never reuse a prefix with the same key. */
  noncePrefix?: Uint8Array | undefined;
}

export function createHeader(options: HeaderOptions): OpenedHeader {
  const key = expectBytes(options.key, KEY_LENGTH, "key");
  const modelId = expectBytes(options.modelId, MODEL_ID_LENGTH, "modelId");
  const segmentSize = checkSegmentSize(options.segmentSize);
  const noncePrefix =
    options.noncePrefix === undefined
      ? new Uint8Array(randomBytes(NONCE_PREFIX_LENGTH))
      : expectBytes(options.noncePrefix, NONCE_PREFIX_LENGTH, "noncePrefix");
  const fields = encodeHeaderFields({ segmentSize, modelId, noncePrefix, keyCommitment: keyCommitment(key) });
  const { segmentKey, headerKey } = streamKeys(key, modelId, noncePrefix);
  const bytes = new Uint8Array(HEADER_LENGTH);
  bytes.set(fields, 0);
  bytes.set(headerTag(headerKey, fields), SIGNED_HEADER_LENGTH);
  return opened(parseHeader(bytes), segmentKey);
}

/** Checks a header against a key (and, when given, the model it must belong to). */
export function openHeader(bytes: Uint8Array, key: Uint8Array, expectedModelId?: Uint8Array): OpenedHeader {
  expectBytes(key, KEY_LENGTH, "key");
  if (expectedModelId !== undefined) expectBytes(expectedModelId, MODEL_ID_LENGTH, "modelId");
  const header = parseHeader(bytes);
  if (!constantTimeEqual(keyCommitment(key), header.keyCommitment)) throw new WrongKeyError();
  const { segmentKey, headerKey } = streamKeys(key, header.modelId, header.noncePrefix);
  if (!constantTimeEqual(headerTag(headerKey, header.bytes), header.tag)) throw new HeaderTamperedError();
  if (expectedModelId !== undefined && !constantTimeEqual(expectedModelId, header.modelId)) {
    throw new ModelMismatchError();
  }
  return opened(header, segmentKey);
}

