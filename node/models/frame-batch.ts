/**
 * A batch of consecutive sealed frames in shared memory, and where its bytes sit: the layout
 * that the main thread (frame-sealer.ts, sealed-leaves.ts) and the workers
 * (frame-sealer-worker.ts) agree on.
 */
import { HEADER_LENGTH, TAG_LENGTH } from "../../crypto/sealed/format.js";
import { STORAGE_SEGMENT_SIZE } from "../storage/storage-tree.js";

/**
 * Consecutive frames in one shared buffer, frame j at j * frameLength: its plaintext before
 * sealing, its frame (ciphertext and tag) after. All but the last hold a full segment.
 */
export interface FrameBatch {
  /** A view of a SharedArrayBuffer, from offset 0. */
  slot: Uint8Array;
  /** Segment number of frame 0. */
  firstIndex: number;
  count: number;
  /** Plaintext bytes of the last frame. */
  lastLength: number;
  /** Whether the last frame is the stream's final segment. */
  final: boolean;
  /** Where this sealed stream starts in the storage tree's stream: 0 for a one-file model, the
   * sealed sizes of the files before it for a file of a directory model (their concatenation). */
  base: number;
}

export type FrameRequest =
  | { type: "seal"; key: Uint8Array; aad: Uint8Array; noncePrefix: Uint8Array; frameLength: number; batch: FrameBatch }
  | { type: "node"; leaves: Uint8Array; k: number };

export interface SealedBatch {
  /** SHA-256 of each frame, 32 bytes apiece. */
  digests: Uint8Array;
  /** Storage-tree leaves of the whole segments inside the batch, from segment `firstSegment`. */
  leaves: Uint8Array;
  firstSegment: number;
}

/** [start, end) of frame j in the batch's slot, once sealed. */
export function sealedFrameRange(frameLength: number, batch: FrameBatch, j: number): [number, number] {
  const start = j * frameLength;
  return [start, start + (j === batch.count - 1 ? batch.lastLength + TAG_LENGTH : frameLength)];
}

/** Where the batch's first byte sits in the storage tree's stream (every earlier frame is full). */
export function batchStreamOffset(frameLength: number, batch: FrameBatch): number {
  return batch.base + HEADER_LENGTH + batch.firstIndex * frameLength;
}

/** The whole storage segments inside `length` stream bytes from `offset`: [first, end). */
export function segmentsWithin(offset: number, length: number): [number, number] {
  const first = Math.ceil(offset / STORAGE_SEGMENT_SIZE);
  return [first, Math.max(first, Math.floor((offset + length) / STORAGE_SEGMENT_SIZE))];
}
