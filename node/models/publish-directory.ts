/**
 * Publish a directory model (manifest format 2, docs/FORMAT.md): each file is sealed as its own
 * stream under fileKey(content key, path), written as a UnixFS file, and linked at its path in
 * one UnixFS directory (any IPFS tool sees a directory of sealed files); one storage tree runs
 * over the sealed files concatenated in manifest order, so the chain keeps one storage root and
 * one segment count per version. One content key, one share set, one on-chain version.
 */
import { randomBytes } from "node:crypto";
import type { UnixFS } from "@helia/unixfs";
import type { CID } from "multiformats/cid";
import { bytesToHex } from "viem";
import { createHeader, DEFAULT_SEGMENT_SIZE, generateContentKey, InvalidArgumentError, keyCommitment, type ByteSource } from "../../crypto/index.js";
import { fileKey, ModelPathSet } from "../../crypto/directory.js";
import type { StoragePeer } from "../storage/storage-peer.js";
import { STORAGE_SEGMENT_SIZE, StorageLeafHasher } from "../storage/storage-tree.js";
import { storageRoot } from "./frame-sealer.js";
import { importLeaves } from "./leaf-import.js";
import { DIRECTORY_MANIFEST_FORMAT, signModelManifest, type DirectoryFile, type DirectoryManifest, type SignedManifest } from "./manifest.js";
import { pinManifest, type PublishOptions, type SealedModel, type SealOptions } from "./publish.js";
import { sealLeaves } from "./sealed-leaves.js";

export interface DirectoryEntry {
  /** Relative, "/"-separated (crypto/directory.ts checkModelPath). */
  path: string;
  source: ByteSource;
}

export interface PublishDirectoryProgress {
  /** The file being sealed now. */
  path: string;
  files: number;
  plaintextBytes: number;
  sealedBytes: number;
}

/** As for a file (PublishOptions), with progress per file. */
export interface PublishDirectoryOptions extends Omit<PublishOptions, "onProgress"> {
  onProgress?: (progress: PublishDirectoryProgress) => void;
}

export interface PublishDirectoryResult {
  manifestCid: CID;
  /** The UnixFS directory of sealed files. */
  contentCid: CID;
  signed: SignedManifest<DirectoryManifest>;
  /** The content key: split it among custodians, never store it in the clear. */
  key: Uint8Array;
}

/** A UnixFS directory linking every file at its path (subdirectories made as needed). */
async function buildDirectory(fs: UnixFS, files: readonly DirectoryFile[], signal?: AbortSignal): Promise<CID> {
  type Tree = Map<string, CID | Tree>;
  const root: Tree = new Map();
  for (const file of files) {
    const names = file.path.split("/");
    let at = root;
    for (const name of names.slice(0, -1)) {
      let next = at.get(name);
      if (next === undefined) at.set(name, (next = new Map()));
      at = next as Tree; // a file where a directory is needed was refused by ModelPathSet
    }
    at.set(names.at(-1)!, file.cid);
  }
  const make = async (tree: Tree): Promise<CID> => {
    let dir = await fs.addDirectory({}, { signal });
    for (const [name, child] of [...tree].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      dir = await fs.cp(child instanceof Map ? await make(child) : child, dir, name, { signal });
    }
    return dir;
  };
  return make(root);
}

/** Seals, signs with `options.owner` and pins: a published directory model. */
export async function publishDirectory(
  peer: StoragePeer,
  entries: AsyncIterable<DirectoryEntry> | Iterable<DirectoryEntry>,
  options: PublishDirectoryOptions,
): Promise<PublishDirectoryResult> {
  const sealed = await sealDirectory(peer, entries, options);
  const signed = (await signModelManifest(options.owner, sealed.manifest)) as SignedManifest<DirectoryManifest>;
  return { ...sealed, signed, manifestCid: await pinManifest(peer, signed, options.signal) };
}

/** The streaming part of a directory publish: every file sealed and stored, the manifest built, unsigned. */
export async function sealDirectory(
  peer: StoragePeer,
  entries: AsyncIterable<DirectoryEntry> | Iterable<DirectoryEntry>,
  options: Omit<PublishDirectoryOptions, "owner"> & Pick<SealOptions, "owner">,
): Promise<SealedModel<DirectoryManifest>> {
  const key = options.key ?? generateContentKey();
  const modelId = options.modelId ?? new Uint8Array(randomBytes(32));
  const segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
  const hasher = new StorageLeafHasher();
  const files: DirectoryFile[] = [];
  const progress: PublishDirectoryProgress = { path: "", files: 0, plaintextBytes: 0, sealedBytes: 0 };
  let base = 0;

  const paths = new ModelPathSet();
  for await (const entry of entries) {
    const path = paths.add(entry.path); // a bad path or a clash is refused before the file is sealed
    const perFile = fileKey(key, path);
    let plaintextSize = 0;
    let sealedSize = 0;
    progress.path = path;
    async function* counted() {
      for await (const chunk of entry.source) {
        plaintextSize += chunk.length;
        progress.plaintextBytes += chunk.length;
        yield chunk;
      }
    }
    // Files go into the shared tree one after the other: the next starts once this one is in.
    const opened = await createHeader({ key: perFile, modelId, segmentSize });
    perFile.fill(0);
    const sealed = sealLeaves(counted(), { opened, blockstore: peer.helia.blockstore, signal: options.signal, sharedTree: { hasher, base } });
    async function* leaves() {
      for await (const leaf of sealed.leaves) {
        sealedSize += leaf.size;
        progress.sealedBytes += leaf.size;
        options.onProgress?.(progress);
        yield leaf;
      }
    }
    const cid = await importLeaves(peer.fs, leaves(), options.signal);
    await sealed.storage;
    files.push({ path, cid, plaintextSize, sealedSize, noncePrefix: bytesToHex(opened.header.noncePrefix) });
    progress.files = files.length;
    base += sealedSize;
  }
  if (files.length === 0) throw new InvalidArgumentError("a directory model holds at least one file");

  const storage = await storageRoot(hasher.finishLeaves());
  const contentCid = await buildDirectory(peer.fs, files, options.signal);
  const manifest: DirectoryManifest = {
    format: DIRECTORY_MANIFEST_FORMAT,
    modelId: bytesToHex(modelId),
    version: options.version ?? 1,
    ...(options.name === undefined ? {} : { name: options.name }),
    owner: options.owner.address,
    cipher: "aes-256-gcm-stream/1",
    content: contentCid,
    files,
    plaintextSize: progress.plaintextBytes,
    sealedSize: base,
    segmentSize,
    keyCommitment: bytesToHex(keyCommitment(key)),
    storage: { root: storage.root, segmentSize: STORAGE_SEGMENT_SIZE },
    ...(options.weightsCommitment === undefined ? {} : { weightsCommitment: options.weightsCommitment }),
    custodians: options.custodians ?? [],
    threshold: options.threshold ?? 0,
  };
  return { manifest, contentCid, key };
}
