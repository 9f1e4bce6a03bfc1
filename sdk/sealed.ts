/**
 * Opening sealed streams (docs/FORMAT.md, version 1) on WebCrypto AES-256-GCM, byte for byte
 * what crypto/sealed/ writes, with the same checks in the same order:
 *
 *   header (112) = "MVSM" || 0x01 || u32 S || model id (32) || nonce prefix (7) || key commitment (32) || tag (32)
 *   okm          = HKDF(K, salt = model id, info = "modelvault/v1/sealed-stream" || nonce prefix, 64)
 *   tag          = HMAC-SHA256(okm[32..64], header[0..80]);  segment key = okm[0..32]
 *   AAD          = SHA-256(header)
 *   nonce_i      = nonce prefix || u32(i) || final (0x01 for the last segment)
 *
 * Release rule: a segment's plaintext is yielded only after its tag verified, and a frame is held
 * back until it is known whether more bytes follow it (only then is its final flag known). What a
 * frame that fails means is decided by crypto/sealed/reader-rules.ts, the node's own rules, and
 * the frames of a stream of known length are cut by crypto/sealed/format.ts's sealedLayout.
 */
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { canBeFinalFrame, sealedLayout } from "../crypto/sealed/format.js";
import { readBytes, readRanges, readSegments, type ParallelReadOptions, type ReadSealedRange, type SpanSource } from "../crypto/sealed/range-plan.js";
import { expectedFinal, framePosition, frameVerdict, type FramePosition, type SealedErrors } from "../crypto/sealed/reader-rules.js";
import { aesGcmOpen, type AesKey, concatBytes, constantTimeEqual, expectBytes, importAesKey, utf8 } from "./bytes.js";
import { hkdfSha256, KEY_LENGTH, keyCommitment } from "./derive.js";
import { SdkError, sealedError } from "./errors.js";

export const MAGIC = Uint8Array.from([0x4d, 0x56, 0x53, 0x4d]); // "MVSM"
export const FORMAT_VERSION = 1;
export const HEADER_LENGTH = 112;
const SIGNED_HEADER_LENGTH = 80;
export const TAG_LENGTH = 16;
export const MODEL_ID_LENGTH = 32;
export const MIN_SEGMENT_SIZE = 1;
export const MAX_SEGMENT_SIZE = 1 << 24;
const MAX_SEGMENTS = 2 ** 32;

/** The reading rules (crypto/sealed/reader-rules.ts) and the layout throw SdkErrors here. */
const SEALED_ERRORS: SealedErrors = {
  invalidArgument: (message) => new SdkError("INVALID_ARGUMENT", message),
  truncated: (message) => sealedError.truncated(message),
  malformed: (message) => sealedError.malformed(message),
  trailing: () => sealedError.trailing(),
  segment: (index) => sealedError.segment(index),
};

export interface SealedHeader {
  version: number;
  segmentSize: number;
  modelId: Uint8Array;
  noncePrefix: Uint8Array;
  keyCommitment: Uint8Array;
  tag: Uint8Array;
  /** The 112 header bytes. */
  bytes: Uint8Array;
}

/** A header checked against a key, with what opening its segments needs. */
export interface OpenedSealedHeader {
  header: SealedHeader;
  segmentKey: AesKey;
  /** SHA-256 of the header: every segment's AAD. */
  aad: Uint8Array;
}

/** Structure only: magic, version, segment size. Authenticity needs the key (openSealedHeader). */
export function parseSealedHeader(bytes: Uint8Array): SealedHeader {
  if (bytes.length < HEADER_LENGTH) throw sealedError.truncated("the sealed stream ended inside its header");
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw sealedError.malformed("not a modelvault sealed stream (bad magic)");
  }
  const version = bytes[4]!;
  if (version !== FORMAT_VERSION) throw sealedError.malformed(`unsupported sealed format version ${version}`);
  const segmentSize = new DataView(bytes.buffer, bytes.byteOffset, HEADER_LENGTH).getUint32(5);
  if (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) throw sealedError.malformed(`segment size ${segmentSize} out of range`);
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

/** Checks, in order: structure, key commitment (WRONG_KEY), header tag, then the expected model id. */
export async function openSealedHeader(bytes: Uint8Array, key: Uint8Array, expectedModelId?: Uint8Array): Promise<OpenedSealedHeader> {
  expectBytes(key, KEY_LENGTH, "key");
  if (expectedModelId !== undefined) expectBytes(expectedModelId, MODEL_ID_LENGTH, "modelId");
  const header = parseSealedHeader(bytes);
  if (!constantTimeEqual(keyCommitment(key), header.keyCommitment)) throw sealedError.wrongKey();
  const info = concatBytes([utf8("modelvault/v1/sealed-stream"), header.noncePrefix]);
  const okm = hkdfSha256(key, header.modelId, info, 64);
  const headerKey = okm.subarray(32, 64);
  const tag = hmac(sha256, headerKey, header.bytes.subarray(0, SIGNED_HEADER_LENGTH));
  if (!constantTimeEqual(tag, header.tag)) {
    okm.fill(0);
    throw sealedError.tampered();
  }
  if (expectedModelId !== undefined && !constantTimeEqual(expectedModelId, header.modelId)) {
    okm.fill(0);
    throw sealedError.modelMismatch();
  }
  const segmentKey = await importAesKey(okm.subarray(0, 32));
  okm.fill(0);
  return { header, segmentKey, aad: sha256(header.bytes) };
}

export function segmentNonce(prefix: Uint8Array, index: number, final: boolean): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_SEGMENTS) {
    throw new SdkError("INVALID_ARGUMENT", "segment counter exhausted (2^32 segments)");
  }
  const nonce = new Uint8Array(12);
  nonce.set(prefix.subarray(0, 7), 0);
  new DataView(nonce.buffer).setUint32(7, index);
  nonce[11] = final ? 1 : 0;
  return nonce;
}

/** Opens one frame (ciphertext || tag) at its position; null when it does not authenticate. */
export function openSealedSegment(opened: OpenedSealedHeader, index: number, final: boolean, frame: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer> | null> {
  if (frame.length < TAG_LENGTH) return Promise.resolve(null);
  return aesGcmOpen(opened.segmentKey, segmentNonce(opened.header.noncePrefix, index, final), opened.aad, frame);
}

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | ReadableStream<Uint8Array>;

export interface OpenSealedOptions {
  key: Uint8Array;
  /** When given, a stream sealed for another model is refused (SEALED_MODEL_MISMATCH). */
  modelId?: Uint8Array;
  signal?: AbortSignal;
}

/** A FIFO of chunks that hands out the first n bytes as one contiguous copy. */
class ChunkQueue {
  #chunks: Uint8Array[] = [];
  length = 0;

  push(chunk: Uint8Array): void {
    if (!(chunk instanceof Uint8Array)) throw new SdkError("INVALID_ARGUMENT", "stream chunks must be Uint8Array");
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.length += chunk.length;
  }

  take(n: number): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(Math.min(n, this.length));
    let filled = 0;
    while (filled < out.length) {
      const head = this.#chunks[0]!;
      const need = out.length - filled;
      if (head.length <= need) {
        out.set(head, filled);
        filled += head.length;
        this.#chunks.shift();
      } else {
        out.set(head.subarray(0, need), filled);
        this.#chunks[0] = head.subarray(need);
        filled += need;
      }
    }
    this.length -= out.length;
    return out;
  }
}

/** Iterates a ReadableStream with a reader (Safari's streams are not async-iterable). */
export async function* iterateStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined> {
  const reader = stream.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

function chunksOf(source: ByteSource): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  if (typeof (source as ReadableStream<Uint8Array>).getReader === "function") return iterateStream(source as ReadableStream<Uint8Array>);
  return source as AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

/**
 * Opens a sealed stream: checks the header, then yields each segment's plaintext only after it
 * authenticated. Any failure throws an SdkError (SEALED_* or WRONG_KEY); nothing of a failed
 * segment or after it is yielded.
 */
export async function* openSealed(source: ByteSource, options: OpenSealedOptions): AsyncGenerator<Uint8Array, void, undefined> {
  const queue = new ChunkQueue();
  let opened: OpenedSealedHeader | undefined;
  let frameLength = 0;
  let index = 0;
  const checkAbort = () => {
    if (options.signal?.aborted) throw new SdkError("ABORTED", "aborted", {}, { cause: options.signal.reason });
  };
  for await (const chunk of chunksOf(source)) {
    checkAbort();
    queue.push(chunk);
    if (opened === undefined) {
      if (queue.length < HEADER_LENGTH) continue;
      opened = await openSealedHeader(queue.take(HEADER_LENGTH), options.key, options.modelId);
      frameLength = opened.header.segmentSize + TAG_LENGTH;
    }
    // Strictly more than a frame: bytes follow, so this frame must not be the final one.
    while (queue.length > frameLength) {
      yield await openFrameAt(opened, index++, "inner", queue.take(frameLength));
      checkAbort();
    }
  }
  if (opened === undefined) {
    throw sealedError.truncated(queue.length === 0 ? "empty input: not a sealed stream" : "the sealed stream ended inside its header");
  }
  if (!canBeFinalFrame(index, queue.length)) throw sealedError.truncated();
  const last = await openFrameAt(opened, index, "last", queue.take(queue.length));
  if (last.length > 0) yield last;
}

/**
 * Opens frame `index` at its position: its plaintext, or the error its position makes of it. The
 * flag a valid stream has there is tried first, the other only on failure, to name the failure.
 */
async function openFrameAt(opened: OpenedSealedHeader, index: number, position: FramePosition, frame: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  let final: boolean | undefined = expectedFinal(position);
  let plain = await openSealedSegment(opened, index, final, frame);
  if (plain === null) {
    final = !final;
    plain = await openSealedSegment(opened, index, final, frame);
    if (plain === null) final = undefined;
  }
  const error = frameVerdict(position, index, final, SEALED_ERRORS);
  if (error !== undefined) throw error;
  return plain!;
}

// ---- random access: plaintext byte ranges from ciphertext ranges (HTTP Range requests) ----------

/** Reads bytes [start, end) of a sealed stream (e.g. a `Range` request to a node's /v1/content). */
export type ReadSealedBytes = ReadSealedRange;

/** Reads in flight (default 8), span sizes (at most maxReadBytes, not cut below minReadBytes: 4 MiB each by default), signal. */
export type SealedRangeOptions = ParallelReadOptions;

export interface SealedRangeReaderOptions extends SealedRangeOptions {
  key: Uint8Array;
  modelId?: Uint8Array;
  /** Total length of the sealed stream (a manifest's sealedSize). */
  sealedLength: number;
  read: ReadSealedBytes;
  /** Given (the manifest says it), frame 0 comes with the header in one read. */
  segmentSize?: number;
}

/**
 * Random access into a sealed stream: frame i lies at [112 + i(S+16), min(112 + (i+1)(S+16),
 * total)), the last one is final (sealedLayout, as the node cuts them). Frames are read as a few spans at once and released in order,
 * each only after its tag verified: the plan and the in-order reads are crypto/sealed/range-plan.ts,
 * the node's own; frames are opened here with WebCrypto.
 */
export class SealedRangeReader {
  readonly segmentSize: number;
  readonly segmentCount: number;
  readonly plaintextLength: number;
  readonly #source: SpanSource;

  private constructor(opened: OpenedSealedHeader, prefix: Uint8Array, options: SealedRangeReaderOptions) {
    const layout = sealedLayout(opened.header.segmentSize, options.sealedLength, SEALED_ERRORS);
    this.segmentSize = layout.segmentSize;
    this.segmentCount = layout.segmentCount;
    this.plaintextLength = layout.plaintextLength;
    this.#source = {
      layout,
      prefix,
      defaults: { concurrency: options.concurrency, maxReadBytes: options.maxReadBytes, minReadBytes: options.minReadBytes, signal: options.signal },
      errors: SEALED_ERRORS,
      read: options.read,
      openFrames: async (first, frames) => {
        const opening = frames.map((frame, i) => openFrameAt(opened, first + i, framePosition(layout, first + i), new Uint8Array(frame)));
        // Settled in order, so a span with two bad frames names the first, as the node's reader does.
        const results = await Promise.allSettled(opening);
        return results.map((result) => {
          if (result.status === "rejected") throw result.reason;
          return result.value;
        });
      },
    };
  }

  static async open(options: SealedRangeReaderOptions): Promise<SealedRangeReader> {
    const want = options.segmentSize === undefined ? HEADER_LENGTH : HEADER_LENGTH + options.segmentSize + TAG_LENGTH;
    const end = Math.min(want, options.sealedLength);
    const prefix = await options.read(0, end, options.signal);
    if (prefix.length !== end) throw sealedError.truncated(`short read of the stream's first ${end} bytes`);
    return new SealedRangeReader(await openSealedHeader(prefix.subarray(0, HEADER_LENGTH), options.key, options.modelId), prefix, options);
  }

  /** Plaintext of segments `indices` (ascending, no repeats), in order. */
  segments(indices: readonly number[], options: SealedRangeOptions = {}): AsyncGenerator<{ index: number; plaintext: Uint8Array }, void, undefined> {
    return readSegments(this.#source, indices, options);
  }

  /** Plaintext of `ranges` (sorted, not overlapping) as pieces tagged with their range's index. */
  ranges(ranges: readonly { start: number; end: number }[], options: SealedRangeOptions = {}): AsyncGenerator<{ range: number; bytes: Uint8Array }, void, undefined> {
    return readRanges(this.#source, ranges, options);
  }

  /** Plaintext bytes [start, end) as one array. */
  bytes(start: number, end: number, options: SealedRangeOptions = {}): Promise<Uint8Array> {
    return readBytes(this.#source, start, end, options);
  }
}
