/**
 * Tensors of an encrypted safetensors model, located without downloading it: per sealed
 * safetensors file, the segments that hold its header (8-byte length + JSON) are read and
 * decrypted, and each tensor's plaintext byte range is known from the header alone
 * (docs/TENSORS.md). Transport-agnostic: the library reads through a StoragePeer, the CLI
 * through the node's HTTP API (ciphertext ranges, decrypted in the client).
 *
 * The logic is zkp/tensor-index.ts, shared with the browser SDK; this module supplies the
 * node's sealed reader (node:crypto), glob matching (picomatch) and the NodeError classes.
 */
import picomatch from "picomatch";
import { hexToBytes } from "viem";
import { SealedReader, type ParallelReadOptions, type ReadSealedRange } from "../../crypto/index.js";
import { fileKey } from "../../crypto/directory.js";
import type { Manifest } from "../../crypto/manifest-schema.js";
import * as index from "../../zkp/tensor-index.js";
import type { ModelFile, TensorErrors, TensorInfo, TensorListing, TensorModel, WeightMap } from "../../zkp/tensor-index.js";
import { NodeError } from "../errors.js";

export { isSafetensorsPath, listingOf, MAX_INDEX_BYTES, modelFiles } from "../../zkp/tensor-index.js";
export type { ModelFile, TensorFileInfo, TensorInfo, TensorListing, WeightMap } from "../../zkp/tensor-index.js";

/** Where a model's sealed files are read from. */
export interface TensorSource extends ParallelReadOptions {
  manifest: Manifest;
  /** The version's content key (a directory's files open with fileKey(key, path)). */
  key: Uint8Array;
  /** Random access to the ciphertext of one file. */
  reader(file: ModelFile): ReadSealedRange;
}

/** A safetensors file's header, read through its sealed reader (only the segments it spans). */
export type OpenedSafetensors = index.OpenedSafetensors<SealedReader>;

/** A file of the model is not valid safetensors (or its index is not a valid index). */
export class InvalidSafetensorsError extends NodeError {
  readonly file: string | null;
  constructor(file: string | null, message: string, options?: ErrorOptions) {
    super("INVALID_SAFETENSORS", index.invalidSafetensorsMessage(file, message), options);
    this.file = file;
  }
}

/** The model (or the file asked for) has no safetensors file to read tensors from. */
export class NoSafetensorsError extends NodeError {
  constructor(message: string) {
    super("NO_SAFETENSORS", message);
  }
}

/** A tensor name or glob matched nothing, or a name is in several files and no index decides. */
export class TensorSelectionError extends NodeError {
  /** Some of the model's tensor names, to help the caller. */
  readonly names: readonly string[];
  constructor(code: "TENSOR_NOT_FOUND" | "TENSOR_AMBIGUOUS", message: string, names: readonly string[]) {
    super(code, message);
    this.names = names;
  }
}

const ERRORS: TensorErrors = {
  invalid: (file, message, cause) => new InvalidSafetensorsError(file, message, cause === undefined ? undefined : { cause }),
  noSafetensors: (message) => new NoSafetensorsError(message),
  selection: (code, message, names) => new TensorSelectionError(code, message, names),
  chooseFile: "pick one with --file",
};

/** A matcher for a name or a glob (picomatch): a name that exists is taken as it is. */
function matcherOf(pattern: string): (name: string) => boolean {
  const glob = picomatch(pattern, { dot: true });
  return (name) => name === pattern || glob(name);
}

/** The reader of one file, its header and frame 0 read in one request. */
export async function openModelFile(source: TensorSource, file: ModelFile): Promise<SealedReader> {
  const key = file.path === null ? source.key : fileKey(source.key, file.path);
  try {
    return await SealedReader.open({
      key,
      modelId: hexToBytes(source.manifest.modelId),
      sealedLength: file.sealedSize,
      segmentSize: source.manifest.segmentSize,
      read: source.reader(file),
      concurrency: source.concurrency,
      maxReadBytes: source.maxReadBytes,
      signal: source.signal,
    });
  } finally {
    if (file.path !== null) key.fill(0);
  }
}

const modelOf = (source: TensorSource): TensorModel<SealedReader> => ({
  manifest: source.manifest,
  open: (file) => openModelFile(source, file),
  matcher: matcherOf,
  errors: ERRORS,
});

export function readSafetensorsHeader(source: TensorSource, file: ModelFile): Promise<OpenedSafetensors> {
  return index.readSafetensorsHeader(modelOf(source), file);
}

/** The merged weight maps of the model's indexes (empty without one), read in parallel. */
export function readWeightMap(source: TensorSource, files: readonly ModelFile[]): Promise<WeightMap> {
  return index.readWeightMap(modelOf(source), files);
}

/** The safetensors files to read: every one, or the one named (a directory model's path). */
export function safetensorsFiles(manifest: Manifest, only?: string): ModelFile[] {
  return index.safetensorsFiles(manifest, only, ERRORS);
}

/** Reads the headers of `files` in parallel; the listing keeps the files' order. */
export function openSafetensorsFiles(source: TensorSource, files: readonly ModelFile[]): Promise<OpenedSafetensors[]> {
  return index.openSafetensorsFiles(modelOf(source), files);
}

/** Every tensor of the model (or of its file `file`): headers and indexes only. */
export function listSealedTensors(source: TensorSource, options: { file?: string } = {}): Promise<TensorListing> {
  return index.listModelTensors(modelOf(source), options.file);
}

/**
 * The tensors that `patterns` (names or globs) select. Every pattern must match; a name held by
 * several files is taken from the file the weight map names, else it is ambiguous. The result is
 * in listing order (file, then data offset).
 */
export function selectTensors(listing: TensorListing, patterns: readonly string[], weightMap: WeightMap = new Map()): TensorInfo[] {
  if (patterns.length === 0) throw new TensorSelectionError("TENSOR_NOT_FOUND", "no tensor asked for", index.sampleNames(listing.tensors.map((t) => t.name)));
  return index.selectTensors(listing, patterns, weightMap, { matcher: matcherOf, errors: ERRORS });
}

/**
 * The files that can hold what `patterns` select, by the weight map: only those headers need
 * reading. Undefined when a pattern matches nothing in the map (then every file is read).
 */
export function filesForPatterns(weightMap: WeightMap, patterns: readonly string[], files: readonly ModelFile[]): ModelFile[] | undefined {
  return index.filesForPatterns(weightMap, patterns, files, matcherOf);
}

/**
 * Opens what a selection needs: the file named, or (with an index) the shards the index names
 * for the patterns, or every safetensors file; then selects.
 */
export async function resolveTensors(
  source: TensorSource,
  patterns: readonly string[],
  options: { file?: string } = {},
): Promise<{ opened: OpenedSafetensors[]; selected: TensorInfo[]; listing: TensorListing }> {
  const { opened, listing, weightMap } = await index.openForPatterns(modelOf(source), patterns, options.file);
  return { opened, listing, selected: selectTensors(listing, patterns, weightMap) };
}
