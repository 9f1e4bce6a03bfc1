/**
 * Worker-thread body of frame-sealer.ts: seals a batch of frames in place, hashes each frame
 * for its CID and the batch's whole storage segments for the tree; or builds a storage-tree node.
 */
import { hash } from "node:crypto";
// The sealed-format modules alone: a light worker that starts fast.
import { TAG_LENGTH } from "../../crypto/sealed/format.js";
import { segmentNonce } from "../../crypto/sealed/segment.js";
import { aesGcmSealSync } from "../../crypto/platform/node.js";
import { hashSegments, STORAGE_SEGMENT_SIZE, storageNode } from "../storage/storage-tree.js";
import { serveRequests } from "../storage/worker-thread.js";
import { batchStreamOffset, sealedFrameRange, segmentsWithin, type FrameBatch, type FrameRequest, type SealedBatch } from "./frame-batch.js";

const HASH_LENGTH = 32;

/**
 * Frees a buffer now instead of at the next GC: this thread allocates little else, so dead
 * ciphertext (a frame per call) would pile up by tens of MiB before V8 collected it.
 * Only a buffer that owns its whole ArrayBuffer is freed (never a pool slice).
 */
function release(piece: Uint8Array): void {
  const buffer = piece.buffer;
  if (buffer instanceof ArrayBuffer && piece.byteOffset === 0 && piece.byteLength === buffer.byteLength) {
    (buffer as ArrayBuffer & { transfer(length: number): ArrayBuffer }).transfer(0);
  }
}

function seal(request: Extract<FrameRequest, { type: "seal" }>): SealedBatch {
  const { key, aad, noncePrefix, frameLength, batch } = request;
  const digests = new Uint8Array(batch.count * HASH_LENGTH);
  for (let j = 0; j < batch.count; j++) {
    const frame = batch.slot.subarray(...sealedFrameRange(frameLength, batch, j));
    const nonce = segmentNonce(noncePrefix, batch.firstIndex + j, batch.final && j === batch.count - 1);
    // aesGcmSealSync has read all the plaintext before we write its output over it.
    const pieces = aesGcmSealSync(key, nonce, aad, [frame.subarray(0, frame.length - TAG_LENGTH)]);
    let offset = 0;
    for (const piece of pieces) {
      frame.set(piece, offset);
      offset += piece.length;
      release(piece);
    }
    if (offset !== frame.length) throw new Error(`sealed frame ${batch.firstIndex + j} is ${offset} bytes, expected ${frame.length}`);
    digests.set(hash("sha256", frame, "buffer"), j * HASH_LENGTH);
  }
  return { digests, ...treeLeaves(frameLength, batch) };
}

/** Leaves of the storage segments wholly inside the batch; the ones it shares with its
 * neighbours are hashed in order on the main thread. */
function treeLeaves(frameLength: number, batch: FrameBatch): Omit<SealedBatch, "digests"> {
  const offset = batchStreamOffset(frameLength, batch);
  const length = sealedFrameRange(frameLength, batch, batch.count - 1)[1];
  const [first, end] = segmentsWithin(offset, length);
  const start = first * STORAGE_SEGMENT_SIZE - offset;
  return { firstSegment: first, leaves: hashSegments(batch.slot.subarray(start, start + (end - first) * STORAGE_SEGMENT_SIZE), first) };
}

function treeNode(leaves: Uint8Array, k: number): Uint8Array {
  const hashed = storageNode(leaves, k);
  release(leaves); // moved here for this call alone
  return hashed;
}

// This thread idles between publishes and V8 collects only when it allocates: answers are moved
// to the main thread and big buffers freed on the spot, so nothing lingers here meanwhile.
serveRequests(
  (request: FrameRequest) => (request.type === "seal" ? seal(request) : treeNode(request.leaves, request.k)),
  (answer) => ("digests" in answer ? [answer.digests.buffer as ArrayBuffer, answer.leaves.buffer as ArrayBuffer] : []),
);
