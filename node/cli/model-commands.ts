/** `modelvault publish FILE` and `modelvault fetch CID -o FILE`: thin clients of the node's API. */
import * as dagJson from "@ipld/dag-json";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { readFile, rename, rm, stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { getAddress, hexToBytes, isAddress, isHex, type Address } from "viem";
import { constantTimeEqual, keyCommitment, open, WrongKeyError } from "../../crypto/index.js";
import { loadConfig, apiUrlOf } from "../config.js";
import { ContentInterruptedError, ContentMismatchError, InvalidManifestError } from "../errors.js";
import { decodeSignedManifest, type SignedManifest } from "../models/manifest.js";
import { ApiClient } from "./api-client.js";
import { printJson, printLines, progressBar, type CliIo } from "./io.js";
import type { CommonOptions } from "./node-commands.js";
import { UsageError } from "./usage-error.js";


/** --api, else MODELVAULT_API_URL, else the API address of the configuration. */
export async function apiClientFor(options: CommonOptions, io: CliIo): Promise<ApiClient> {
  if (options.api !== undefined) return new ApiClient(options.api);
  if (io.env.MODELVAULT_API_URL) return new ApiClient(io.env.MODELVAULT_API_URL);
  return new ApiClient(apiUrlOf(await loadConfig({ flags: { config: options.config, dataDir: options.dataDir }, env: io.env })));
}

export interface PublishCliOptions extends CommonOptions {
  name?: string;
  segmentSize?: string;
  weightsCommitment?: string;
  custodians?: string;
  threshold?: string;
  register?: boolean;
  rotate?: string;
  price?: string;
  duration?: string;
  maxUses?: string;
  minStake?: string;
  carryOver?: boolean;
}

export async function publishCommand(file: string, options: PublishCliOptions, io: CliIo): Promise<void> {
  const client = await apiClientFor(options, io);
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new UsageError(`${file} is not a file`);
    size = info.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
  // A registering publish names itself by its content and parameters, so running the same
  // command again after a crash or a lost answer returns the registered model, never a second one.
  const custody = options.register === true || options.rotate !== undefined;
  const idempotencyKey = custody ? await publishIdempotencyKey(file, options) : undefined;
  const body = createReadStream(file);
  const progress = progressBar(io, options.json === true, "publish", size);
  let sent = 0;
  body.on("data", (chunk) => progress.update((sent += chunk.length)));
  let result: {
    manifestCid: string;
    contentCid: string;
    key: string;
    keyWarning: string;
    manifest: Record<string, unknown>;
    modelId?: string;
    version?: number;
    txHash?: string;
    replayed?: boolean;
  };
  try {
    result = await client.json({
      method: "POST",
      path: "/v1/models",
      query: {
        name: options.name,
        segmentSize: options.segmentSize,
        weightsCommitment: options.weightsCommitment,
        custodians: options.custodians,
        threshold: options.threshold,
        register: options.register ? "true" : undefined,
        rotate: options.rotate,
        price: options.price,
        duration: options.duration,
        maxUses: options.maxUses,
        minStake: options.minStake,
        carryOver: options.carryOver ? "true" : undefined,
      },
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(size),
        ...(idempotencyKey === undefined ? {} : { "idempotency-key": idempotencyKey }),
      },
      body,
    });
  } finally {
    progress.stop();
    body.destroy();
  }
  if (options.json) {
    printJson(io, result);
    return;
  }
  if (result.replayed) {
    printLines(io, [
      ["manifest CID", result.manifestCid],
      ["model", `${result.modelId} version ${result.version} (already registered by an earlier run of this publish)`],
    ]);
    return;
  }
  printLines(io, [
    ["manifest CID", result.manifestCid],
    ["content CID", result.contentCid],
    ...(result.modelId === undefined ? [] : [["model", `${result.modelId} version ${result.version} (tx ${result.txHash})`] as [string, string]]),
    ["key", result.key],
    ["size", `${size} bytes`],
  ]);
  io.stderr.write(`WARNING: ${result.keyWarning}\n`);
}

/** sha256 over the file and the parameters that shape the publish. */
async function publishIdempotencyKey(file: string, options: PublishCliOptions): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  const { name, segmentSize, weightsCommitment, custodians, threshold, register, rotate, price, duration, maxUses, minStake, carryOver } = options;
  hash.update(JSON.stringify({ name, segmentSize, weightsCommitment, custodians, threshold, register, rotate, price, duration, maxUses, minStake, carryOver }));
  return `publish-v1-${hash.digest("hex")}`;
}

export interface FetchCliOptions extends CommonOptions {
  output: string;
  key?: string;
  keyFile?: string;
  expectedOwner?: string;
  timeout?: string;
}

function parseKey(text: string): Uint8Array {
  const hex = (text.trim().startsWith("0x") ? text.trim() : `0x${text.trim()}`) as `0x${string}`;
  if (!isHex(hex) || hex.length !== 66) throw new UsageError("the key must be 32 bytes of hex (64 hex digits, optional 0x)");
  return hexToBytes(hex);
}

async function keyOf(options: FetchCliOptions): Promise<Uint8Array> {
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

export async function fetchCommand(cidText: string, options: FetchCliOptions, io: CliIo): Promise<void> {
  const key = await keyOf(options);
  let cid: CID;
  try {
    cid = CID.parse(cidText);
  } catch {
    throw new UsageError(`not a CID: ${JSON.stringify(cidText.slice(0, 100))}`);
  }
  if (options.expectedOwner !== undefined && !isAddress(options.expectedOwner)) throw new UsageError("--expected-owner must be an address");
  if (options.timeout !== undefined && !/^[0-9]{1,7}$/.test(options.timeout)) throw new UsageError("--timeout must be milliseconds");
  const client = await apiClientFor(options, io);
  const query = { timeoutMs: options.timeout };
  const owner = options.expectedOwner === undefined ? undefined : getAddress(options.expectedOwner);
  const signed = await verifiedManifest(client, cid, query, owner);
  const { manifest } = signed;
  const received = await downloadDecrypted(client, signed, key, options.output, query, io, options.json === true);
  const summary = {
    manifestCid: cid.toString(),
    contentCid: manifest.content.toString(),
    owner: manifest.owner,
    name: manifest.name ?? null,
    bytes: received,
    output: options.output,
  };
  if (options.json) printJson(io, summary);
  else {
    printLines(io, [
      ["wrote", `${options.output} (${received} bytes)`],
      ["owner", `${manifest.owner} (signature verified)`],
      ["manifest CID", summary.manifestCid],
    ]);
  }
}

/** An HTTP body that ended before its Content-Length: a reset, a premature close, undici's "aborted"/"terminated". */
function isCutShort(error: unknown): boolean {
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
  json: boolean,
): Promise<number> {
  const { manifest } = signed;
  if (!constantTimeEqual(keyCommitment(key), hexToBytes(manifest.keyCommitment))) throw new WrongKeyError();
  const response = await client.send({ path: `/v1/content/${manifest.content}`, query });
  const progress = progressBar(io, json, "fetch", manifest.plaintextSize);
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
