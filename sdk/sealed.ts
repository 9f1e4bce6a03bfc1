/**
 * Sealed streams (docs/FORMAT.md, version 1) in the SDK: crypto/sealed/, the node's own
 * implementation, on the browser platform (WebCrypto AES-256-GCM, crypto/platform/browser.ts),
 * with its failures as SdkErrors (SEALED_*, WRONG_KEY) and what only a browser needs: ReadableStream
 * sources (Safari's are not async-iterable) and an abort signal.
 */
import { joinPieces } from "../crypto/sealed/chunk-queue.js";
import { parseHeader, type SealedHeader } from "../crypto/sealed/format.js";
import { openHeader, type OpenedHeader } from "../crypto/sealed/header.js";
import { SealedReader } from "../crypto/sealed/random-access.js";
import type { ParallelReadOptions, ReadSealedRange } from "../crypto/sealed/range-plan.js";
import { segmentNonce as coreSegmentNonce } from "../crypto/sealed/segment.js";
import { open, openSegment } from "../crypto/sealed/stream.js";
import { abortedError, sdkAsync, sdkStream, sdkSync } from "./errors.js";

export { HEADER_LENGTH, TAG_LENGTH, type SealedHeader } from "../crypto/sealed/format.js";

/** A header checked against a key, with what opening its segments needs. */
export type OpenedSealedHeader = OpenedHeader;

/** Structure only: magic, version, segment size. Authenticity needs the key (openSealedHeader). */
export function parseSealedHeader(bytes: Uint8Array): SealedHeader {
  return sdkSync(() => parseHeader(bytes));
}

/** Checks, in order: structure, key commitment (WRONG_KEY), header tag, then the expected model id. */
export function openSealedHeader(bytes: Uint8Array, key: Uint8Array, expectedModelId?: Uint8Array): Promise<OpenedSealedHeader> {
  return sdkAsync(() => openHeader(bytes, key, expectedModelId));
}

export function segmentNonce(prefix: Uint8Array, index: number, final: boolean): Uint8Array {
  return sdkSync(() => coreSegmentNonce(prefix, index, final));
}

/** Opens one frame (ciphertext || tag) at its position; null when it does not authenticate. */
export function openSealedSegment(opened: OpenedSealedHeader, index: number, final: boolean, frame: Uint8Array): Promise<Uint8Array | null> {
  return sdkAsync(async () => {
    const plain = await openSegment(opened, index, final, [frame], frame.length);
    return plain === null ? null : joinPieces(plain);
  });
}

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | ReadableStream<Uint8Array>;

export interface OpenSealedOptions {
  key: Uint8Array;
  /** When given, a stream sealed for another model is refused (SEALED_MODEL_MISMATCH). */
  modelId?: Uint8Array;
  signal?: AbortSignal;
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

/** The source's chunks, checking `signal` before each one is taken. */
async function* chunksOf(source: ByteSource, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array, void, undefined> {
  const chunks = typeof (source as ReadableStream<Uint8Array>).getReader === "function" ? iterateStream(source as ReadableStream<Uint8Array>) : (source as AsyncIterable<Uint8Array> | Iterable<Uint8Array>);
  for await (const chunk of chunks) {
    if (signal?.aborted) throw abortedError(signal);
    yield chunk;
  }
}

/**
 * Opens a sealed stream: checks the header, then yields each segment's plaintext only after it
 * authenticated (crypto/sealed/stream.ts open). Any failure throws an SdkError (SEALED_* or
 * WRONG_KEY); nothing of a failed segment or after it is yielded.
 */
export async function* openSealed(source: ByteSource, options: OpenSealedOptions): AsyncGenerator<Uint8Array, void, undefined> {
  const { signal } = options;
  for await (const plaintext of sdkStream(open(chunksOf(source, signal), { key: options.key, modelId: options.modelId }))) {
    yield plaintext;
    if (signal?.aborted) throw abortedError(signal);
  }
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
 * Random access into a sealed stream: crypto/sealed/random-access.ts's SealedReader (frames read
 * as a few spans at once, each released in order only after its tag verified), with SdkErrors.
 */
export class SealedRangeReader {
  readonly segmentSize: number;
  readonly segmentCount: number;
  readonly plaintextLength: number;
  readonly #reader: SealedReader;

  private constructor(reader: SealedReader) {
    this.#reader = reader;
    this.segmentSize = reader.layout.segmentSize;
    this.segmentCount = reader.layout.segmentCount;
    this.plaintextLength = reader.layout.plaintextLength;
  }

  static open(options: SealedRangeReaderOptions): Promise<SealedRangeReader> {
    return sdkAsync(async () => new SealedRangeReader(await SealedReader.open(options)));
  }

  /** Plaintext of segments `indices` (ascending, no repeats), in order. */
  segments(indices: readonly number[], options: SealedRangeOptions = {}): AsyncGenerator<{ index: number; plaintext: Uint8Array }, void, undefined> {
    return sdkStream(this.#reader.segments(indices, options));
  }

  /** Plaintext of `ranges` (sorted, not overlapping) as pieces tagged with their range's index. */
  ranges(ranges: readonly { start: number; end: number }[], options: SealedRangeOptions = {}): AsyncGenerator<{ range: number; bytes: Uint8Array }, void, undefined> {
    return sdkStream(this.#reader.ranges(ranges, options));
  }

  /** Plaintext bytes [start, end) as one array. */
  bytes(start: number, end: number, options: SealedRangeOptions = {}): Promise<Uint8Array> {
    return sdkAsync(() => this.#reader.bytes(start, end, options));
  }
}
