/**
 * Streaming seal and open. Both are async generators: they pull from the source only as fast
 * as the consumer pulls from them (backpressure), and hold at most one segment plus one source
 * chunk in memory, whatever the model size.
 */
import { InvalidArgumentError, SegmentAuthenticationError, TrailingDataError, TruncatedStreamError } from "../errors.js";
import { ChunkQueue, joinPieces } from "./chunk-queue.js";
import { DEFAULT_SEGMENT_SIZE, HEADER_LENGTH, TAG_LENGTH } from "./format.js";
import { createHeader, openHeader, type OpenedHeader } from "./header.js";
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
export function sealSegment(opened: OpenedHeader, index: number, final: boolean, pieces: readonly Uint8Array[]): Buffer[] {
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
): Buffer[] | null {
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
  const opened = createHeader({ ...options, segmentSize });
  yield opened.header.bytes;
  const queue = new ChunkQueue();
  let index = 0;
  for await (const chunk of source) {
    queue.push(chunk);
    // Strictly more than a segment: a later byte exists, so this segment is not the final one.
    while (queue.length > segmentSize) yield* sealSegment(opened, index++, false, queue.take(segmentSize));
  }
  yield* sealSegment(opened, index, true, queue.take(queue.length));
}

/**
 * Opens a sealed stream: checks the header, then yields each segment's plaintext only after
 * that segment authenticated. Any failure throws a SealedStreamError subclass, and nothing of
 * the failed segment or after it is released.
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
      opened = openHeader(joinPieces(queue.take(HEADER_LENGTH)), options.key, options.modelId);
      frameLength = opened.header.segmentSize + TAG_LENGTH;
    }
    while (queue.length > frameLength) {
      yield* openInnerFrame(opened, index++, queue.take(frameLength), frameLength);
    }
  }
  if (opened === undefined) {
    if (queue.length === 0) throw new InvalidArgumentError("empty input: not a sealed stream");
    throw new TruncatedStreamError("the sealed stream ended inside its header");
  }
  const remaining = queue.length;
  yield* openLastFrame(opened, index, queue.take(remaining), remaining);
}

/** A frame with more bytes after it: it must be a non-final segment. */
function* openInnerFrame(opened: OpenedHeader, index: number, frame: Uint8Array[], frameLength: number) {
  const plain = openSegment(opened, index, false, frame, frameLength);
  if (plain !== null) return yield* plain;
  if (openSegment(opened, index, true, frame, frameLength) !== null) throw new TrailingDataError();
  throw new SegmentAuthenticationError(index);
}

/** The bytes left at the end of the input: they must form the final segment. */
function* openLastFrame(opened: OpenedHeader, index: number, frame: Uint8Array[], length: number) {
  const frameLength = opened.header.segmentSize + TAG_LENGTH;
  if (length < TAG_LENGTH) throw new TruncatedStreamError();
  const plain = openSegment(opened, index, true, frame, length);
  if (plain !== null) return yield* plain;
  // A full frame that opens as non-final means the stream was cut at a segment boundary.
  if (length === frameLength && openSegment(opened, index, false, frame, length) !== null) {
    throw new TruncatedStreamError();
  }
  throw new SegmentAuthenticationError(index);
}
