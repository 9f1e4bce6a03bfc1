/** What the model commands share: the API client, the content key, the checked manifest, a file download decrypted here. */
import * as dagJson from "@ipld/dag-json";
import { createWriteStream } from "node:fs";
import { readFile, rename, rm } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { hexToBytes, isHex, type Address } from "viem";
import { constantTimeEqual, keyCommitment, open, WrongKeyError } from "../../crypto/index.js";
import { loadConfig, apiUrlOf } from "../config.js";
import { ContentInterruptedError, ContentMismatchError, InvalidManifestError } from "../errors.js";
import { decodeSignedManifest, type SignedManifest } from "../models/manifest.js";
import { ApiClient } from "./api-client.js";
import { progressBar, type CliIo, type ProgressOptions } from "./io.js";
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

export async function keyOf(options: FetchCliOptions): Promise<Uint8Array> {
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
  if (cid.code !== dagJson.code || cid.multihash.code !== sha256.code) {
    throw new InvalidManifestError(`${cid} is not a manifest CID (dag-json, sha2-256)`);
  }
  const bytes = await client.bytes({ path: `/v1/manifests/${cid}`, query: { ...query, format: "dag-json" } });
  const digest = await sha256.digest(bytes);
  if (!constantTimeEqual(digest.digest, cid.multihash.digest)) throw new InvalidManifestError(`the node sent a manifest that does not match ${cid}`);
  return decodeSignedManifest(bytes, owner);
}

/** An HTTP body that ended before its Content-Length: a reset, a premature close, undici's "aborted"/"terminated". */
export function isCutShort(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE" || code === "UND_ERR_SOCKET" || message === "aborted" || message === "terminated";
}

/** Streams the content from the API, decrypts and checks every segment here, writes `output`. */
export async function downloadDecrypted(
  client: ApiClient,
  signed: SignedManifest,
  key: Uint8Array,
  output: string,
  query: Record<string, string | undefined>,
  io: CliIo,
  progressOptions: ProgressOptions,
): Promise<number> {
  const { manifest } = signed;
  if (!constantTimeEqual(keyCommitment(key), hexToBytes(manifest.keyCommitment))) throw new WrongKeyError();
  const response = await client.send({ path: `/v1/content/${manifest.content}`, query });
  const progress = progressBar(io, progressOptions, "fetch", manifest.plaintextSize);
  let received = 0;
  let sealedReceived = 0;
  async function* sealed() {
    for await (const chunk of response as AsyncIterable<Uint8Array>) {
      sealedReceived += chunk.length;
      yield chunk;
    }
  }
  // Decrypted here: the key never leaves this process. open() authenticates every segment.
  async function* plaintext() {
    for await (const chunk of open(sealed(), { key, modelId: hexToBytes(manifest.modelId) })) {
      received += chunk.length;
      if (received > manifest.plaintextSize) throw new ContentMismatchError("content is longer than the manifest says");
      progress.update(received);
      yield chunk;
    }
    if (received !== manifest.plaintextSize) throw new ContentMismatchError(`content has ${received} bytes, manifest says ${manifest.plaintextSize}`);
  }
  const temp = `${output}.partial`;
  try {
    await pipeline(Readable.from(plaintext()), createWriteStream(temp, { mode: 0o600 }));
    await rename(temp, output); // the file appears only once every segment checked out
  } catch (error) {
    response.destroy();
    await rm(temp, { force: true });
    // The node cuts a response it cannot finish (its sources went quiet past the idle timeout).
    if (isCutShort(error)) throw new ContentInterruptedError(manifest.content.toString(), sealedReceived, manifest.sealedSize, { cause: error });
    throw error;
  } finally {
    progress.stop();
  }
  return received;
}
