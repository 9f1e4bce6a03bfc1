/**
 * Tensors of an encrypted safetensors model, in the browser: the manifest from a node's API
 * (checked here), then only the sealed segments that hold the safetensors headers and the
 * tensors asked for, with `Range` requests to `GET /v1/content/<file cid>`, several at once,
 * decrypted here with WebCrypto (the node never sees the key). A page can list a model's
 * tensors and lazily load one. The format is zkp/safetensors.ts, the node's own reader;
 * docs/TENSORS.md is the spec.
 */
import type { CID } from "multiformats/cid";
import { hexToBytes, type Address } from "viem";
import { fileKey } from "../crypto/directory.js";
import { LENGTH_PREFIX_BYTES, parseSafetensorsHeader, SafetensorsError, safetensorsHeaderLength, type Dtype } from "../zkp/safetensors.js";
import { constantTimeEqual } from "./bytes.js";
import { keyCommitment } from "./derive.js";
import { SdkError } from "./errors.js";
import { checkManifestBlock, decodeSignedManifest, isDirectoryManifest, parseCid, type Manifest, type SignedManifest } from "./manifest.js";
import { request, requestBytes, type FetchLike } from "./node-api.js";
import { SealedRangeReader, type SealedRangeOptions } from "./sealed.js";

export interface TensorReadOptions extends SealedRangeOptions {
  /** A node's HTTP API, e.g. "http://127.0.0.1:5480". */
  nodeUrl: string;
  /** The version's 32-byte content key. */
  key: Uint8Array;
  /** A directory model: only this safetensors file. */
  file?: string;
  /** The manifest must be signed by this address (e.g. the owner the registry names). */
  expectedOwner?: Address;
  /** The node's idle timeout for each read. */
  timeoutMs?: number;
  fetch?: FetchLike;
}

export interface TensorInfo {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** The safetensors file's path in a directory model; null for a one-file model. */
  file: string | null;
  /** Plaintext byte range [start, end) of the tensor in its file. */
  start: number;
  end: number;
  dataOffsets: [number, number];
}

export interface TensorFileInfo {
  path: string | null;
  plaintextSize: number;
  headerBytes: number;
  tensorCount: number;
  metadata: Record<string, string>;
}

export interface TensorListing {
  tensors: TensorInfo[];
  files: TensorFileInfo[];
  metadata: Record<string, string>;
}

export interface LoadedTensor {
  info: TensorInfo;
  /** The raw little-endian bytes (view them as the dtype says, e.g. new Float32Array(bytes.buffer)). */
  bytes: Uint8Array;
}

type ModelRef = string | CID | SignedManifest;
interface ModelFile { path: string | null; cid: CID; plaintextSize: number; sealedSize: number }
interface Opened { reader: SealedRangeReader; info: TensorFileInfo; tensors: TensorInfo[] }

const INDEX_SUFFIX = ".safetensors.index.json";
const MAX_INDEX_BYTES = 64 << 20;
const fetchOf = (options: TensorReadOptions): FetchLike => options.fetch ?? ((input, init) => globalThis.fetch(input, init));

async function manifestOf(model: ModelRef, options: TensorReadOptions): Promise<Manifest> {
  let signed: SignedManifest;
  if (typeof model === "object" && "manifest" in model) signed = model;
  else {
    const cid = parseCid(model);
    const bytes = await requestBytes(fetchOf(options), options.nodeUrl, `v1/manifests/${cid}`, {
      query: { format: "dag-json", timeoutMs: options.timeoutMs?.toString() },
      signal: options.signal,
    });
    checkManifestBlock(cid, bytes);
    signed = await decodeSignedManifest(bytes, options.expectedOwner);
  }
  if (!constantTimeEqual(keyCommitment(options.key), hexToBytes(signed.manifest.keyCommitment))) {
    throw new SdkError("WRONG_KEY", "the key does not match the manifest's key commitment");
  }
  return signed.manifest;
}

function filesOf(manifest: Manifest): ModelFile[] {
  if (!isDirectoryManifest(manifest)) return [{ path: null, cid: manifest.content, plaintextSize: manifest.plaintextSize, sealedSize: manifest.sealedSize }];
  return manifest.files.map((f) => ({ path: f.path, cid: f.cid, plaintextSize: f.plaintextSize, sealedSize: f.sealedSize }));
}

function safetensorsFiles(manifest: Manifest, only?: string): ModelFile[] {
  const files = filesOf(manifest);
  if (files[0]!.path === null) {
    if (only !== undefined) throw new SdkError("NO_SAFETENSORS", `the model is one file: it has no file ${JSON.stringify(only)}`);
    return files;
  }
  const chosen = files.filter((f) => (only === undefined ? f.path!.endsWith(".safetensors") : f.path === only));
  if (only !== undefined && (chosen.length === 0 || !only.endsWith(".safetensors"))) throw new SdkError("NO_SAFETENSORS", `${JSON.stringify(only)} is not a .safetensors file of the model`);
  if (chosen.length === 0) throw new SdkError("NO_SAFETENSORS", "the model has no .safetensors file");
  return chosen;
}

/** Opens one sealed file of the model with Range requests (header and frame 0 in the first). */
async function openFile(manifest: Manifest, file: ModelFile, options: TensorReadOptions): Promise<SealedRangeReader> {
  const fetchFn = fetchOf(options);
  const key = file.path === null ? options.key : fileKey(options.key, file.path);
  const origin = new URL(options.nodeUrl).origin;
  try {
    return await SealedRangeReader.open({
      key,
      modelId: hexToBytes(manifest.modelId),
      sealedLength: file.sealedSize,
      segmentSize: manifest.segmentSize,
      concurrency: options.concurrency,
      maxReadBytes: options.maxReadBytes,
      minReadBytes: options.minReadBytes,
      signal: options.signal,
      read: async (start, end, signal) => {
        const response = await request(fetchFn, options.nodeUrl, `v1/content/${file.cid}`, {
          query: { timeoutMs: options.timeoutMs?.toString() },
          headers: { range: `bytes=${start}-${end - 1}` },
          signal,
        });
        let bytes: Uint8Array;
        try {
          bytes = new Uint8Array(await response.arrayBuffer());
        } catch (error) {
          throw new SdkError("NODE_UNAVAILABLE", `${origin}: the answer was cut short`, {}, { cause: error });
        }
        if (response.status !== 206 || bytes.length !== end - start) {
          throw new SdkError("CONTENT_MISMATCH", `${origin} answered ${response.status} with ${bytes.length} bytes for bytes ${start}-${end - 1} of ${file.cid}`);
        }
        return bytes;
      },
    });
  } finally {
    if (file.path !== null) key.fill(0);
  }
}

const invalid = (file: string | null, message: string) =>
  new SdkError("INVALID_SAFETENSORS", `${file === null ? "the model" : JSON.stringify(file)} is not valid safetensors: ${message}`);

async function openSafetensors(manifest: Manifest, file: ModelFile, options: TensorReadOptions): Promise<Opened> {
  const reader = await openFile(manifest, file, options);
  try {
    const length = safetensorsHeaderLength(await reader.bytes(0, Math.min(LENGTH_PREFIX_BYTES, file.plaintextSize)), file.plaintextSize);
    const header = parseSafetensorsHeader(await reader.bytes(0, LENGTH_PREFIX_BYTES + length), file.plaintextSize);
    const tensors = header.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, file: file.path, start: t.start, end: t.end, dataOffsets: t.dataOffsets }));
    return { reader, tensors, info: { path: file.path, plaintextSize: file.plaintextSize, headerBytes: header.dataStart, tensorCount: tensors.length, metadata: header.metadata } };
  } catch (error) {
    if (error instanceof SafetensorsError) throw invalid(file.path, error.message);
    throw error;
  }
}

/** Tensor name -> shard path from every `*.safetensors.index.json` of a directory model. */
async function weightMapOf(manifest: Manifest, options: TensorReadOptions): Promise<Map<string, string>> {
  const indexes = filesOf(manifest).filter((f) => f.path?.endsWith(INDEX_SUFFIX) === true);
  const maps = await Promise.all(
    indexes.map(async (f) => {
      if (f.plaintextSize > MAX_INDEX_BYTES) throw invalid(f.path, `an index of ${f.plaintextSize} bytes is too large`);
      const reader = await openFile(manifest, f, options);
      let weightMap: unknown;
      try {
        weightMap = (JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(await reader.bytes(0, reader.plaintextLength))) as { weight_map?: unknown })?.weight_map;
      } catch (error) {
        if (error instanceof SdkError) throw error;
        throw invalid(f.path, "the index is not UTF-8 JSON");
      }
      if (typeof weightMap !== "object" || weightMap === null || Array.isArray(weightMap)) throw invalid(f.path, "the index has no weight_map object");
      const dir = f.path!.includes("/") ? f.path!.slice(0, f.path!.lastIndexOf("/") + 1) : "";
      return Object.entries(weightMap).map(([name, shard]) => [name, typeof shard === "string" ? dir + shard : ""] as const);
    }),
  );
  const merged = new Map<string, string>();
  for (const entries of maps) for (const [name, shard] of entries) if (!merged.has(name)) merged.set(name, shard);
  return merged;
}

function listingOf(opened: readonly Opened[]): TensorListing {
  const metadata: Record<string, string> = {};
  for (const { info } of opened) for (const [k, v] of Object.entries(info.metadata)) if (!Object.hasOwn(metadata, k)) metadata[k] = v;
  return { tensors: opened.flatMap((o) => o.tensors), files: opened.map((o) => o.info), metadata };
}

/** Every tensor of the model (or of its safetensors file `options.file`), from the headers alone. */
export async function listTensors(model: ModelRef, options: TensorReadOptions): Promise<TensorListing> {
  const manifest = await manifestOf(model, options);
  return listingOf(await Promise.all(safetensorsFiles(manifest, options.file).map((f) => openSafetensors(manifest, f, options))));
}

/**
 * The tensors named (exact names), fetching only the segments that cover them. With an index,
 * only the shards it names are opened, and it decides a name that two shards hold.
 */
export async function readTensors(model: ModelRef, names: readonly string[], options: TensorReadOptions): Promise<LoadedTensor[]> {
  const manifest = await manifestOf(model, options);
  const candidates = safetensorsFiles(manifest, options.file);
  const weightMap = options.file === undefined && candidates[0]!.path !== null ? await weightMapOf(manifest, options) : new Map<string, string>();
  const shards = new Set(names.map((n) => weightMap.get(n)));
  const narrowed = shards.has(undefined) ? candidates : candidates.filter((f) => shards.has(f.path!));
  const opened = await Promise.all((narrowed.length === shards.size ? narrowed : candidates).map((f) => openSafetensors(manifest, f, options)));
  const listing = listingOf(opened);
  const chosen = new Set<TensorInfo>();
  for (const name of names) {
    const found = listing.tensors.filter((t) => t.name === name);
    if (found.length === 0) throw new SdkError("TENSOR_NOT_FOUND", `no tensor ${JSON.stringify(name)}; some tensors: ${listing.tensors.slice(0, 20).map((t) => t.name).join(", ")}`);
    const pick = found.length === 1 ? found[0] : found.find((t) => t.file === weightMap.get(name));
    if (pick === undefined) throw new SdkError("TENSOR_AMBIGUOUS", `${JSON.stringify(name)} is in ${found.map((t) => t.file).join(" and ")} and no index says which: pass file`);
    chosen.add(pick);
  }
  const perFile = await Promise.all(
    opened.map(async (o) => {
      const group = o.tensors.filter((t) => chosen.has(t));
      const loaded = group.map((info) => ({ info, bytes: new Uint8Array(info.end - info.start), filled: 0 }));
      for await (const { range, bytes } of o.reader.ranges(group, options)) {
        loaded[range]!.bytes.set(bytes, loaded[range]!.filled);
        loaded[range]!.filled += bytes.length;
      }
      return loaded.map(({ info, bytes }) => ({ info, bytes }));
    }),
  );
  return perFile.flat();
}

/** One tensor by name: its description and raw bytes. */
export async function readTensor(model: ModelRef, name: string, options: TensorReadOptions): Promise<LoadedTensor> {
  return (await readTensors(model, [name], options))[0]!;
}
