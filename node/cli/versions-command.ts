/**
 * `modelvault versions MODEL_ID`: every version of a registered model, from the chain (manifest
 * CID, publication time and block), with what each holds (files and sizes) from its manifest,
 * read through the node's API and checked here against the owner the chain names. Read only:
 * the chain client has no account, so no keystore password is asked for.
 */
import { CID } from "multiformats/cid";
import type { Address } from "viem";
import { ModelvaultCryptoError } from "../../crypto/index.js";
import { connectChain, type ChainClient } from "../chain/index.js";
import { loadConfig } from "../config.js";
import { ConfigError, NodeError } from "../errors.js";
import { isDirectoryManifest } from "../models/manifest.js";
import type { ApiClient } from "./api-client.js";
import type { ChainCliOptions } from "./custody-commands.js";
import { printJson, type CliIo } from "./io.js";
import { apiClientFor, verifiedManifest } from "./model-client.js";
import { UsageError } from "./usage-error.js";

/** Manifests read at once. */
const MANIFEST_READS = 4;

export interface VersionFile {
  path: string;
  plaintextSize: number;
  sealedSize: number;
}

export interface VersionListing {
  version: number;
  manifestCid: string;
  /** Unix seconds, from the chain. */
  publishedAt: number;
  /** The block of its VersionPublished event, when the RPC could search the logs. */
  publishedBlock?: number;
  current: boolean;
  /** Whether its manifest could be read and checked. */
  available: boolean;
  name?: string;
  /** "file": one sealed file (listed as the manifest name, or "(file)"); "directory": its files. */
  kind?: "file" | "directory";
  plaintextSize?: number;
  files?: VersionFile[];
  /** Why the manifest is unavailable. */
  error?: { code: string; message: string };
}

export interface ModelVersions {
  modelId: string;
  owner: Address;
  status: string;
  versions: VersionListing[];
}

/** Blocks of VersionPublished by version: one log query, best effort (some RPCs refuse long ranges). */
async function publicationBlocks(chain: ChainClient, modelId: bigint): Promise<Map<number, number>> {
  const blocks = new Map<number, number>();
  try {
    const logs = await chain.contracts.vault.getEvents.VersionPublished({ modelId }, { fromBlock: chain.deploymentBlock, toBlock: "latest", strict: true });
    for (const log of logs) if (log.args.version !== undefined) blocks.set(Number(log.args.version), Number(log.blockNumber));
  } catch {
    // Times come from the versions themselves; blocks are a bonus.
  }
  return blocks;
}

const errorOf = (error: unknown) =>
  error instanceof NodeError || error instanceof ModelvaultCryptoError
    ? { code: error.code, message: error.message }
    : { code: "INTERNAL", message: error instanceof Error ? error.message : String(error) };

/** What one version holds, from its manifest; unavailable (with why) rather than failing. */
async function describeVersion(client: ApiClient, owner: Address, listing: VersionListing, timeoutMs: string | undefined): Promise<VersionListing> {
  try {
    const { manifest } = await verifiedManifest(client, CID.parse(listing.manifestCid), { timeoutMs }, owner);
    const files = isDirectoryManifest(manifest)
      ? manifest.files.map((f) => ({ path: f.path, plaintextSize: f.plaintextSize, sealedSize: f.sealedSize }))
      : [{ path: manifest.name ?? "(file)", plaintextSize: manifest.plaintextSize, sealedSize: manifest.sealedSize }];
    return {
      ...listing,
      available: true,
      ...(manifest.name === undefined ? {} : { name: manifest.name }),
      kind: isDirectoryManifest(manifest) ? "directory" : "file",
      plaintextSize: manifest.plaintextSize,
      files,
    };
  } catch (error) {
    return { ...listing, available: false, error: errorOf(error) };
  }
}

/** Every version 1..current of `modelId`, oldest first, each with its files (or why not). */
export async function listModelVersions(chain: ChainClient, client: ApiClient, modelId: bigint, options: { timeoutMs?: string } = {}): Promise<ModelVersions> {
  const state = await chain.modelState(modelId);
  if (state === null) throw new UsageError(`model ${modelId} is not registered`);
  const numbers = Array.from({ length: state.version }, (_, i) => i + 1);
  const [records, blocks] = await Promise.all([Promise.all(numbers.map((v) => chain.version(modelId, v))), publicationBlocks(chain, modelId)]);
  const listings: VersionListing[] = numbers.map((version, i) => {
    const record = records[i];
    const block = blocks.get(version);
    return {
      version,
      manifestCid: record?.manifestCid ?? "",
      publishedAt: Number(record?.publishedAt ?? 0n),
      ...(block === undefined ? {} : { publishedBlock: block }),
      current: version === state.version,
      available: false,
    };
  });
  const described: VersionListing[] = [];
  for (let i = 0; i < listings.length; i += MANIFEST_READS) {
    const batch = listings.slice(i, i + MANIFEST_READS);
    described.push(...(await Promise.all(batch.map((listing) => describeVersion(client, state.owner, listing, options.timeoutMs)))));
  }
  return { modelId: modelId.toString(), owner: state.owner, status: state.status, versions: described };
}

/** A chain client without an account: listing needs no keystore. */
async function readOnlyChain(options: ChainCliOptions, io: CliIo): Promise<ChainClient> {
  const flags = { config: options.config, dataDir: options.dataDir, rpcUrl: options.rpcUrl, deployment: options.deployment, confirmations: options.confirmations };
  const config = await loadConfig({ flags, env: io.env });
  if (config.chain === undefined) throw new ConfigError("no chain configured: pass --rpc-url (or set MODELVAULT_RPC_URL or chain.rpcUrl in the config)");
  return connectChain(config.chain);
}

const isoTime = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");

function printVersions(io: CliIo, listed: ModelVersions): void {
  const out = (line: string) => io.stdout.write(`${line}\n`);
  const count = listed.versions.length;
  out(`model ${listed.modelId}  owner ${listed.owner}  ${listed.status}, ${count} version${count === 1 ? "" : "s"}`);
  for (const v of listed.versions) {
    const when = `${isoTime(v.publishedAt)}${v.publishedBlock === undefined ? "" : ` (block ${v.publishedBlock})`}`;
    out("");
    out(`version ${v.version}${v.current ? " (current)" : ""}  ${v.manifestCid}  ${when}`);
    if (!v.available) {
      out(`  manifest unavailable: ${v.error?.message ?? "unknown"} [${v.error?.code ?? "INTERNAL"}]`);
      continue;
    }
    const files = v.files ?? [];
    const width = Math.max(...files.map((f) => f.path.length));
    for (const f of files) out(`  ${f.path.padEnd(width)}  ${f.plaintextSize} bytes`);
    out(`  ${v.kind === "directory" ? `${files.length} file${files.length === 1 ? "" : "s"}, ` : ""}${v.plaintextSize} bytes${v.name === undefined ? "" : `  (${v.name})`}`);
  }
}

export async function versionsCommand(modelIdText: string, options: ChainCliOptions & { timeout?: string }, io: CliIo): Promise<void> {
  if (!/^[1-9][0-9]{0,76}$/.test(modelIdText)) throw new UsageError(`the model id is a positive integer, got ${JSON.stringify(modelIdText.slice(0, 80))}`);
  if (options.timeout !== undefined && !/^[0-9]{1,7}$/.test(options.timeout)) throw new UsageError("--timeout must be milliseconds");
  const [chain, client] = await Promise.all([readOnlyChain(options, io), apiClientFor(options, io)]);
  try {
    const listed = await listModelVersions(chain, client, BigInt(modelIdText), { ...(options.timeout === undefined ? {} : { timeoutMs: options.timeout }) });
    if (options.json) printJson(io, listed);
    else printVersions(io, listed);
  } finally {
    await chain.close();
  }
}
