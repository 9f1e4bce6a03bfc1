/**
 * Fetch a directory model (manifest format 2) to a directory: the selection and the output checked
 * first (directory-output.ts, the rules the CLI follows too), then every selected file fetched
 * through the peer's sources, decrypted under its per-file key and written inside the output only.
 * An interrupted fetch run again for the same manifest keeps the files it completed.
 */
import type { CID } from "multiformats/cid";
import { hexToBytes } from "viem";
import { constantTimeEqual, keyCommitment, WrongKeyError } from "../../crypto/index.js";
import { NotADirectoryModelError } from "../errors.js";
import type { FetchStats } from "../storage/block-fetcher.js";
import type { StoragePeer } from "../storage/storage-peer.js";
import { DirectoryOutput, type DirectoryOutputResult, type DirectoryProgress, type OutputOptions } from "./directory-output.js";
import { fetchDirectoryFile, readManifest, type FetchOptions } from "./fetch.js";
import { encodeSignedManifest, isDirectoryManifest, type DirectoryManifest, type SignedManifest } from "./manifest.js";

export interface FetchDirectoryOptions extends Omit<FetchOptions, "onProgress">, OutputOptions {
  /** Bytes of the selection done (written, or found complete from an interrupted run) and the file being written. */
  onProgress?: (progress: DirectoryProgress) => void;
}

export interface FetchDirectoryResult extends DirectoryOutputResult {
  manifestCid: string;
  signed: SignedManifest<DirectoryManifest>;
  /** Where the blocks came from: already local, or which sources sent how much. */
  stats: FetchStats;
}

const isSigned = (model: CID | string | SignedManifest): model is SignedManifest => typeof model === "object" && "manifest" in model;

/** The signed manifest of a directory model, read (and checked) unless given; its key checked. */
export async function directoryModel(peer: StoragePeer, model: CID | string | SignedManifest, options: FetchOptions | FetchDirectoryOptions) {
  const signed = isSigned(model) ? model : await readManifest(peer, model, options);
  if (!isDirectoryManifest(signed.manifest)) throw new NotADirectoryModelError("a one-file model: fetch it to a file (fetchModelToFile)");
  if (!constantTimeEqual(keyCommitment(options.key), hexToBytes(signed.manifest.keyCommitment))) throw new WrongKeyError();
  const manifestCid = isSigned(model) ? (await encodeSignedManifest(signed)).cid.toString() : model.toString();
  return { signed: signed as SignedManifest<DirectoryManifest>, manifestCid };
}

/**
 * Writes the selected files of a directory model under `outDir` (created, parents too). Before any
 * content is read: the key, the selection (NO_FILES_SELECTED), the output (OUTPUT_NOT_A_DIRECTORY,
 * OUTPUT_EXISTS without `force`, OUTPUT_UNSAFE_PATH). Files are fetched one after the other.
 */
export async function fetchDirectory(
  peer: StoragePeer,
  model: CID | string | SignedManifest,
  outDir: string,
  options: FetchDirectoryOptions,
): Promise<FetchDirectoryResult> {
  const session = options.session ?? peer.session({ gateways: options.gateways });
  try {
    const { signed, manifestCid } = await directoryModel(peer, model, { ...options, session });
    const output = await DirectoryOutput.plan(outDir, manifestCid, signed.manifest.files, options);
    return { ...(await writeDirectoryOutput(peer, signed, output, { ...options, session })), manifestCid, signed, stats: session.stats };
  } finally {
    if (options.session === undefined) session.close();
  }
}

/** Fills an output planned with DirectoryOutput.plan() (checked earlier, e.g. before a ticket was spent). */
export async function writeDirectoryOutput(
  peer: StoragePeer,
  signed: SignedManifest<DirectoryManifest>,
  output: DirectoryOutput,
  options: FetchDirectoryOptions,
): Promise<DirectoryOutputResult> {
  const reads: FetchOptions = { ...options, onProgress: undefined };
  return output.write((file) => fetchDirectoryFile(peer, signed, file.path, reads), options.onProgress);
}
