/** What the model commands share: the API client, the content key, the checked manifest, a file download decrypted here. */
import { constants, createWriteStream } from "node:fs";
import { readFile, rename, rm } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CID } from "multiformats/cid";
import { getAddress, hexToBytes, isAddress, isHex, type Address } from "viem";
import { constantTimeEqual, keyCommitment, open, WrongKeyError } from "../../crypto/index.js";
import { loadConfig, apiUrlOf } from "../config.js";
import { ContentInterruptedError, ContentMismatchError, InvalidManifestError } from "../errors.js";
import { checkFileOutput } from "../models/directory-output.js";
import { checkManifestBlock, checkManifestCid } from "../../crypto/manifest-block.js";
import { decodeSignedManifest, fileModel, type SignedManifest } from "../models/manifest.js";
import { ApiClient } from "./api-client.js";
import { progressBar, progressModeOf, type CliIo, type ProgressOptions } from "./io.js";
import type { CommonOptions } from "./node-commands.js";
import { UsageError } from "./usage-error.js";


/** --api, else MODELVAULT_API_URL, else the API address of the configuration. */
export async function apiClientFor(options: CommonOptions, io: CliIo): Promise<ApiClient> {
  if (options.api !== undefined) return new ApiClient(options.api);
  if (io.env.MODELVAULT_API_URL) return new ApiClient(io.env.MODELVAULT_API_URL);
  return new ApiClient(apiUrlOf(await loadConfig({ flags: { config: options.config, dataDir: options.dataDir }, env: io.env })));
}

export interface FetchCliOptions extends CommonOptions, ProgressOptions {
  output: string;
  key?: string;
  keyFile?: string;
  expectedOwner?: string;
  timeout?: string;
  /** Directory models: fetch only the files matching one of these globs / none of these. */
  include?: string[];
  exclude?: string[];
  /** Write a safetensors file with just these tensors (names or globs). */
  tensor?: string[];
  /** With --tensor: the safetensors file of a directory model. */
  file?: string;
  force?: boolean;
}

function parseKey(text: string): Uint8Array {
  const hex = (text.trim().startsWith("0x") ? text.trim() : `0x${text.trim()}`) as `0x${string}`;
  if (!isHex(hex) || hex.length !== 66) throw new UsageError("the key must be 32 bytes of hex (64 hex digits, optional 0x)");
  return hexToBytes(hex);
}

export async function keyOf(options: Pick<FetchCliOptions, "key" | "keyFile">): Promise<Uint8Array> {
  if (options.key !== undefined && options.keyFile !== undefined) throw new UsageError("give --key or --key-file, not both");
  if (options.keyFile !== undefined) {
    try {
      return parseKey(await readFile(options.keyFile, "utf8"));
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`cannot read key file ${options.keyFile}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
    }
  }
  if (options.key === undefined) throw new UsageError("the content key is required: --key HEX or --key-file FILE");
  return parseKey(options.key);
}

/**
 * The manifest block from the API, checked here: its bytes must hash to the CID we asked for,
 * and its signature must come from its owner (and from --expected-owner when given). The node
 * serving it is not trusted.
 */
export async function verifiedManifest(client: ApiClient, cid: CID, query: Record<string, string | undefined>, owner?: Address): Promise<SignedManifest> {
  const invalid = (message: string) => new InvalidManifestError(message);
  checkManifestCid(cid, invalid); // before asking the node for anything
  const bytes = await client.bytes({ path: `/v1/manifests/${cid}`, query: { ...query, format: "dag-json" } });
  checkManifestBlock(cid, bytes, invalid);
  return decodeSignedManifest(bytes, owner);
}

/** A model read by manifest CID: its key, the API client, and the manifest checked here. */
export interface OpenedModel {
  cid: CID;
  key: Uint8Array;
  client: ApiClient;
  query: Record<string, string | undefined>;
  signed: SignedManifest;
}

/**
 * The start of every command that reads a model by manifest CID (fetch, tensors): the options
 * checked (key, CID, --expected-owner, --timeout, --progress) before anything is read, then the
 * manifest fetched through the API and verified here.
 */
export async function openModel(cidText: string, options: Omit<FetchCliOptions, "output">, io: CliIo): Promise<OpenedModel> {
  const key = await keyOf(options);
  let cid: CID;
  try {
    cid = CID.parse(cidText);
  } catch {
    throw new UsageError(`not a CID: ${JSON.stringify(cidText.slice(0, 100))}`);
  }
  if (options.expectedOwner !== undefined && !isAddress(options.expectedOwner)) throw new UsageError("--expected-owner must be an address");
  if (options.timeout !== undefined && !/^[0-9]{1,7}$/.test(options.timeout)) throw new UsageError("--timeout must be milliseconds");
  progressModeOf(options);
  const client = await apiClientFor(options, io);
  const query = { timeoutMs: options.timeout };
  const signed = await verifiedManifest(client, cid, query, options.expectedOwner === undefined ? undefined : getAddress(options.expectedOwner));
  return { cid, key, client, query, signed };
}

/** An HTTP body that ended before its Content-Length: a reset, a premature close, undici's "aborted"/"terminated". */
export function isCutShort(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE" || code === "UND_ERR_SOCKET" || message === "aborted" || message === "terminated";
}

/** SEALED_WRONG_KEY unless `key` matches the manifest's key commitment: checked before any content is requested. */
export function checkContentKey(manifest: { keyCommitment: string }, key: Uint8Array): void {
  if (!constantTimeEqual(keyCommitment(key), hexToBytes(manifest.keyCommitment as `0x${string}`))) throw new WrongKeyError();
}

/** A sealed stream of a model: the content of a one-file model, or one file of a directory model. */
export interface ApiSealedStream {
  cid: { toString(): string };
  sealedSize: number;
  plaintextSize: number;
}

/**
 * One sealed stream from `GET /v1/content/<cid>`, decrypted and checked here under `key` (the
 * content key, or a directory file's fileKey): every segment authenticated, the size as the
 * manifest says. A response the node cuts short is CONTENT_INTERRUPTED.
 */
export async function* decryptedFromApi(
  client: ApiClient,
  stream: ApiSealedStream,
  key: Uint8Array,
  modelId: Uint8Array,
  query: Record<string, string | undefined>,
): AsyncGenerator<Uint8Array, void, undefined> {
  const response = await client.send({ path: `/v1/content/${stream.cid}`, query });
  let sealedReceived = 0;
  async function* sealed() {
    for await (const chunk of response as AsyncIterable<Uint8Array>) {
      sealedReceived += chunk.length;
      yield chunk;
    }
  }
  let received = 0;
  try {
    // Decrypted here: the key never leaves this process. open() authenticates every segment.
    for await (const chunk of open(sealed(), { key, modelId })) {
      received += chunk.length;
      if (received > stream.plaintextSize) throw new ContentMismatchError("content is longer than the manifest says");
      yield chunk;
    }
    if (received !== stream.plaintextSize) throw new ContentMismatchError(`content has ${received} bytes, manifest says ${stream.plaintextSize}`);
  } catch (error) {
    // The node cuts a response it cannot finish (its sources went quiet past the idle timeout).
    if (isCutShort(error)) throw new ContentInterruptedError(stream.cid.toString(), sealedReceived, stream.sealedSize, { cause: error });
    throw error;
  } finally {
    response.destroy();
  }
}

export interface DownloadOptions extends ProgressOptions {
  /** Overwrite an existing output file. */
  force?: boolean;
  /** The command named in progress lines (default "fetch"). */
  progressLabel?: string;
}

/**
 * Streams a one-file model from the API, decrypts and checks every segment here, writes `output`.
 * The output is checked (checkFileOutput: not a directory, parent exists, --force to overwrite)
 * before the content is requested.
 */
export async function downloadDecrypted(
  client: ApiClient,
  signed: SignedManifest,
  key: Uint8Array,
  output: string,
  query: Record<string, string | undefined>,
  io: CliIo,
  options: DownloadOptions,
): Promise<number> {
  const { manifest } = fileModel(signed);
  checkContentKey(manifest, key);
  await checkFileOutput(output, options);
  const progress = progressBar(io, options, options.progressLabel ?? "fetch", manifest.plaintextSize);
  let received = 0;
  async function* counted() {
    for await (const chunk of decryptedFromApi(client, { cid: manifest.content, sealedSize: manifest.sealedSize, plaintextSize: manifest.plaintextSize }, key, hexToBytes(manifest.modelId), query)) {
      received += chunk.length;
      progress.update(received);
      yield chunk;
    }
  }
  const temp = `${output}.partial`;
  try {
    // Not through a link planted at the temporary name; the file appears only once every segment checked out.
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
    await pipeline(Readable.from(counted()), createWriteStream(temp, { flags: flags as unknown as string, mode: 0o600 }));
    await rename(temp, output);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  } finally {
    progress.stop();
  }
  return received;
}
