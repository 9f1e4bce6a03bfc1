/**
 * Where the tensors of a (sealed) safetensors model lie, from the headers alone: per safetensors
 * file, the 8-byte length and the JSON header are read and each tensor's plaintext byte range
 * follows from it; a directory model's `*.safetensors.index.json` weight maps say which shard
 * holds a name, so only the shards a selection needs are opened (docs/TENSORS.md).
 *
 * The one implementation for the node (node/models/tensor-listing.ts, over node:crypto's
 * SealedReader) and the browser SDK (sdk/tensors.ts, over WebCrypto's SealedRangeReader): it
 * reads through the caller's `open(file)`, matches names with the caller's matcher (globs on the
 * node, exact names in the SDK) and throws the caller's typed errors. No Node built-ins.
 */
import type { CID } from "multiformats/cid";
import { isDirectoryManifest, type Manifest } from "../crypto/manifest-schema.js";
import { LENGTH_PREFIX_BYTES, parseSafetensorsHeader, SafetensorsError, safetensorsHeaderLength, type Dtype } from "./safetensors.js";

/** A sealed file of the model: a format-1 model's content (path null), or one file of a directory. */
export interface ModelFile {
  path: string | null;
  cid: CID;
  plaintextSize: number;
  sealedSize: number;
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

/** Tensor name -> safetensors path, from every `*.safetensors.index.json` (paths relative to the index). */
export type WeightMap = Map<string, string>;

/** Plaintext of one opened (decrypting, authenticating) file. */
export interface PlaintextReader {
  readonly plaintextLength: number;
  bytes(start: number, end: number): Promise<Uint8Array>;
}

/** A reader of plaintext ranges, as SealedReader and SealedRangeReader are. */
export interface RangeReader<O> extends PlaintextReader {
  ranges(ranges: readonly { start: number; end: number }[], options?: O): AsyncIterable<{ range: number; bytes: Uint8Array }>;
}

/** A safetensors file's header, read through its reader (only the segments it spans). */
export interface OpenedSafetensors<R extends PlaintextReader = PlaintextReader> {
  file: ModelFile;
  reader: R;
  info: TensorFileInfo;
  tensors: TensorInfo[];
}

/** Each side's typed errors, with the stable codes docs/TENSORS.md names. */
export interface TensorErrors {
  /** INVALID_SAFETENSORS: `message` says what is wrong (see invalidSafetensorsMessage). */
  invalid(file: string | null, message: string, cause?: unknown): Error;
  /** NO_SAFETENSORS */
  noSafetensors(message: string): Error;
  /** TENSOR_NOT_FOUND or TENSOR_AMBIGUOUS, with some names (or the files) to help the caller. */
  selection(code: "TENSOR_NOT_FOUND" | "TENSOR_AMBIGUOUS", message: string, names: readonly string[]): Error;
  /** How the caller picks one file, ending an ambiguity's message (e.g. "pick one with --file"). */
  chooseFile: string;
}

/** How a model's tensors are read: its manifest, a reader per file, name matching, errors. */
export interface TensorModel<R extends PlaintextReader> {
  manifest: Manifest;
  /** The reader of one file (a directory's files open with their own key). */
  open(file: ModelFile): Promise<R>;
  /** A predicate for one pattern the caller gave (an exact name, or a glob). */
  matcher(pattern: string): (name: string) => boolean;
  errors: TensorErrors;
}

export const INDEX_SUFFIX = ".safetensors.index.json";
/** A weight-map index is read whole: refuse anything unreasonably large. */
export const MAX_INDEX_BYTES = 64 << 20;

export const isSafetensorsPath = (path: string): boolean => path.endsWith(".safetensors");

export const invalidSafetensorsMessage = (file: string | null, message: string): string =>
  `${file === null ? "the model" : JSON.stringify(file)} is not valid safetensors: ${message}`;

export function modelFiles(manifest: Manifest): ModelFile[] {
  if (!isDirectoryManifest(manifest)) return [{ path: null, cid: manifest.content, plaintextSize: manifest.plaintextSize, sealedSize: manifest.sealedSize }];
  return manifest.files.map((f) => ({ path: f.path, cid: f.cid, plaintextSize: f.plaintextSize, sealedSize: f.sealedSize }));
}

/** The safetensors files to read: every one, or the one named (a directory model's path). */
export function safetensorsFiles(manifest: Manifest, only: string | undefined, errors: TensorErrors): ModelFile[] {
  const files = modelFiles(manifest);
  if (files[0]!.path === null) {
    if (only !== undefined) throw errors.noSafetensors(`the model is one file: it has no file ${JSON.stringify(only)}`);
    return files;
  }
  if (only !== undefined) {
    const file = files.find((f) => f.path === only);
    if (file === undefined) throw errors.noSafetensors(`the model has no file ${JSON.stringify(only)}`);
    if (!isSafetensorsPath(only)) throw errors.noSafetensors(`${JSON.stringify(only)} is not a .safetensors file`);
    return [file];
  }
  const chosen = files.filter((f) => isSafetensorsPath(f.path!));
  if (chosen.length === 0) throw errors.noSafetensors(`the model has no .safetensors file (its files: ${files.slice(0, 20).map((f) => f.path).join(", ")})`);
  return chosen;
}

export async function readSafetensorsHeader<R extends PlaintextReader>(model: TensorModel<R>, file: ModelFile): Promise<OpenedSafetensors<R>> {
  const reader = await model.open(file);
  if (reader.plaintextLength !== file.plaintextSize) throw model.errors.invalid(file.path, "its size contradicts the manifest");
  try {
    const length = safetensorsHeaderLength(await reader.bytes(0, Math.min(LENGTH_PREFIX_BYTES, file.plaintextSize)), file.plaintextSize);
    const header = parseSafetensorsHeader(await reader.bytes(0, LENGTH_PREFIX_BYTES + length), file.plaintextSize);
    const tensors = header.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, file: file.path, start: t.start, end: t.end, dataOffsets: t.dataOffsets }));
    const info = { path: file.path, plaintextSize: file.plaintextSize, headerBytes: header.dataStart, tensorCount: tensors.length, metadata: header.metadata };
    return { file, reader, info, tensors };
  } catch (error) {
    if (error instanceof SafetensorsError) throw model.errors.invalid(file.path, error.message, error);
    throw error;
  }
}

async function readIndex(model: TensorModel<PlaintextReader>, file: ModelFile & { path: string }): Promise<WeightMap> {
  const { errors } = model;
  if (file.plaintextSize > MAX_INDEX_BYTES) throw errors.invalid(file.path, `an index of ${file.plaintextSize} bytes is larger than ${MAX_INDEX_BYTES}`);
  const reader = await model.open(file);
  const bytes = await reader.bytes(0, reader.plaintextLength); // a failed read is the reader's error, not the index's
  let index: unknown;
  try {
    index = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw errors.invalid(file.path, `the index is not UTF-8 JSON (${(error as Error).message})`);
  }
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== "object" || weightMap === null || Array.isArray(weightMap)) throw errors.invalid(file.path, "the index has no weight_map object");
  const dir = file.path.includes("/") ? file.path.slice(0, file.path.lastIndexOf("/") + 1) : "";
  const map: WeightMap = new Map();
  for (const [name, shard] of Object.entries(weightMap)) {
    if (typeof shard !== "string") throw errors.invalid(file.path, `weight_map[${JSON.stringify(name)}] is not a path`);
    map.set(name, dir + shard);
  }
  return map;
}

/** The merged weight maps of the model's indexes among `files` (empty without one), read in parallel. */
export async function readWeightMap(model: TensorModel<PlaintextReader>, files: readonly ModelFile[]): Promise<WeightMap> {
  const indexes = files.filter((f): f is ModelFile & { path: string } => f.path !== null && f.path.endsWith(INDEX_SUFFIX));
  const maps = await Promise.all(indexes.map((f) => readIndex(model, f)));
  const merged: WeightMap = new Map();
  for (const map of maps) for (const [name, shard] of map) if (!merged.has(name)) merged.set(name, shard);
  return merged;
}

/** Reads the headers of `files` in parallel; the result keeps the files' order. */
export function openSafetensorsFiles<R extends PlaintextReader>(model: TensorModel<R>, files: readonly ModelFile[]): Promise<OpenedSafetensors<R>[]> {
  return Promise.all(files.map((f) => readSafetensorsHeader(model, f)));
}

export function listingOf(opened: readonly OpenedSafetensors[]): TensorListing {
  const metadata: Record<string, string> = {};
  for (const { info } of opened) for (const [k, v] of Object.entries(info.metadata)) if (!Object.hasOwn(metadata, k)) metadata[k] = v;
  return { tensors: opened.flatMap((o) => o.tensors), files: opened.map((o) => o.info), metadata };
}

/** Every tensor of the model (or of its file `only`): headers only. */
export async function listModelTensors(model: TensorModel<PlaintextReader>, only?: string): Promise<TensorListing> {
  return listingOf(await openSafetensorsFiles(model, safetensorsFiles(model.manifest, only, model.errors)));
}

/** Some distinct names, for an error message. */
export const sampleNames = (names: Iterable<string>): string[] => [...new Set(names)].slice(0, 20);

/**
 * The tensors that `patterns` select (none for no pattern). Every pattern must match; a name
 * held by several files is taken from the file the weight map names, else it is ambiguous. The
 * result is in listing order (file, then data offset).
 */
export function selectTensors(
  listing: TensorListing,
  patterns: readonly string[],
  weightMap: WeightMap,
  { matcher, errors }: Pick<TensorModel<PlaintextReader>, "matcher" | "errors">,
): TensorInfo[] {
  const chosen = new Set<TensorInfo>();
  for (const pattern of patterns) {
    const matches = matcher(pattern);
    const found = listing.tensors.filter((t) => matches(t.name));
    if (found.length === 0) {
      const names = sampleNames(listing.tensors.map((t) => t.name));
      throw errors.selection("TENSOR_NOT_FOUND", `no tensor matches ${JSON.stringify(pattern)}; some tensors: ${names.join(", ")}`, names);
    }
    for (const t of found) chosen.add(t);
  }
  const byName = new Map<string, TensorInfo[]>();
  for (const t of chosen) byName.set(t.name, [...(byName.get(t.name) ?? []), t]);
  const result = new Set<TensorInfo>();
  for (const [name, candidates] of byName) {
    const pick = candidates.length === 1 ? candidates[0] : candidates.find((t) => t.file === weightMap.get(name));
    if (pick === undefined) {
      const files = candidates.map((t) => t.file ?? "(model)");
      throw errors.selection("TENSOR_AMBIGUOUS", `${JSON.stringify(name)} is in ${files.join(" and ")} and no index says which: ${errors.chooseFile}`, files);
    }
    result.add(pick);
  }
  return listing.tensors.filter((t) => result.has(t));
}

/**
 * The files that can hold what `patterns` select, by the weight map: only those headers need
 * reading. Undefined when a pattern matches nothing in the map (then every file is read).
 */
export function filesForPatterns(weightMap: WeightMap, patterns: readonly string[], files: readonly ModelFile[], matcher: TensorModel<PlaintextReader>["matcher"]): ModelFile[] | undefined {
  if (weightMap.size === 0) return undefined;
  const wanted = new Set<string>();
  for (const pattern of patterns) {
    const matches = matcher(pattern);
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
 * for the patterns, or every safetensors file. Select from the listing with the weight map.
 */
export async function openForPatterns<R extends PlaintextReader>(
  model: TensorModel<R>,
  patterns: readonly string[],
  only?: string,
): Promise<{ opened: OpenedSafetensors<R>[]; listing: TensorListing; weightMap: WeightMap }> {
  const candidates = safetensorsFiles(model.manifest, only, model.errors);
  const weightMap = only === undefined && candidates[0]!.path !== null ? await readWeightMap(model, modelFiles(model.manifest)) : new Map<string, string>();
  const opened = await openSafetensorsFiles(model, filesForPatterns(weightMap, patterns, candidates, model.matcher) ?? candidates);
  return { opened, listing: listingOf(opened), weightMap };
}

/** The raw bytes of `selected` (from `opened`, in listing order), file by file in parallel. */
export async function loadTensors<O>(
  opened: readonly OpenedSafetensors<RangeReader<O>>[],
  selected: readonly TensorInfo[],
  options?: O,
): Promise<{ info: TensorInfo; bytes: Uint8Array }[]> {
  const perFile = await Promise.all(
    opened.map(async (o) => {
      const group = selected.filter((t) => t.file === o.info.path);
      const buffers = group.map((info) => ({ info, bytes: new Uint8Array(info.end - info.start), filled: 0 }));
      for await (const { range, bytes } of o.reader.ranges(group, options)) {
        const target = buffers[range]!;
        target.bytes.set(bytes, target.filled);
        target.filled += bytes.length;
      }
      return buffers.map(({ info, bytes }) => ({ info, bytes }));
    }),
  );
  return perFile.flat();
}
