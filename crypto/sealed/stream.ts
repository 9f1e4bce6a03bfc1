/**
 * Streaming seal and open. Both are async generators: they pull from the source only as fast
 * as the consumer pulls from them (backpressure), and hold at most one segment plus one source
 * chunk in memory, whatever the model size.
 */
import { InvalidArgumentError, MalformedHeaderError, SegmentAuthenticationError, TrailingDataError, TruncatedStreamError } from "../errors.js";
import { ChunkQueue, joinPieces } from "./chunk-queue.js";
import { canBeFinalFrame, DEFAULT_SEGMENT_SIZE, HEADER_LENGTH, TAG_LENGTH } from "./format.js";
import { createHeader, openHeader, type OpenedHeader } from "./header.js";
import { expectedFinal, frameVerdict, type FramePosition, type SealedErrors } from "./reader-rules.js";
import { gcmOpen, gcmSeal, segmentNonce } from "./segment.js";

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export interface SealOptions {
  /** 32-byte content key. */
  key: Uint8Array;
  /** 32-byte model id, bound into the header and every segment. */
  modelId: Uint8Array;
  /** Plaintext bytes per segment; the default makes each ciphertext frame exactly 1 MiB. */
  segmentSize?: number;
  /** Tests and test vectors only: a fixed nonce prefix. */
  noncePrefix?: Uint8Array;
}

export interface OpenOptions {
  key: Uint8Array;
  /** When given, a stream sealed for another model is refused with ModelMismatchError. */
  modelId?: Uint8Array;
}

/** Encrypts segment `index` of an opened header. */
export function sealSegment(opened: OpenedHeader, index: number, final: boolean, pieces: readonly Uint8Array[]): Promise<Uint8Array[]> {
  const nonce = segmentNonce(opened.header.noncePrefix, index, final);
  return gcmSeal(opened.segmentKey, nonce, opened.aad, pieces);
}

/** Decrypts segment `index`, or null when it does not authenticate with this final flag. */
export function openSegment(
  opened: OpenedHeader,
  index: number,
  final: boolean,
  frame: readonly Uint8Array[],
  frameLength: number,
): Promise<Uint8Array[] | null> {
  const nonce = segmentNonce(opened.header.noncePrefix, index, final);
  return gcmOpen(opened.segmentKey, nonce, opened.aad, frame, frameLength);
}

/**
 * Seals a plaintext stream: yields the 112-byte header as one chunk, then the ciphertext
 * frames. A frame may arrive in several chunks (they are not joined, to save a copy); frame i
 * always starts at byte 112 + i * (segmentSize + 16), so a consumer cuts blocks by offset.
 */
export async function* seal(source: ByteSource, options: SealOptions): AsyncGenerator<Uint8Array, void, undefined> {
  const segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
  const opened = await createHeader({ ...options, segmentSize });
  yield opened.header.bytes;
  const queue = new ChunkQueue();
  let index = 0;
  for await (const chunk of source) {
    queue.push(chunk);
    // Strictly more than a segment: a later byte exists, so this segment is not the final one.
    while (queue.length > segmentSize) yield* await sealSegment(opened, index++, false, queue.take(segmentSize));
  }
  yield* await sealSegment(opened, index, true, queue.take(queue.length));
}

/** The reading rules (reader-rules.ts) throw crypto/'s own errors here. */
export const SEALED_ERRORS: SealedErrors = {
  invalidArgument: (message) => new InvalidArgumentError(message),
  truncated: (message) => new TruncatedStreamError(message),
  malformed: (message) => new MalformedHeaderError(message),
  trailing: () => new TrailingDataError(),
  segment: (index) => new SegmentAuthenticationError(index),
};

/**
 * Opens frame `index` at its position (reader-rules.ts): its plaintext pieces, or the error that
 * its position makes of it. The flag a valid stream has there is tried first; the other one only
 * on failure, to name the failure.
 */
export async function openFrameAt(opened: OpenedHeader, index: number, position: FramePosition, frame: readonly Uint8Array[], frameLength: number): Promise<Uint8Array[]> {
  let final: boolean | undefined = expectedFinal(position);
  let plain = await openSegment(opened, index, final, frame, frameLength);
  if (plain === null) {
    final = !final;
    plain = await openSegment(opened, index, final, frame, frameLength);
    if (plain === null) final = undefined;
  }
  const error = frameVerdict(position, index, final, SEALED_ERRORS);
  if (error !== undefined) throw error;
  return plain!;
}

/**
 * Opens a sealed stream: checks the header, then yields each segment's plaintext only after
 * that segment authenticated. A full frame is held back until a byte after it, or the end of
 * the input, says whether it must be final. Any failure throws a SealedStreamError subclass, and
 * nothing of the failed segment or after it is released (docs/FORMAT.md, "Reading a stream").
 */
export async function* open(source: ByteSource, options: OpenOptions): AsyncGenerator<Uint8Array, void, undefined> {
  const queue = new ChunkQueue();
  let opened: OpenedHeader | undefined;
  let frameLength = 0;
  let index = 0;
  for await (const chunk of source) {
    queue.push(chunk);
    if (opened === undefined) {
      if (queue.length < HEADER_LENGTH) continue;
      opened = await openHeader(joinPieces(queue.take(HEADER_LENGTH)), options.key, options.modelId);
      frameLength = opened.header.segmentSize + TAG_LENGTH;
    }
    // Strictly more than a frame: bytes follow, so this frame must not be the final one.
    while (queue.length > frameLength) yield* await openFrameAt(opened, index++, "inner", queue.take(frameLength), frameLength);
  }
  if (opened === undefined) {
    throw new TruncatedStreamError(queue.length === 0 ? "empty input: not a sealed stream" : "the sealed stream ended inside its header");
  }
  const remaining = queue.length;
  if (!canBeFinalFrame(index, remaining)) throw new TruncatedStreamError();
  yield* await openFrameAt(opened, index, "last", queue.take(remaining), remaining);
}
