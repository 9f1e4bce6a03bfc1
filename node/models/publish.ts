/**
 * Publish: plaintext stream -> sealed frames (crypto/'s format), each one raw UnixFS leaf ->
 * blockstore, and the storage-challenge tree over the sealed bytes -> signed manifest ->
 * pinned. Streaming at constant memory, sealing and hashing on worker threads
 * (sealed-leaves.ts); the manifest pin is recursive, so it holds the content too.
 */
import { randomBytes } from "node:crypto";
import type { CID } from "multiformats/cid";
import { bytesToHex, type Address, type LocalAccount } from "viem";
import { createHeader, DEFAULT_SEGMENT_SIZE, generateContentKey, keyCommitment, type ByteSource } from "../../crypto/index.js";
import { importLeaves } from "./leaf-import.js";
import { encodeSignedManifest, fileModel, MANIFEST_FORMAT, signModelManifest, type FileManifest, type Manifest, type SignedManifest } from "./manifest.js";
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

/** Sealing needs only the owner's address: the manifest is signed afterwards (here, or by a wallet). */
export type SealOptions = Omit<PublishOptions, "owner"> & { owner: { address: Address } };

/** A sealed model whose manifest is not signed yet; its content blocks are stored, nothing is pinned. */
export interface SealedModel<M extends Manifest = Manifest> {
  manifest: M;
  contentCid: CID;
  key: Uint8Array;
}

/** Seals, signs with `options.owner` and pins: a published model. */
export async function publish(peer: StoragePeer, source: ByteSource, options: PublishOptions): Promise<PublishResult> {
  const sealed = await sealFile(peer, source, options);
  const signed = fileModel(await signModelManifest(options.owner, sealed.manifest));
  return { ...sealed, signed, manifestCid: await pinManifest(peer, signed, options.signal) };
}

/** Stores the signed manifest block and pins it (recursively: the content too); its CID. */
export async function pinManifest(
  peer: StoragePeer, signed: SignedManifest, signal?: AbortSignal, metadata: Record<string, string> = { kind: "manifest" },
): Promise<CID> {
  const block = await encodeSignedManifest(signed);
  await peer.helia.blockstore.put(block.cid, block.bytes, { signal });
  await addPin(peer, block.cid, signal, metadata);
  return block.cid;
}

/** The streaming part of a publish: the sealed content stored and its manifest built, unsigned. */
export async function sealFile(peer: StoragePeer, source: ByteSource, options: SealOptions): Promise<SealedModel<FileManifest>> {
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
  return { manifest, contentCid, key };
}
