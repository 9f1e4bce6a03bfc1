/**
 * Publish: plaintext stream -> sealed frames (crypto/'s format), each one raw UnixFS leaf ->
 * blockstore, and the storage-challenge tree over the sealed bytes -> signed manifest ->
 * pinned. Streaming at constant memory, sealing and hashing on worker threads
 * (sealed-leaves.ts); the manifest pin is recursive, so it holds the content too.
 */
import { randomBytes } from "node:crypto";
import type { CID } from "multiformats/cid";
import { bytesToHex, type LocalAccount } from "viem";
import { createHeader, DEFAULT_SEGMENT_SIZE, generateContentKey, keyCommitment, type ByteSource } from "../../crypto/index.js";
import { importLeaves } from "./leaf-import.js";
import { encodeSignedManifest, fileModel, MANIFEST_FORMAT, signModelManifest, type FileManifest, type SignedManifest } from "./manifest.js";
import { addPin } from "../storage/pins.js";
import type { StoragePeer } from "../storage/storage-peer.js";
import { STORAGE_SEGMENT_SIZE } from "../storage/storage-tree.js";
import { sealLeaves } from "./sealed-leaves.js";

export interface PublishProgress {
  plaintextBytes: number;
  sealedBytes: number;
}

export interface PublishOptions {
  owner: LocalAccount;
  /** 32-byte content key; a fresh random one by default. */
  key?: Uint8Array;
  /** 32-byte model id bound into the stream; random by default. */
  modelId?: Uint8Array;
  version?: number;
  name?: string;
  segmentSize?: number;
  weightsCommitment?: string;
  custodians?: FileManifest["custodians"];
  threshold?: number;
  onProgress?: (progress: PublishProgress) => void;
  signal?: AbortSignal;
}

export interface PublishResult {
  manifestCid: CID;
  contentCid: CID;
  signed: SignedManifest<FileManifest>;
  /** The content key: split it among custodians, never store it in the clear. */
  key: Uint8Array;
}

export async function publish(peer: StoragePeer, source: ByteSource, options: PublishOptions): Promise<PublishResult> {
  const key = options.key ?? generateContentKey();
  const modelId = options.modelId ?? new Uint8Array(randomBytes(32));
  const segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
  const opened = await createHeader({ key, modelId, segmentSize });
  const progress: PublishProgress = { plaintextBytes: 0, sealedBytes: 0 };

  async function* counted() {
    for await (const chunk of source) {
      progress.plaintextBytes += chunk.length;
      yield chunk;
    }
  }
  const sealed = sealLeaves(counted(), { opened, blockstore: peer.helia.blockstore, signal: options.signal });
  async function* leaves() {
    for await (const leaf of sealed.leaves) {
      progress.sealedBytes += leaf.size;
      options.onProgress?.(progress);
      yield leaf;
    }
  }
  const contentCid = await importLeaves(peer.fs, leaves(), options.signal);
  const storage = (await sealed.storage)!; // its own tree: a root

  const manifest: FileManifest = {
    format: MANIFEST_FORMAT,
    modelId: bytesToHex(modelId),
    version: options.version ?? 1,
    ...(options.name === undefined ? {} : { name: options.name }),
    owner: options.owner.address,
    cipher: "aes-256-gcm-stream/1",
    content: contentCid,
    plaintextSize: progress.plaintextBytes,
    sealedSize: progress.sealedBytes,
    segmentSize,
    noncePrefix: bytesToHex(opened.header.noncePrefix),
    keyCommitment: bytesToHex(keyCommitment(key)),
    storage: { root: storage.root, segmentSize: STORAGE_SEGMENT_SIZE },
    ...(options.weightsCommitment === undefined ? {} : { weightsCommitment: options.weightsCommitment }),
    custodians: options.custodians ?? [],
    threshold: options.threshold ?? 0,
  };
  const signed = fileModel(await signModelManifest(options.owner, manifest));
  const block = await encodeSignedManifest(signed);
  await peer.helia.blockstore.put(block.cid, block.bytes, { signal: options.signal });
  await addPin(peer, block.cid, options.signal, { kind: "manifest" });
  return { manifestCid: block.cid, contentCid, signed, key };
}
