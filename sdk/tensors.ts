/**
 * Tensors of an encrypted safetensors model, in the browser: the manifest from a node's API
 * (checked here), then only the sealed segments that hold the safetensors headers and the
 * tensors asked for, with `Range` requests to `GET /v1/content/<file cid>`, several at once,
 * decrypted here with WebCrypto (the node never sees the key). A page can list a model's
 * tensors and lazily load one. The format is zkp/safetensors.ts and the listing, index and
 * selection rules zkp/tensor-index.ts, the node's own code (with exact names where the node
 * takes globs); docs/TENSORS.md is the spec.
 */
import type { CID } from "multiformats/cid";
import { hexToBytes, type Address } from "viem";
import { fileKey } from "../crypto/directory.js";
import { invalidSafetensorsMessage, listModelTensors, loadTensors, openForPatterns, selectTensors, type ModelFile, type TensorErrors, type TensorInfo, type TensorListing, type TensorModel } from "../zkp/tensor-index.js";
import { constantTimeEqual } from "../crypto/bytes.js";
import { keyCommitment } from "./derive.js";
import { SdkError } from "./errors.js";
import { checkManifestBlock, decodeSignedManifest, parseCid, type Manifest, type SignedManifest } from "./manifest.js";
import { request, requestBytes, type FetchLike } from "./node-api.js";
import { SealedRangeReader, type SealedRangeOptions } from "./sealed.js";

export type { TensorFileInfo, TensorInfo, TensorListing } from "../zkp/tensor-index.js";

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

export interface LoadedTensor {
  info: TensorInfo;
  /** The raw little-endian bytes (view them as the dtype says, e.g. new Float32Array(bytes.buffer)). */
  bytes: Uint8Array;
}

type ModelRef = string | CID | SignedManifest;

const ERRORS: TensorErrors = {
  invalid: (file, message, cause) => new SdkError("INVALID_SAFETENSORS", invalidSafetensorsMessage(file, message), {}, cause === undefined ? undefined : { cause }),
  noSafetensors: (message) => new SdkError("NO_SAFETENSORS", message),
  selection: (code, message) => new SdkError(code, message),
  chooseFile: "pass file",
};
/** Exact names: a browser page names the tensors it wants. */
const exactName = (pattern: string) => (name: string) => name === pattern;

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

const modelOf = (manifest: Manifest, options: TensorReadOptions): TensorModel<SealedRangeReader> => ({
  manifest,
  open: (file) => openFile(manifest, file, options),
  matcher: exactName,
  errors: ERRORS,
});

/** Every tensor of the model (or of its safetensors file `options.file`), from the headers alone. */
export async function listTensors(model: ModelRef, options: TensorReadOptions): Promise<TensorListing> {
  return listModelTensors(modelOf(await manifestOf(model, options), options), options.file);
}

/**
 * The tensors named (exact names), fetching only the segments that cover them. With an index,
 * only the shards it names are opened, and it decides a name that two shards hold.
 */
export async function readTensors(model: ModelRef, names: readonly string[], options: TensorReadOptions): Promise<LoadedTensor[]> {
  const tensors = modelOf(await manifestOf(model, options), options);
  const { opened, listing, weightMap } = await openForPatterns(tensors, names, options.file);
  return loadTensors(opened, selectTensors(listing, names, weightMap, tensors), options);
}

/** One tensor by name: its description and raw bytes. */
export async function readTensor(model: ModelRef, name: string, options: TensorReadOptions): Promise<LoadedTensor> {
  return (await readTensors(model, [name], options))[0]!;
}
