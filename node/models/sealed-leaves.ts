/**
 * The raw leaves of a publish (the header, then one per sealed frame) and its storage tree,
 * made at constant memory with every core busy. Plaintext is copied once, into a batch of
 * consecutive frames in shared memory; a worker seals the batch in place and hashes it, for the
 * frames' CIDs and the tree's leaves (frame-sealer.ts); then the main thread writes the frames
 * from that memory and, in stream order, adds the batch's leaves to the tree, hashing itself
 * only the segment that straddles two batches. A batch is ~4 MiB, so a thread is woken once per
 * batch, not per frame, and at most MAX_BATCHES are in flight; nothing else is copied.
 * The tree's last step, its root over all leaves, is split between two workers.
 */
import { hash } from "node:crypto";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { create as createDigest } from "multiformats/hashes/digest";
import { sha256 } from "multiformats/hashes/sha2";
import { InvalidArgumentError, TAG_LENGTH, type ByteSource, type OpenedHeader } from "../../crypto/index.js";
import type { Hex } from "viem";
import { STORAGE_SEGMENT_SIZE, StorageLeafHasher } from "../storage/storage-tree.js";
import { segmentsWithin, type FrameBatch, type SealedBatch } from "./frame-batch.js";
import { releaseSlot, takeSlot } from "./batch-slots.js";
import { FrameSealer, SEALER_THREADS, storageRoot } from "./frame-sealer.js";

export interface Leaf {
  cid: CID;
  /** Bytes in the leaf. */
  size: number;
}

export interface LeafWriter {
  put(cid: CID, bytes: Uint8Array, options?: { signal?: AbortSignal }): unknown;
}

export interface SealedLeavesOptions {
  /** The stream's header, from crypto's createHeader. */
  opened: OpenedHeader;
  blockstore: LeafWriter;
  signal?: AbortSignal | undefined;
  /**
   * A storage tree this stream shares with others (the files of a directory model, concatenated):
   * its bytes go in from `base`, and `storage` resolves, without a root, once they are all in.
   * The caller feeds the streams one after the other and finishes the tree.
   */
  sharedTree?: { hasher: StorageLeafHasher; base: number };
}

export interface TreeRoot {
  root: Hex;
  segmentCount: number;
}

export interface SealedLeaves {
  /** The leaves in order, each once it is written and in the storage tree. */
  leaves: AsyncGenerator<Leaf, void, undefined>;
  /** The storage tree, built as soon as the last batch is in, while its frames are written
   * (undefined with a shared tree: then it resolves once this stream is in it).
   * Rejects when `leaves` fails or is abandoned. */
  storage: Promise<TreeRoot | undefined>;
}

const BATCH_BYTES = 4 << 20;
// Two batches per sealing thread: one sealing while the other is written (16 MiB on 2 cores).
const MAX_BATCHES = 2 * SEALER_THREADS;
const HASH_LENGTH = 32;

const rawCid = (digest: Uint8Array) => CID.createV1(raw.code, createDigest(sha256.code, digest));

/**
 * Seals `source` into leaves and its storage tree. On failure or abort `leaves` waits for the
 * batches in flight before it rethrows, so nothing of this publish still runs when the caller
 * sees the error.
 */
export function sealLeaves(source: ByteSource, options: SealedLeavesOptions): SealedLeaves {
  const tree = options.sharedTree?.hasher ?? new StorageLeafHasher();
  let settle!: { resolve: (root: Promise<TreeRoot | undefined>) => void; reject: (error: Error) => void };
  const storage = new Promise<TreeRoot | undefined>((resolve, reject) => (settle = { resolve, reject }));
  storage.catch(() => {}); // the caller awaits it only after `leaves` succeeded
  return { leaves: produce(source, options, tree, settle), storage };
}

async function* produce(
  source: ByteSource,
  options: SealedLeavesOptions,
  tree: StorageLeafHasher,
  storage: { resolve: (root: Promise<TreeRoot | undefined>) => void; reject: (error: Error) => void },
): AsyncGenerator<Leaf, void, undefined> {
  const base = options.sharedTree?.base ?? 0;
  const { opened, blockstore, signal } = options;
  const segmentSize = opened.header.segmentSize;
  const frameLength = segmentSize + TAG_LENGTH;
  const framesPerBatch = Math.max(1, Math.floor(BATCH_BYTES / frameLength));
  const sealer = new FrameSealer(opened);
  /** Every slot this publish holds; all go back to the pool when it ends, however it ends. */
  const held = new Set<Uint8Array>();
  const inFlight: Array<Promise<Leaf[]>> = [];
  // The tree takes the stream in order: each batch is added after the one before it was.
  let fedTree: Promise<unknown> = Promise.resolve();
  const addToTree = (batch: FrameBatch, sealed: SealedBatch) => {
    const bytes = batch.slot.subarray(0, sealer.sealedLength(batch));
    const offset = sealer.streamOffset(batch);
    const [first, end] = segmentsWithin(offset, bytes.length);
    if (first === end) return tree.update(bytes); // no whole segment inside
    tree.update(bytes.subarray(0, first * STORAGE_SEGMENT_SIZE - offset));
    tree.appendLeaves(sealed.leaves, sealed.firstSegment);
    tree.update(bytes.subarray(end * STORAGE_SEGMENT_SIZE - offset));
  };

  const admit = (batchLeaves: Promise<Leaf[]>) => {
    batchLeaves.catch(() => {}); // awaited in order below; an early failure must not count as unhandled
    inFlight.push(batchLeaves);
  };
  const write = async (cid: CID, bytes: Uint8Array): Promise<Leaf> => {
    await blockstore.put(cid, bytes, { signal });
    return { cid, size: bytes.length };
  };

  const header = opened.header.bytes;
  tree.update(header);
  admit(write(rawCid(hash("sha256", header, "buffer")), header).then((leaf) => [leaf]));

  const dispatch = (batch: FrameBatch) => {
    const sealed = sealer.seal(batch);
    const inTree = Promise.all([sealed, fedTree]).then(([reply]) => addToTree(batch, reply));
    fedTree = inTree;
    admit(
      sealed.then(async ({ digests }) => {
        const writes: Array<Promise<Leaf>> = [];
        for (let j = 0; j < batch.count; j++) {
          const cid = rawCid(digests.subarray(j * HASH_LENGTH, (j + 1) * HASH_LENGTH));
          writes.push(write(cid, batch.slot.subarray(...sealer.frameRange(batch, j))));
        }
        // Every write settled before the slot may go: one still reading it while the next batch
        // overwrites it would store wrong bytes under a valid CID.
        const [results] = await Promise.all([Promise.allSettled(writes), inTree.catch(() => {})]);
        const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failed !== undefined) throw failed.reason;
        await inTree;
        held.delete(batch.slot);
        releaseSlot(batch.slot); // written and in the tree: the memory may take the next batch
        return results.map((r) => (r as PromiseFulfilledResult<Leaf>).value);
      }),
    );
  };

  let done = false;
  try {
    const newBatch = async (firstIndex: number): Promise<FrameBatch> => {
      const slot = await takeSlot(framesPerBatch * frameLength, signal);
      held.add(slot);
      return { slot, firstIndex, count: 1, lastLength: 0, final: false, base };
    };
    let batch = await newBatch(0);
    for await (const chunk of source) {
      signal?.throwIfAborted();
      if (!(chunk instanceof Uint8Array)) throw new InvalidArgumentError("stream chunks must be Uint8Array (or Buffer)");
      let offset = 0;
      while (offset < chunk.length) {
        if (batch.lastLength === segmentSize) {
          // Strictly more than a segment: a later byte exists, so this one is not the final one.
          if (batch.count === framesPerBatch) {
            dispatch(batch);
            while (inFlight.length >= MAX_BATCHES) yield* await inFlight.shift()!;
            batch = await newBatch(batch.firstIndex + batch.count);
          } else {
            batch.count++;
            batch.lastLength = 0;
          }
        }
        const take = Math.min(segmentSize - batch.lastLength, chunk.length - offset);
        batch.slot.set(chunk.subarray(offset, offset + take), (batch.count - 1) * frameLength + batch.lastLength);
        batch.lastLength += take;
        offset += take;
      }
    }
    signal?.throwIfAborted();
    batch.final = true;
    dispatch(batch);
    storage.resolve(fedTree.then(() => (options.sharedTree === undefined ? storageRoot(tree.finishLeaves()) : undefined)));
    while (inFlight.length > 0) yield* await inFlight.shift()!;
    done = true;
  } finally {
    if (!done) {
      await Promise.allSettled([...inFlight, fedTree]);
      storage.reject(new Error("the sealed stream did not complete"));
    }
    // Slots of batches that failed, or were never sent: nothing uses them now.
    for (const slot of held) releaseSlot(slot);
    held.clear();
  }
}
