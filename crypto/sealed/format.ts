/**
 * The sealed-model header (docs/FORMAT.md, version 1) and the stream's layout arithmetic.
 *
 *   offset  size  field
 *        0     4  magic "MVSM"
 *        4     1  version (1)
 *        5     4  segment size: plaintext bytes per segment, u32 big-endian
 *        9    32  model id
 *       41     7  nonce prefix (random per stream)
 *       48    32  key commitment (crypto/derive.ts keyCommitment)
 *       80    32  header tag: HMAC-SHA256(header key, bytes 0..80)
 *
 * Then segments: ciphertext || 16-byte GCM tag, each frame `segmentSize + 16` bytes except the
 * final one, which holds 1..segmentSize plaintext bytes (0 only when it is the only segment).
 */
import { MalformedHeaderError, TruncatedStreamError, InvalidArgumentError } from "../errors.js";

export const MAGIC = Uint8Array.from([0x4d, 0x56, 0x53, 0x4d]); // "MVSM"
export const FORMAT_VERSION = 1;
export const HEADER_LENGTH = 112;
export const SIGNED_HEADER_LENGTH = 80;
export const TAG_LENGTH = 16;
export const NONCE_PREFIX_LENGTH = 7;
export const MODEL_ID_LENGTH = 32;
/** One ciphertext frame of the default segment size is exactly 1 MiB: one UnixFS leaf. */
export const DEFAULT_FRAME_LENGTH = 1 << 20;
export const DEFAULT_SEGMENT_SIZE = DEFAULT_FRAME_LENGTH - TAG_LENGTH;
export const MIN_SEGMENT_SIZE = 1;
export const MAX_SEGMENT_SIZE = 1 << 24;
/** The segment counter is 32 bits wide. */
export const MAX_SEGMENTS = 2 ** 32;

export interface SealedHeader {
  version: number;
  segmentSize: number;
  modelId: Uint8Array;
  noncePrefix: Uint8Array;
  keyCommitment: Uint8Array;
  tag: Uint8Array;
  /** The 112 header bytes as they stand in the stream. */
  bytes: Uint8Array;
}

export function checkSegmentSize(segmentSize: number): number {
  if (!Number.isSafeInteger(segmentSize) || segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
    throw new InvalidArgumentError(`segment size must be an integer in [${MIN_SEGMENT_SIZE}, ${MAX_SEGMENT_SIZE}]`);
  }
  return segmentSize;
}

/** The 80 header bytes covered by the header tag. */
export function encodeHeaderFields(fields: Omit<SealedHeader, "tag" | "bytes" | "version">): Uint8Array {
  const out = new Uint8Array(SIGNED_HEADER_LENGTH);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = FORMAT_VERSION;
  view.setUint32(5, fields.segmentSize);
  out.set(fields.modelId, 9);
  out.set(fields.noncePrefix, 41);
  out.set(fields.keyCommitment, 48);
  return out;
}

/** Parses the header's structure. Authenticity is checked by openHeader (needs the key). */
export function parseHeader(bytes: Uint8Array): SealedHeader {
  if (bytes.length < HEADER_LENGTH) throw new TruncatedStreamError("the sealed stream ended inside its header");
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw new MalformedHeaderError("not a modelvault sealed stream (bad magic)");
  }
  const version = bytes[4]!;
  if (version !== FORMAT_VERSION) throw new MalformedHeaderError(`unsupported sealed format version ${version}`);
  const segmentSize = new DataView(bytes.buffer, bytes.byteOffset, HEADER_LENGTH).getUint32(5);
  if (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
    throw new MalformedHeaderError(`segment size ${segmentSize} out of range`);
  }
  const header = bytes.slice(0, HEADER_LENGTH);
  return {
    version,
    segmentSize,
    modelId: header.subarray(9, 41),
    noncePrefix: header.subarray(41, 48),
    keyCommitment: header.subarray(48, 80),
    tag: header.subarray(80, 112),
    bytes: header,
  };
}

/** Where segment i's frame and plaintext lie, for a stream of known total length. */
export interface SealedLayout {
  segmentSize: number;
  frameLength: number;
  /** Frames that can be opened: the stub (below), if any, is not one. */
  segmentCount: number;
  plaintextLength: number;
  sealedLength: number;
  /**
   * Bytes after the last full frame that are too few to be a final frame (canBeFinalFrame): 0 for
   * every length a writer makes. When not 0 the stream is cut or extended, and its last frame
   * never opens (docs/FORMAT.md, "Reading a stream of known length").
   */
  stubLength: number;
}

/**
 * Whether `length` bytes at the end of a stream can be frame `index`, the final one: a whole
 * tag, and after the first segment at least one plaintext byte (writers never end a stream with
 * an empty segment, so a 16-byte remainder after full frames is what is left of a cut frame).
 */
export function canBeFinalFrame(index: number, length: number): boolean {
  return length > TAG_LENGTH || (length === TAG_LENGTH && index === 0);
}

/** Total sealed length of a plaintext: header, segments and one tag per segment. */
export function sealedLength(plaintextLength: number, segmentSize = DEFAULT_SEGMENT_SIZE): number {
  const count = Math.max(1, Math.ceil(plaintextLength / checkSegmentSize(segmentSize)));
  return HEADER_LENGTH + plaintextLength + count * TAG_LENGTH;
}

/** What sealedLayout throws: crypto/errors.ts here, the SDK's own errors in the SDK. */
export interface LayoutErrors {
  invalidArgument(message: string): Error;
  truncated(message: string): Error;
  malformed(message: string): Error;
}

const LAYOUT_ERRORS: LayoutErrors = {
  invalidArgument: (message) => new InvalidArgumentError(message),
  truncated: (message) => new TruncatedStreamError(message),
  malformed: (message) => new MalformedHeaderError(message),
};

/**
 * The layout of a sealed stream from its segment size and total length (e.g. a UnixFS file size):
 * frames cut as a streaming reader cuts them. A remainder that cannot be the final frame becomes
 * `stubLength`, so the frame before it is the last one and fails when read, as it does in a stream.
 */
export function sealedLayout(segmentSize: number, totalLength: number, errors: LayoutErrors = LAYOUT_ERRORS): SealedLayout {
  if (!Number.isSafeInteger(segmentSize) || segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
    throw errors.invalidArgument(`segment size must be an integer in [${MIN_SEGMENT_SIZE}, ${MAX_SEGMENT_SIZE}]`);
  }
  const frameLength = segmentSize + TAG_LENGTH;
  const body = totalLength - HEADER_LENGTH;
  if (!Number.isSafeInteger(totalLength) || body < TAG_LENGTH) {
    throw errors.truncated(`a sealed stream of ${totalLength} bytes holds no complete segment`);
  }
  let segmentCount = Math.ceil(body / frameLength);
  const lastFrame = body - (segmentCount - 1) * frameLength;
  const stubLength = canBeFinalFrame(segmentCount - 1, lastFrame) ? 0 : lastFrame;
  if (stubLength > 0) segmentCount--;
  if (segmentCount > MAX_SEGMENTS) throw errors.malformed("too many segments for a 32-bit counter");
  return { segmentSize, frameLength, segmentCount, plaintextLength: body - stubLength - segmentCount * TAG_LENGTH, sealedLength: totalLength, stubLength };
}

/** Byte range [start, end) of segment i's frame within the sealed stream. */
export function frameRange(layout: SealedLayout, index: number): { start: number; end: number } {
  if (!Number.isSafeInteger(index) || index < 0 || index >= layout.segmentCount) {
    throw new InvalidArgumentError(`segment ${index} out of range [0, ${layout.segmentCount})`);
  }
  const start = HEADER_LENGTH + index * layout.frameLength;
  return { start, end: Math.min(start + layout.frameLength, layout.sealedLength) };
}
