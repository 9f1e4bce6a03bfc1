/**
 * Ranged reads of a sealed stream, planned and run: which frames go into which read (spans of
 * whole frames, about `concurrency` of them, each at most maxReadBytes and, where the run allows,
 * at least minReadBytes), reads run a few at once and released in order, the rest cancelled when
 * one fails or the consumer stops; then plaintext ranges cut out of the segments.
 *
 * Pure arithmetic over format.ts's layout: the reading, the decrypting and the error classes come
 * from the caller (random-access.ts's SealedReader, in the node and, behind SdkErrors, the SDK). Memory stays below
 * concurrency × maxReadBytes whatever the range.
 */
import { frameRange, type SealedLayout } from "./format.js";

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
  /** Reads in flight at once (default 8). */
  concurrency?: number;
  /** Largest span one read asks for (default 4 MiB). */
  maxReadBytes?: number;
  /** Spans are not cut below this where the run of frames allows (default 4 MiB). */
  minReadBytes?: number;
  signal?: AbortSignal;
}

/** Reads bytes [start, end) of the sealed stream (a local file, an HTTP range, a UnixFS cat). */
export type ReadSealedRange = (start: number, end: number, signal?: AbortSignal) => Promise<Uint8Array>;

/** A plaintext byte range [start, end). */
export interface PlainRange {
  start: number;
  end: number;
}

/** The caller's typed errors: crypto/errors.ts on the node, SdkError in the SDK. */
export interface RangeReadErrors {
  invalidArgument(message: string): Error;
  truncated(message: string): Error;
}

/** Consecutive segments [first, first + count) read with one request: ciphertext [start, end). */
export interface SpanPlan {
  first: number;
  count: number;
  /** Wholly inside the bytes already in hand: not read again. */
  cached: boolean;
  start: number;
  end: number;
}

/** The options of one call, over the reader's defaults, over the module's defaults; checked. */
export interface ReadLimits {
  concurrency: number;
  minReadBytes: number;
  maxReadBytes: number;
  signal?: AbortSignal;
}

export function readLimits(options: ParallelReadOptions, defaults: ParallelReadOptions, errors: RangeReadErrors): ReadLimits {
  const limits = {
    concurrency: options.concurrency ?? defaults.concurrency ?? DEFAULT_READ_CONCURRENCY,
    maxReadBytes: options.maxReadBytes ?? defaults.maxReadBytes ?? DEFAULT_MAX_READ_BYTES,
    minReadBytes: options.minReadBytes ?? defaults.minReadBytes ?? DEFAULT_MIN_READ_BYTES,
  };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) throw errors.invalidArgument(`${name} must be a positive integer`);
  }
  return { ...limits, signal: options.signal ?? defaults.signal };
}

/** The segments [first, last] whose plaintext overlaps [start, end); undefined for an empty range. */
export function coveringSegments(segmentSize: number, start: number, end: number): { first: number; last: number } | undefined {
  if (end <= start) return undefined;
  return { first: Math.floor(start / segmentSize), last: Math.floor((end - 1) / segmentSize) };
}

/**
 * Spans to read for segments `indices` (ascending, no repeats): runs of consecutive segments cut
 * into about `concurrency` reads, each at most maxReadBytes and, where the run allows, at least
 * minReadBytes (whole frames always). Frames wholly within the first `prefixLength` bytes of the
 * stream form spans of their own, marked cached.
 */
export function planSpans(layout: SealedLayout, indices: readonly number[], limits: ReadLimits, prefixLength: number, errors: RangeReadErrors): SpanPlan[] {
  const { frameLength } = layout;
  const most = Math.max(1, Math.floor(limits.maxReadBytes / frameLength));
  const least = Math.min(most, Math.max(1, Math.ceil(limits.minReadBytes / frameLength)));
  const perRead = Math.min(most, Math.max(least, Math.ceil(indices.length / limits.concurrency)));
  const plans: SpanPlan[] = [];
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i]!;
    if (!Number.isSafeInteger(index) || index < 0 || index >= layout.segmentCount) throw errors.invalidArgument(`segment ${index} out of range [0, ${layout.segmentCount})`);
    if (i > 0 && index <= indices[i - 1]!) throw errors.invalidArgument("segment indices must be ascending, without repeats");
    const frame = frameRange(layout, index);
    const cached = frame.end <= prefixLength;
    const last = plans.at(-1);
    if (last !== undefined && !cached && !last.cached && last.first + last.count === index && last.count < perRead) {
      last.count++;
      last.end = frame.end;
    } else plans.push({ first: index, count: 1, cached, start: frame.start, end: frame.end });
  }
  return plans;
}

/**
 * Runs `run` over `plans`, at most `concurrency` at once, and yields the results in plan order.
 * A failure is thrown when its turn comes; then (or when the consumer stops, or `signal` aborts)
 * the reads still running are cancelled through the signal each was given.
 */
export async function* inOrder<P, T>(
  plans: readonly P[],
  concurrency: number,
  signal: AbortSignal | undefined,
  run: (plan: P, signal: AbortSignal) => Promise<T>,
): AsyncGenerator<{ plan: P; result: T }, void, undefined> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) onAbort();
  const inFlight: Promise<T>[] = [];
  let next = 0;
  const launch = () => {
    const pending = run(plans[next++]!, controller.signal);
    pending.catch(() => {}); // awaited in order below; a failure behind the head must not go unhandled
    inFlight.push(pending);
  };
  try {
    while (inFlight.length < concurrency && next < plans.length) launch();
    for (let p = 0; inFlight.length > 0; p++) {
      const result = await inFlight.shift()!;
      if (next < plans.length) launch(); // keep the window full while the consumer works
      yield { plan: plans[p]!, result };
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    controller.abort(); // the consumer stopped or a read failed: cancel what is still running
  }
}

/** What the shared reads need from a reader: its layout, its bytes in hand, reading and opening. */
export interface SpanSource {
  readonly layout: SealedLayout;
  /** Bytes [0, n) of the stream already in hand. */
  readonly prefix: Uint8Array;
  readonly defaults: ParallelReadOptions;
  readonly errors: RangeReadErrors;
  read: ReadSealedRange;
  /** Decrypts and authenticates the frames of segments first, first + 1, …, as read. */
  openFrames(first: number, frames: Uint8Array[]): Uint8Array[] | Promise<Uint8Array[]>;
}

/** Reads one span (or takes it from the prefix) and opens its frames as soon as it arrives. */
export async function readSpan(source: SpanSource, plan: SpanPlan, signal: AbortSignal): Promise<Uint8Array[]> {
  const { start, end, first, count } = plan;
  const span = plan.cached ? source.prefix.subarray(start, end) : await source.read(start, end, signal);
  if (span.length !== end - start) throw source.errors.truncated(`segments ${first}..${first + count - 1}: short read`);
  const frames: Uint8Array[] = [];
  for (let i = first; i < first + count; i++) {
    const frame = frameRange(source.layout, i);
    frames.push(span.subarray(frame.start - start, frame.end - start));
  }
  return source.openFrames(first, frames);
}

/**
 * Yields the plaintext of segments `indices` (ascending, no repeats) in that order. Runs of
 * consecutive segments are read as spans, up to `concurrency` at once.
 */
export async function* readSegments(source: SpanSource, indices: readonly number[], options: ParallelReadOptions = {}): AsyncGenerator<{ index: number; plaintext: Uint8Array }, void, undefined> {
  const limits = readLimits(options, source.defaults, source.errors);
  const plans = planSpans(source.layout, indices, limits, source.prefix.length, source.errors);
  for await (const { plan, result } of inOrder(plans, limits.concurrency, limits.signal, (p, signal) => readSpan(source, p, signal))) {
    for (let i = 0; i < result.length; i++) yield { index: plan.first + i, plaintext: result[i]! };
  }
}

/** The segments that `ranges` (sorted, not overlapping, within the plaintext) cover, each once. */
export function segmentsOfRanges(layout: SealedLayout, ranges: readonly PlainRange[], errors: RangeReadErrors): number[] {
  const indices: number[] = [];
  let previousEnd = 0;
  for (const { start, end } of ranges) {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > layout.plaintextLength) {
      throw errors.invalidArgument(`range [${start}, ${end}) outside the plaintext [0, ${layout.plaintextLength})`);
    }
    if (start < previousEnd) throw errors.invalidArgument("ranges must be sorted and must not overlap");
    previousEnd = end;
    const covering = coveringSegments(layout.segmentSize, start, end);
    if (covering === undefined) continue;
    for (let i = Math.max(covering.first, (indices.at(-1) ?? -1) + 1); i <= covering.last; i++) indices.push(i);
  }
  return indices;
}

/**
 * Yields the plaintext of `ranges` (sorted, not overlapping) in order, as pieces tagged with the
 * index of their range, reading each covering segment once (segments shared by neighbouring
 * ranges included).
 */
export async function* readRanges(source: SpanSource, ranges: readonly PlainRange[], options: ParallelReadOptions = {}): AsyncGenerator<{ range: number; bytes: Uint8Array }, void, undefined> {
  const indices = segmentsOfRanges(source.layout, ranges, source.errors);
  const size = source.layout.segmentSize;
  let open = 0;
  for await (const { index, plaintext } of readSegments(source, indices, options)) {
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

/** Plaintext bytes [start, end) as one array. */
export async function readBytes(source: SpanSource, start: number, end: number, options: ParallelReadOptions = {}): Promise<Uint8Array> {
  const out = new Uint8Array(Math.max(0, end - start));
  let offset = 0;
  for await (const { bytes } of readRanges(source, [{ start, end }], options)) {
    out.set(bytes, offset);
    offset += bytes.length;
  }
  return out;
}
