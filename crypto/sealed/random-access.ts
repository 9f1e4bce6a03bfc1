/**
 * Random access into a sealed stream: decrypt segment i, or plaintext byte ranges, from the
 * header and only the frames that hold them (e.g. byte ranges of a UnixFS file on IPFS, or HTTP
 * Range requests). Frames are read as a few spans at once (`concurrency` reads in flight, each at
 * most `maxReadBytes`), decrypted as each span arrives, and released in order: memory stays
 * below concurrency × maxReadBytes whatever the range.
 */
import { InvalidArgumentError, SegmentAuthenticationError, TruncatedStreamError } from "../errors.js";
import { joinPieces } from "./chunk-queue.js";
import { frameRange, HEADER_LENGTH, sealedLayout, TAG_LENGTH, type SealedLayout } from "./format.js";
import { openHeader, type OpenedHeader } from "./header.js";
import { openSegment } from "./stream.js";

/** Reads bytes [start, end) of the sealed stream (a local file, an HTTP range, a UnixFS cat). */
export type ReadSealedRange = (start: number, end: number, signal?: AbortSignal) => Promise<Uint8Array>;

/** Reads in flight at once, by default. */
export const DEFAULT_READ_CONCURRENCY = 8;
/** Largest span one read asks for, by default (4 frames of the default size). */
export const DEFAULT_MAX_READ_BYTES = 4 << 20;
/**
 * Spans are not cut below this, by default: a request to a node costs a DAG walk and a fetch
 * session, so a 7 MB tensor came in faster as 2 requests than as 7 (bench:repo, ~100 vs ~145 ms).
 */
export const DEFAULT_MIN_READ_BYTES = 4 << 20;

export interface ParallelReadOptions {
  concurrency?: number;
  maxReadBytes?: number;
  minReadBytes?: number;
  signal?: AbortSignal;
}

export interface SealedReaderOptions extends ParallelReadOptions {
  key: Uint8Array;
  /** The stream's first 112 bytes (or give `prefix`). */
  header?: Uint8Array;
  /** Bytes [0, n) of the stream already in hand, n ≥ 112: frames wholly inside are not read again. */
  prefix?: Uint8Array;
  /** Total length of the sealed stream. A wrong length makes the final-segment check fail. */
  sealedLength: number;
  read: ReadSealedRange;
  modelId?: Uint8Array;
}

/** A plaintext byte range [start, end). */
export interface PlainRange {
  start: number;
  end: number;
}

/** The segments [first, last] whose plaintext overlaps [start, end); undefined for an empty range. */
export function coveringSegments(segmentSize: number, start: number, end: number): { first: number; last: number } | undefined {
  if (end <= start) return undefined;
  return { first: Math.floor(start / segmentSize), last: Math.floor((end - 1) / segmentSize) };
}

/** Consecutive segments read with one request; `cached` ones are already in the prefix. */
interface ReadPlan {
  first: number;
  count: number;
  cached: boolean;
}

export class SealedReader {
  readonly layout: SealedLayout;
  readonly #opened: OpenedHeader;
  readonly #read: ReadSealedRange;
  readonly #prefix: Uint8Array;
  readonly #defaults: ParallelReadOptions;

  constructor(options: SealedReaderOptions) {
    const header = options.header ?? options.prefix?.subarray(0, HEADER_LENGTH);
    if (header === undefined) throw new InvalidArgumentError("give the sealed header (or a prefix of the stream)");
    this.#opened = openHeader(header, options.key, options.modelId);
    this.layout = sealedLayout(this.#opened.header.segmentSize, options.sealedLength);
    this.#read = options.read;
    this.#prefix = options.prefix ?? new Uint8Array(0);
    this.#defaults = { concurrency: options.concurrency, maxReadBytes: options.maxReadBytes, minReadBytes: options.minReadBytes, signal: options.signal };
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
    return new SealedReader({ ...options, prefix });
  }

  /** Plaintext length of the whole model. */
  get plaintextLength(): number {
    return this.layout.plaintextLength;
  }

  /** Decrypts and authenticates one frame read from segment `index`'s position. */
  openFrame(index: number, frame: Uint8Array): Uint8Array {
    const { start, end } = frameRange(this.layout, index);
    if (frame.length !== end - start) throw new TruncatedStreamError(`segment ${index}: short read`);
    const plain = openSegment(this.#opened, index, index === this.layout.segmentCount - 1, [frame], frame.length);
    if (plain === null) throw new SegmentAuthenticationError(index);
    return joinPieces(plain);
  }

  /** Decrypts and authenticates segment `index` alone. */
  async segment(index: number): Promise<Uint8Array> {
    const { start, end } = frameRange(this.layout, index);
    const frame = end <= this.#prefix.length ? this.#prefix.subarray(start, end) : await this.#read(start, end, this.#defaults.signal);
    return this.openFrame(index, frame);
  }

  /**
   * Yields the plaintext of segments `indices` (ascending, no repeats) in that order. Runs of
   * consecutive segments are read as spans, up to `concurrency` at once.
   */
  async *segments(indices: readonly number[], options: ParallelReadOptions = {}): AsyncGenerator<{ index: number; plaintext: Uint8Array }, void, undefined> {
    const concurrency = options.concurrency ?? this.#defaults.concurrency ?? DEFAULT_READ_CONCURRENCY;
    const maxReadBytes = options.maxReadBytes ?? this.#defaults.maxReadBytes ?? DEFAULT_MAX_READ_BYTES;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new InvalidArgumentError("concurrency must be a positive integer");
    const minReadBytes = options.minReadBytes ?? this.#defaults.minReadBytes ?? DEFAULT_MIN_READ_BYTES;
    for (const [name, value] of [["maxReadBytes", maxReadBytes], ["minReadBytes", minReadBytes]] as const) {
      if (!Number.isSafeInteger(value) || value < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
    }
    const plans = this.#plan(indices, concurrency, minReadBytes, maxReadBytes);
    const controller = new AbortController();
    const outer = options.signal ?? this.#defaults.signal;
    const onAbort = () => controller.abort(outer?.reason);
    outer?.addEventListener("abort", onAbort, { once: true });
    if (outer?.aborted) onAbort();
    const inFlight: Promise<Uint8Array[]>[] = [];
    let next = 0;
    const launch = () => {
      const pending = this.#readPlan(plans[next++]!, controller.signal);
      pending.catch(() => {}); // awaited in order below; a failure behind the head must not go unhandled
      inFlight.push(pending);
    };
    try {
      while (inFlight.length < concurrency && next < plans.length) launch();
      for (let p = 0; inFlight.length > 0; p++) {
        const plaintexts = await inFlight.shift()!;
        if (next < plans.length) launch(); // keep the window full while the consumer works
        const { first } = plans[p]!;
        for (let i = 0; i < plaintexts.length; i++) yield { index: first + i, plaintext: plaintexts[i]! };
      }
    } finally {
      outer?.removeEventListener("abort", onAbort);
      controller.abort(); // the consumer stopped or a read failed: cancel what is still running
    }
  }

  /**
   * Yields the plaintext of `ranges` (sorted, not overlapping) in order, as pieces tagged with the
   * index of their range, reading each covering segment once (segments shared by neighbouring
   * ranges included).
   */
  async *ranges(ranges: readonly PlainRange[], options: ParallelReadOptions = {}): AsyncGenerator<{ range: number; bytes: Uint8Array }, void, undefined> {
    const indices: number[] = [];
    let previousEnd = 0;
    for (const { start, end } of ranges) {
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > this.plaintextLength) {
        throw new InvalidArgumentError(`range [${start}, ${end}) outside the plaintext [0, ${this.plaintextLength})`);
      }
      if (start < previousEnd) throw new InvalidArgumentError("ranges must be sorted and must not overlap");
      previousEnd = end;
      const covering = coveringSegments(this.layout.segmentSize, start, end);
      if (covering === undefined) continue;
      for (let i = Math.max(covering.first, (indices.at(-1) ?? -1) + 1); i <= covering.last; i++) indices.push(i);
    }
    const size = this.layout.segmentSize;
    let open = 0;
    for await (const { index, plaintext } of this.segments(indices, options)) {
      const segmentStart = index * size;
      const segmentEnd = segmentStart + plaintext.length;
      for (let k = open; k < ranges.length && ranges[k]!.start < segmentEnd; k++) {
        const { start, end } = ranges[k]!;
        const from = Math.max(start, segmentStart);
        const to = Math.min(end, segmentEnd);
        if (to > from) yield { range: k, bytes: plaintext.subarray(from - segmentStart, to - segmentStart) };
        if (end <= segmentEnd) open = k + 1;
      }
    }
  }

  /** Yields plaintext bytes [start, end), decrypting only the segments that overlap it. */
  async *range(start: number, end = this.plaintextLength, options: ParallelReadOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
    for await (const piece of this.ranges([{ start, end }], options)) yield piece.bytes;
  }

  /** Plaintext bytes [start, end) as one array. */
  async bytes(start: number, end: number, options: ParallelReadOptions = {}): Promise<Uint8Array> {
    const out = new Uint8Array(Math.max(0, end - start));
    let offset = 0;
    for await (const piece of this.range(start, end, options)) {
      out.set(piece, offset);
      offset += piece.length;
    }
    return out;
  }

  /**
   * Spans to read: runs of consecutive segments cut into about `concurrency` reads, each at most
   * maxReadBytes and, where the run allows, at least minReadBytes (whole frames always).
   */
  #plan(indices: readonly number[], concurrency: number, minReadBytes: number, maxReadBytes: number): ReadPlan[] {
    const { frameLength } = this.layout;
    const most = Math.max(1, Math.floor(maxReadBytes / frameLength));
    const least = Math.min(most, Math.max(1, Math.ceil(minReadBytes / frameLength)));
    const perRead = Math.min(most, Math.max(least, Math.ceil(indices.length / concurrency)));
    const plans: ReadPlan[] = [];
    for (let i = 0; i < indices.length; i++) {
      const index = indices[i]!;
      frameRange(this.layout, index); // throws for an index outside the stream
      if (i > 0 && index <= indices[i - 1]!) throw new InvalidArgumentError("segment indices must be ascending, without repeats");
      const cached = frameRange(this.layout, index).end <= this.#prefix.length;
      const last = plans.at(-1);
      if (last !== undefined && !cached && !last.cached && last.first + last.count === index && last.count < perRead) last.count++;
      else plans.push({ first: index, count: 1, cached });
    }
    return plans;
  }

  /** Reads one span and decrypts its frames as soon as it arrives. */
  async #readPlan(plan: ReadPlan, signal: AbortSignal): Promise<Uint8Array[]> {
    const start = frameRange(this.layout, plan.first).start;
    const end = frameRange(this.layout, plan.first + plan.count - 1).end;
    const span = plan.cached ? this.#prefix.subarray(start, end) : await this.#read(start, end, signal);
    if (span.length !== end - start) throw new TruncatedStreamError(`segments ${plan.first}..${plan.first + plan.count - 1}: short read`);
    const out: Uint8Array[] = [];
    for (let i = 0; i < plan.count; i++) {
      const frame = frameRange(this.layout, plan.first + i);
      out.push(this.openFrame(plan.first + i, span.subarray(frame.start - start, frame.end - start)));
    }
    return out;
  }
}
