/**
 * Tensors of an encrypted safetensors model, located without downloading it: per sealed
 * safetensors file, the segments that hold its header (8-byte length + JSON) are read and
 * decrypted, and each tensor's plaintext byte range is known from the header alone
 * (docs/TENSORS.md). Transport-agnostic: the library reads through a StoragePeer, the CLI
 * through the node's HTTP API (ciphertext ranges, decrypted in the client).
 */
import picomatch from "picomatch";
import type { CID } from "multiformats/cid";
import { hexToBytes } from "viem";
import { SealedReader, type ParallelReadOptions, type ReadSealedRange } from "../../crypto/index.js";
import { fileKey } from "../../crypto/directory.js";
import { isDirectoryManifest, type Manifest } from "../../crypto/manifest-schema.js";
import { LENGTH_PREFIX_BYTES, parseSafetensorsHeader, SafetensorsError, safetensorsHeaderLength, type Dtype } from "../../zkp/safetensors.js";
import { NodeError } from "../errors.js";

/** A sealed file of the model: a format-1 model's content (path null), or one file of a directory. */
export interface ModelFile {
  path: string | null;
  cid: CID;
  plaintextSize: number;
  sealedSize: number;
}

/** Where a model's sealed files are read from. */
export interface TensorSource extends ParallelReadOptions {
  manifest: Manifest;
  /** The version's content key (a directory's files open with fileKey(key, path)). */
  key: Uint8Array;
  /** Random access to the ciphertext of one file. */
  reader(file: ModelFile): ReadSealedRange;
}

export interface TensorInfo {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** Path of the safetensors file in a directory model; null for a one-file model. */
  file: string | null;
  /** Plaintext byte range [start, end) of the tensor in its file. */
  start: number;
  end: number;
  /** As in the header: relative to the file's data section. */
  dataOffsets: [number, number];
}

export interface TensorFileInfo {
  path: string | null;
  plaintextSize: number;
  /** 8 + N: the bytes before the data section. */
  headerBytes: number;
  tensorCount: number;
  metadata: Record<string, string>;
}

export interface TensorListing {
  /** File by file (in manifest order), each file's tensors in the order of their data offsets. */
  tensors: TensorInfo[];
  files: TensorFileInfo[];
  /** The files' __metadata__ merged (on a conflict the first file's value stands). */
  metadata: Record<string, string>;
}

/** A file of the model is not valid safetensors (or its index is not a valid index). */
export class InvalidSafetensorsError extends NodeError {
  readonly file: string | null;
  constructor(file: string | null, message: string, options?: ErrorOptions) {
    super("INVALID_SAFETENSORS", `${file === null ? "the model" : JSON.stringify(file)} is not valid safetensors: ${message}`, options);
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

const INDEX_SUFFIX = ".safetensors.index.json";
/** A weight-map index is read whole: refuse anything unreasonably large. */
export const MAX_INDEX_BYTES = 64 << 20;

export const isSafetensorsPath = (path: string): boolean => path.endsWith(".safetensors");

export function modelFiles(manifest: Manifest): ModelFile[] {
  if (!isDirectoryManifest(manifest)) return [{ path: null, cid: manifest.content, plaintextSize: manifest.plaintextSize, sealedSize: manifest.sealedSize }];
  return manifest.files.map((f) => ({ path: f.path, cid: f.cid, plaintextSize: f.plaintextSize, sealedSize: f.sealedSize }));
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

/** A safetensors file's header, read through its sealed reader (only the segments it spans). */
export interface OpenedSafetensors {
  file: ModelFile;
  reader: SealedReader;
  info: TensorFileInfo;
  tensors: TensorInfo[];
}

export async function readSafetensorsHeader(source: TensorSource, file: ModelFile): Promise<OpenedSafetensors> {
  const reader = await openModelFile(source, file);
  if (reader.plaintextLength !== file.plaintextSize) throw new InvalidSafetensorsError(file.path, "its size contradicts the manifest");
  try {
    const length = safetensorsHeaderLength(await reader.bytes(0, Math.min(LENGTH_PREFIX_BYTES, file.plaintextSize)), file.plaintextSize);
    const header = parseSafetensorsHeader(await reader.bytes(0, LENGTH_PREFIX_BYTES + length), file.plaintextSize);
    const tensors = header.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, file: file.path, start: t.start, end: t.end, dataOffsets: t.dataOffsets }));
    const info = { path: file.path, plaintextSize: file.plaintextSize, headerBytes: header.dataStart, tensorCount: tensors.length, metadata: header.metadata };
    return { file, reader, info, tensors };
  } catch (error) {
    if (error instanceof SafetensorsError) throw new InvalidSafetensorsError(file.path, error.message, { cause: error });
    throw error;
  }
}

/** Tensor name -> safetensors path, from every `*.safetensors.index.json` (paths relative to the index). */
export type WeightMap = Map<string, string>;

async function readIndex(source: TensorSource, file: ModelFile & { path: string }): Promise<WeightMap> {
  if (file.plaintextSize > MAX_INDEX_BYTES) throw new InvalidSafetensorsError(file.path, `an index of ${file.plaintextSize} bytes is larger than ${MAX_INDEX_BYTES}`);
  const reader = await openModelFile(source, file);
  let index: unknown;
  try {
    index = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(await reader.bytes(0, reader.plaintextLength)));
  } catch (error) {
    throw new InvalidSafetensorsError(file.path, `the index is not UTF-8 JSON (${(error as Error).message})`);
  }
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== "object" || weightMap === null || Array.isArray(weightMap)) throw new InvalidSafetensorsError(file.path, "the index has no weight_map object");
  const dir = file.path.includes("/") ? file.path.slice(0, file.path.lastIndexOf("/") + 1) : "";
  const map: WeightMap = new Map();
  for (const [name, shard] of Object.entries(weightMap)) {
    if (typeof shard !== "string") throw new InvalidSafetensorsError(file.path, `weight_map[${JSON.stringify(name)}] is not a path`);
    map.set(name, dir + shard);
  }
  return map;
}

/** The merged weight maps of the model's indexes (empty without one), read in parallel. */
export async function readWeightMap(source: TensorSource, files: readonly ModelFile[]): Promise<WeightMap> {
  const indexes = files.filter((f): f is ModelFile & { path: string } => f.path !== null && f.path.endsWith(INDEX_SUFFIX));
  const maps = await Promise.all(indexes.map((f) => readIndex(source, f)));
  const merged: WeightMap = new Map();
  for (const map of maps) for (const [name, shard] of map) if (!merged.has(name)) merged.set(name, shard);
  return merged;
}

/** The safetensors files to read: every one, or the one named (a directory model's path). */
export function safetensorsFiles(manifest: Manifest, only?: string): ModelFile[] {
  const files = modelFiles(manifest);
  if (files[0]!.path === null) {
    if (only !== undefined) throw new NoSafetensorsError(`the model is one file: it has no file ${JSON.stringify(only)}`);
    return files;
  }
  if (only !== undefined) {
    const file = files.find((f) => f.path === only);
    if (file === undefined) throw new NoSafetensorsError(`the model has no file ${JSON.stringify(only)}`);
    if (!isSafetensorsPath(only)) throw new NoSafetensorsError(`${JSON.stringify(only)} is not a .safetensors file`);
    return [file];
  }
  const chosen = files.filter((f) => isSafetensorsPath(f.path!));
  if (chosen.length === 0) throw new NoSafetensorsError(`the model has no .safetensors file (its files: ${files.slice(0, 20).map((f) => f.path).join(", ")})`);
  return chosen;
}

/** Reads the headers of `files` in parallel; the listing keeps the files' order. */
export async function openSafetensorsFiles(source: TensorSource, files: readonly ModelFile[]): Promise<OpenedSafetensors[]> {
  return Promise.all(files.map((f) => readSafetensorsHeader(source, f)));
}

export function listingOf(opened: readonly OpenedSafetensors[]): TensorListing {
  const metadata: Record<string, string> = {};
  for (const { info } of opened) for (const [k, v] of Object.entries(info.metadata)) if (!Object.hasOwn(metadata, k)) metadata[k] = v;
  return { tensors: opened.flatMap((o) => o.tensors), files: opened.map((o) => o.info), metadata };
}

/** Every tensor of the model (or of its file `file`): headers and indexes only. */
export async function listSealedTensors(source: TensorSource, options: { file?: string } = {}): Promise<TensorListing> {
  return listingOf(await openSafetensorsFiles(source, safetensorsFiles(source.manifest, options.file)));
}

const sample = (names: Iterable<string>): string[] => [...new Set(names)].slice(0, 20);

/** A matcher for a name or a glob (picomatch): a name that exists is taken as it is. */
function matcherOf(pattern: string): (name: string) => boolean {
  const glob = picomatch(pattern, { dot: true });
  return (name) => name === pattern || glob(name);
}

/**
 * The tensors that `patterns` (names or globs) select. Every pattern must match; a name held by
 * several files is taken from the file the weight map names, else it is ambiguous. The result is
 * in listing order (file, then data offset).
 */
export function selectTensors(listing: TensorListing, patterns: readonly string[], weightMap: WeightMap = new Map()): TensorInfo[] {
  if (patterns.length === 0) throw new TensorSelectionError("TENSOR_NOT_FOUND", "no tensor asked for", sample(listing.tensors.map((t) => t.name)));
  const chosen = new Set<TensorInfo>();
  for (const pattern of patterns) {
    const matches = matcherOf(pattern);
    const found = listing.tensors.filter((t) => matches(t.name));
    if (found.length === 0) {
      const names = sample(listing.tensors.map((t) => t.name));
      throw new TensorSelectionError("TENSOR_NOT_FOUND", `no tensor matches ${JSON.stringify(pattern)}; some tensors: ${names.join(", ")}`, names);
    }
    for (const t of found) chosen.add(t);
  }
  const byName = new Map<string, TensorInfo[]>();
  for (const t of chosen) byName.set(t.name, [...(byName.get(t.name) ?? []), t]);
  const result = new Set<TensorInfo>();
  for (const [name, candidates] of byName) {
    if (candidates.length === 1) {
      result.add(candidates[0]!);
      continue;
    }
    const indexed = candidates.find((t) => t.file === weightMap.get(name));
    if (indexed === undefined) {
      const files = candidates.map((t) => t.file ?? "(model)");
      throw new TensorSelectionError("TENSOR_AMBIGUOUS", `${JSON.stringify(name)} is in ${files.join(" and ")} and no index says which: pick one with --file`, files);
    }
    result.add(indexed);
  }
  return listing.tensors.filter((t) => result.has(t));
}

/**
 * The files that can hold what `patterns` select, by the weight map: only those headers need
 * reading. Undefined when a pattern matches nothing in the map (then every file is read).
 */
export function filesForPatterns(weightMap: WeightMap, patterns: readonly string[], files: readonly ModelFile[]): ModelFile[] | undefined {
  if (weightMap.size === 0) return undefined;
  const wanted = new Set<string>();
  for (const pattern of patterns) {
    const matches = matcherOf(pattern);
    let any = false;
    for (const [name, shard] of weightMap) {
      if (!matches(name)) continue;
      any = true;
      wanted.add(shard);
    }
    if (!any) return undefined;
  }
  const chosen = files.filter((f) => f.path !== null && wanted.has(f.path));
  return chosen.length === wanted.size ? chosen : undefined;
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
  const candidates = safetensorsFiles(source.manifest, options.file);
  const weightMap = options.file === undefined && candidates[0]!.path !== null ? await readWeightMap(source, modelFiles(source.manifest)) : new Map<string, string>();
  const opened = await openSafetensorsFiles(source, filesForPatterns(weightMap, patterns, candidates) ?? candidates);
  const listing = listingOf(opened);
  return { opened, listing, selected: selectTensors(listing, patterns, weightMap) };
}
