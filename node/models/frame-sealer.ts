/**
 * Seals batches of frames on worker threads shared by the process, one per core (up to 4):
 * AES-256-GCM in place in shared memory (crypto/'s gcmSeal and segmentNonce, so the bytes are
 * the ones seal() makes), each frame's SHA-256 for its CID, and the storage-tree leaves of the
 * whole 4 KiB segments inside the batch. Batches go round robin, so sealing and both hashes
 * use every core and no single stage sets the pace.
 */
import { exportAesGcmKey } from "../../crypto/platform/node.js";
import { availableParallelism } from "node:os";
import type { Hex } from "viem";
import { TAG_LENGTH } from "../../crypto/sealed/format.js";
import type { OpenedHeader } from "../../crypto/sealed/header.js";
import { storageParent } from "../storage/storage-tree.js";
import { sharedWorker, siblingModule, type WorkerThread } from "../storage/worker-thread.js";
import { batchStreamOffset, sealedFrameRange, type FrameBatch, type FrameRequest, type SealedBatch } from "./frame-batch.js";

const HASH_LENGTH = 32;
/** Sealing threads: one per core, up to 4. */
export const SEALER_THREADS = Math.max(1, Math.min(4, availableParallelism()));
const url = siblingModule(import.meta.url, "frame-sealer-worker");
const pool = Array.from({ length: SEALER_THREADS }, () => sharedWorker(url));
let nextWorker = 0;
const anyWorker = (): WorkerThread => pool[nextWorker++ % pool.length]!();

export class FrameSealer {
  readonly #key: Uint8Array;
  readonly #aad: Uint8Array;
  readonly #noncePrefix: Uint8Array;
  readonly frameLength: number;

  constructor(opened: OpenedHeader) {
    this.#key = exportAesGcmKey(opened.segmentKey);
    this.#aad = opened.aad;
    this.#noncePrefix = opened.header.noncePrefix;
    this.frameLength = opened.header.segmentSize + TAG_LENGTH;
  }

  /** Seals the batch in place and hashes it. */
  seal(batch: FrameBatch): Promise<SealedBatch> {
    const request: FrameRequest = { type: "seal", key: this.#key, aad: this.#aad, noncePrefix: this.#noncePrefix, frameLength: this.frameLength, batch };
    return anyWorker().call<SealedBatch>(request);
  }

  /** [start, end) of sealed frame j in the batch's slot. */
  frameRange(batch: FrameBatch, j: number): [number, number] {
    return sealedFrameRange(this.frameLength, batch, j);
  }

  /** Bytes of the batch once sealed: its frames back to back, a piece of the sealed stream. */
  sealedLength(batch: FrameBatch): number {
    return sealedFrameRange(this.frameLength, batch, batch.count - 1)[1];
  }

  /** Where the batch's first byte sits in the sealed stream (every earlier frame is full). */
  streamOffset(batch: FrameBatch): number {
    return batchStreamOffset(this.frameLength, batch);
  }
}

/**
 * The storage tree's root over packed leaves, its two halves built on two workers at once
 * (the tree's only step that must wait for the whole stream).
 */
export async function storageRoot(leaves: Uint8Array): Promise<{ root: Hex; segmentCount: number }> {
  const segmentCount = leaves.length / HASH_LENGTH;
  if (segmentCount === 1) return { root: `0x${Buffer.from(leaves).toString("hex")}`, segmentCount };
  const node = (k: number, copy: Uint8Array) => anyWorker().call<Uint8Array>({ type: "node", leaves: copy, k } satisfies FrameRequest, [copy.buffer as ArrayBuffer]);
  const [left, right] = await Promise.all([node(1, new Uint8Array(leaves)), node(2, new Uint8Array(leaves))]);
  return { root: storageParent(left, right), segmentCount };
}
