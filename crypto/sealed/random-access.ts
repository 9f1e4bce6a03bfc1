/**
 * Random access into a sealed stream: decrypt segment i, or plaintext byte ranges, from the
 * header and only the frames that hold them (e.g. byte ranges of a UnixFS file on IPFS, or HTTP
 * Range requests). Frames are read as a few spans at once (`concurrency` reads in flight, each at
 * most `maxReadBytes`), decrypted as each span arrives, and released in order: memory stays
 * below concurrency × maxReadBytes whatever the range. The planning and the in-order reads are
 * range-plan.ts; frames are opened with the platform's AES-GCM (node:crypto or WebCrypto).
 */
import { InvalidArgumentError, TruncatedStreamError } from "../errors.js";
import { joinPieces } from "./chunk-queue.js";
import { frameRange, HEADER_LENGTH, sealedLayout, TAG_LENGTH, type SealedLayout } from "./format.js";
import { openHeader, type OpenedHeader } from "./header.js";
import { readBytes, readRanges, readSegments, type ParallelReadOptions, type PlainRange, type ReadSealedRange, type SpanSource } from "./range-plan.js";
import { framePosition } from "./reader-rules.js";
import { openFrameAt, SEALED_ERRORS } from "./stream.js";

export { coveringSegments, DEFAULT_MAX_READ_BYTES, DEFAULT_MIN_READ_BYTES, DEFAULT_READ_CONCURRENCY, type ParallelReadOptions, type PlainRange, type ReadSealedRange } from "./range-plan.js";

export interface SealedReaderOptions extends ParallelReadOptions {
  key: Uint8Array;
  /** The stream's first 112 bytes (or give `prefix`). */
  header?: Uint8Array;
  /** Bytes [0, n) of the stream already in hand, n ≥ 112: frames wholly inside are not read again. */
  prefix?: Uint8Array;
  /** Total length of the sealed stream. A wrong length makes the last segment read fail. */
  sealedLength: number;
  read: ReadSealedRange;
  modelId?: Uint8Array;
}

export class SealedReader {
  readonly layout: SealedLayout;
  readonly #opened: OpenedHeader;
  readonly #source: SpanSource;

  private constructor(opened: OpenedHeader, options: SealedReaderOptions) {
    this.#opened = opened;
    this.layout = sealedLayout(opened.header.segmentSize, options.sealedLength);
    this.#source = {
      layout: this.layout,
      prefix: options.prefix ?? new Uint8Array(0),
      defaults: { concurrency: options.concurrency, maxReadBytes: options.maxReadBytes, minReadBytes: options.minReadBytes, signal: options.signal },
      errors: SEALED_ERRORS,
      read: options.read,
      openFrames: async (first, frames) => {
        const opening = frames.map((frame, i) => this.openFrame(first + i, frame));
        // Settled in order, so a span with two bad frames names the first.
        const results = await Promise.allSettled(opening);
        return results.map((result) => {
          if (result.status === "rejected") throw result.reason;
          return result.value;
        });
      },
    };
  }

  /** A reader over a stream whose header (or a prefix) is in hand: checks the header against the key. */
  static async create(options: SealedReaderOptions): Promise<SealedReader> {
    const header = options.header ?? options.prefix?.subarray(0, HEADER_LENGTH);
    if (header === undefined) throw new InvalidArgumentError("give the sealed header (or a prefix of the stream)");
    return new SealedReader(await openHeader(header, options.key, options.modelId), options);
  }

  /**
   * Reads the header and, given the segment size (the manifest says it), frame 0 with it: one
   * request for the header and the first segment, which is where a file format's header lies.
   */
  static async open(options: Omit<SealedReaderOptions, "header" | "prefix"> & { segmentSize?: number }): Promise<SealedReader> {
    const want = options.segmentSize === undefined ? HEADER_LENGTH : HEADER_LENGTH + options.segmentSize + TAG_LENGTH;
    const end = Math.min(want, options.sealedLength);
    const prefix = await options.read(0, end, options.signal);
    if (prefix.length !== end) throw new TruncatedStreamError(`short read of the stream's first ${end} bytes`);
    return SealedReader.create({ ...options, prefix });
  }

  /** Plaintext length of the whole model. */
  get plaintextLength(): number {
    return this.layout.plaintextLength;
  }

  /** Decrypts and authenticates one frame read from segment `index`'s position. */
  async openFrame(index: number, frame: Uint8Array): Promise<Uint8Array> {
    const { start, end } = frameRange(this.layout, index);
    if (frame.length !== end - start) throw new TruncatedStreamError(`segment ${index}: short read`);
    const plain = await openFrameAt(this.#opened, index, framePosition(this.layout, index), [frame], frame.length);
    return plain.length === 0 ? new Uint8Array(0) : joinPieces(plain);
  }

  /** Decrypts and authenticates segment `index` alone. */
  async segment(index: number): Promise<Uint8Array> {
    const { start, end } = frameRange(this.layout, index);
    const { prefix, defaults, read } = this.#source;
    const frame = end <= prefix.length ? prefix.subarray(start, end) : await read(start, end, defaults.signal);
    return this.openFrame(index, frame);
  }

  /**
   * Yields the plaintext of segments `indices` (ascending, no repeats) in that order. Runs of
   * consecutive segments are read as spans, up to `concurrency` at once (range-plan.ts).
   */
  segments(indices: readonly number[], options: ParallelReadOptions = {}): AsyncGenerator<{ index: number; plaintext: Uint8Array }, void, undefined> {
    return readSegments(this.#source, indices, options);
  }

  /**
   * Yields the plaintext of `ranges` (sorted, not overlapping) in order, as pieces tagged with the
   * index of their range, reading each covering segment once (segments shared by neighbouring
   * ranges included).
   */
  ranges(ranges: readonly PlainRange[], options: ParallelReadOptions = {}): AsyncGenerator<{ range: number; bytes: Uint8Array }, void, undefined> {
    return readRanges(this.#source, ranges, options);
  }

  /** Yields plaintext bytes [start, end), decrypting only the segments that overlap it. */
  async *range(start: number, end = this.plaintextLength, options: ParallelReadOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
    for await (const piece of this.ranges([{ start, end }], options)) yield piece.bytes;
  }

  /** Plaintext bytes [start, end) as one array. */
  bytes(start: number, end: number, options: ParallelReadOptions = {}): Promise<Uint8Array> {
    return readBytes(this.#source, start, end, options);
  }
}
