/**
 * Tensors of an encrypted safetensors model through a StoragePeer: list them from the headers
 * alone, read a few, or write them as a safetensors file, fetching only the segments that cover
 * them (from the blockstore, or from every source at once), decrypted and checked here. Works for
 * a one-file model (format 1) and for a directory model (format 2, sharded with an index or not).
 */
import type { CID } from "multiformats/cid";
import { hexToBytes } from "viem";
import { constantTimeEqual, keyCommitment, WrongKeyError, type ParallelReadOptions } from "../../crypto/index.js";
import { loadTensors } from "../../zkp/tensor-index.js";
import type { FetchSession, FetchStats } from "../storage/block-fetcher.js";
import type { StoragePeer } from "../storage/storage-peer.js";
import { readManifest, sealedRangeReader, type ManifestReadOptions } from "./fetch.js";
import type { SignedManifest } from "./manifest.js";
import { checkTensorOutput, writeTensorsFile, type TensorWriteOptions } from "./tensor-file.js";
import { listSealedTensors, resolveTensors, type TensorInfo, type TensorListing, type TensorSource } from "./tensor-listing.js";

export {
  InvalidSafetensorsError,
  NoSafetensorsError,
  TensorSelectionError,
  type TensorFileInfo,
  type TensorInfo,
  type TensorListing,
} from "./tensor-listing.js";
export type { TensorWriteProgress } from "./tensor-file.js";

export interface TensorOptions extends ManifestReadOptions, ParallelReadOptions {
  /** The version's content key. */
  key: Uint8Array;
  /** A directory model: read only this safetensors file. */
  file?: string;
}

type ModelRef = CID | string | SignedManifest;

/** Runs `use` on a checked manifest and a source reading through one session. */
async function withSource<T>(peer: StoragePeer, model: ModelRef, options: TensorOptions, use: (source: TensorSource, signed: SignedManifest, session: FetchSession) => Promise<T>): Promise<T> {
  const session = options.session ?? peer.session({ gateways: options.gateways });
  try {
    const signed = typeof model === "object" && "manifest" in model ? model : await readManifest(peer, model, { ...options, session });
    if (!constantTimeEqual(keyCommitment(options.key), hexToBytes(signed.manifest.keyCommitment))) throw new WrongKeyError();
    const source: TensorSource = {
      manifest: signed.manifest,
      key: options.key,
      reader: (file) => sealedRangeReader(session, file, options),
      concurrency: options.concurrency,
      maxReadBytes: options.maxReadBytes,
      signal: options.signal,
    };
    return await use(source, signed, session);
  } finally {
    if (options.session === undefined) session.close();
  }
}

/** Every tensor (name, dtype, shape, file, byte range), from the safetensors headers alone. */
export async function listTensors(peer: StoragePeer, model: ModelRef, options: TensorOptions): Promise<TensorListing> {
  return withSource(peer, model, options, (source) => listSealedTensors(source, { file: options.file }));
}

export interface ReadTensor {
  info: TensorInfo;
  /** The tensor's raw little-endian bytes. */
  bytes: Uint8Array;
}

/** The tensors that `patterns` (names or globs) select, in memory, in listing order. */
export async function readTensors(peer: StoragePeer, model: ModelRef, patterns: readonly string[], options: TensorOptions): Promise<ReadTensor[]> {
  return withSource(peer, model, options, async (source) => {
    const { opened, selected } = await resolveTensors(source, patterns, { file: options.file });
    return loadTensors(opened, selected, options);
  });
}

export interface TensorFileResult {
  signed: SignedManifest;
  tensors: TensorInfo[];
  /** Size of the file written. */
  bytes: number;
  stats: FetchStats;
}

/** Writes a safetensors file with the tensors `patterns` select (see tensor-file.ts). */
export async function fetchTensorsToFile(
  peer: StoragePeer,
  model: ModelRef,
  patterns: readonly string[],
  path: string,
  options: TensorOptions & TensorWriteOptions,
): Promise<TensorFileResult> {
  await checkTensorOutput(path, options.force); // before anything is fetched
  return withSource(peer, model, options, async (source, signed, session) => {
    const { opened, selected } = await resolveTensors(source, patterns, { file: options.file });
    const bytes = await writeTensorsFile(path, opened, selected, options);
    return { signed, tensors: selected, bytes, stats: session.stats };
  });
}
