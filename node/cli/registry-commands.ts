/**
 * Everyone's read commands: `models`, `model info ID`, `model history ID`, `licences`. They read
 * the chain with a client that has no account (no keystore, no password) and print a table or,
 * with --json, one object (amounts in wei as decimal strings). Model names come from the
 * manifests through the node's API, best effort: null when the node or the manifest is not there.
 */
import { CID } from "multiformats/cid";
import { formatEther, getAddress, isAddress, type Address } from "viem";
import { loadKeystore } from "../../crypto/index.js";
import {
  connectChain,
  licencesOf,
  listModels,
  modelHistory,
  modelInfo,
  UnknownModelError,
  type ChainClient,
  type HistoryEvent,
  type LicenceView,
  type ModelInfo,
  type ModelSummary,
} from "../chain/index.js";
import { loadConfig } from "../config.js";
import { ConfigError } from "../errors.js";
import type { ChainCliOptions } from "./custody-commands.js";
import { identityPath } from "./identity.js";
import { printJson, printLines, type CliIo } from "./io.js";
import { apiClientFor, verifiedManifest } from "./model-client.js";
import { UsageError } from "./usage-error.js";

export interface RegistryCliOptions extends ChainCliOptions {
  /** Milliseconds a manifest read (for a model's name) may stay idle. */
  timeout?: string;
  maxBlockRange?: string;
}

const DEFAULT_NAME_TIMEOUT_MS = "3000";

function modelIdOf(text: string): bigint {
  if (!/^[1-9][0-9]{0,76}$/.test(text)) throw new UsageError(`the model id is a positive integer, got ${JSON.stringify(text.slice(0, 80))}`);
  return BigInt(text);
}

function accountOf(text: string, option: string): Address {
  if (!isAddress(text, { strict: false })) throw new UsageError(`${option} is an address (0x and 40 hex digits), got ${JSON.stringify(text.slice(0, 80))}`);
  return getAddress(text);
}

function scanOptions(options: RegistryCliOptions): { maxBlockRange?: number } {
  if (options.maxBlockRange === undefined) return {};
  if (!/^[1-9][0-9]{0,8}$/.test(options.maxBlockRange)) throw new UsageError("--max-block-range must be a positive number of blocks");
  return { maxBlockRange: Number(options.maxBlockRange) };
}

function checkTimeout(options: RegistryCliOptions): void {
  if (options.timeout !== undefined && !/^[0-9]{1,7}$/.test(options.timeout)) throw new UsageError("--timeout must be milliseconds");
}

/** A chain client without an account: reading needs no keystore. */
async function readOnlyChain(options: ChainCliOptions, io: CliIo): Promise<{ chain: ChainClient; dataDir: string }> {
  const flags = { config: options.config, dataDir: options.dataDir, rpcUrl: options.rpcUrl, deployment: options.deployment, confirmations: options.confirmations };
  const config = await loadConfig({ flags, env: io.env });
  if (config.chain === undefined) throw new ConfigError("no chain configured: pass --rpc-url (or set MODELVAULT_RPC_URL or chain.rpcUrl in the config)");
  return { chain: await connectChain(config.chain), dataDir: config.dataDir };
}

async function withChain<T>(options: ChainCliOptions, io: CliIo, use: (chain: ChainClient, dataDir: string) => Promise<T>): Promise<T> {
  const { chain, dataDir } = await readOnlyChain(options, io);
  try {
    return await use(chain, dataDir);
  } catch (error) {
    // An unknown id is a bad command-line value (exit 2), as `versions` has it.
    if (error instanceof UnknownModelError) throw new UsageError(error.message, error.code);
    throw error;
  } finally {
    await chain.close();
  }
}

/** Names from manifests through the node's API; null whenever it cannot say. */
async function manifestNames(options: RegistryCliOptions, io: CliIo): Promise<(manifestCid: string, owner: Address) => Promise<string | null>> {
  const client = await apiClientFor(options, io).catch(() => undefined);
  let reachable = true;
  return async (manifestCid, owner) => {
    if (client === undefined || !reachable || manifestCid === "") return null;
    try {
      const { manifest } = await verifiedManifest(client, CID.parse(manifestCid), { timeoutMs: options.timeout ?? DEFAULT_NAME_TIMEOUT_MS }, owner);
      return manifest.name ?? null;
    } catch (error) {
      // No node listening: do not ask again for every model.
      if (String((error as { code?: unknown }).code ?? "").includes("API_UNREACHABLE")) reachable = false;
      return null;
    }
  };
}

/** JSON with amounts and ids as decimal strings (JSON has no 64-bit integers). */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  return value;
}

const eth = (wei: bigint) => `${formatEther(wei)} ETH`;
const isoTime = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
const duration = (seconds: number) => (seconds === 0 ? "no expiry" : seconds % 86400 === 0 ? `${seconds / 86400}d` : `${seconds}s`);

function table(io: CliIo, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  for (const row of [header, ...rows]) io.stdout.write(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ").trimEnd() + "\n");
}

export async function modelsCommand(options: RegistryCliOptions & { owner?: string }, io: CliIo): Promise<void> {
  checkTimeout(options);
  const owner = options.owner === undefined ? undefined : accountOf(options.owner, "--owner");
  const nameOf = await manifestNames(options, io);
  const models = await withChain(options, io, (chain) => listModels(chain, { owner, nameOf }));
  if (options.json) return printJson(io, jsonSafe({ models }));
  if (models.length === 0) return void io.stdout.write(owner === undefined ? "no models registered\n" : `no models owned by ${owner}\n`);
  table(
    io,
    ["ID", "NAME", "OWNER", "VERSION", "STATUS", "PRICE", "DURATION", "USES", "MIN STAKE", "CUSTODY"],
    models.map((m: ModelSummary) => [
      m.modelId.toString(), m.name ?? "-", m.owner, String(m.version), m.status, eth(m.terms.price), duration(m.terms.duration),
      m.terms.maxUses === 0 ? "unlimited" : String(m.terms.maxUses), eth(m.terms.minStake), `${m.threshold}-of-${m.custodians.length}`,
    ]),
  );
}

export async function modelInfoCommand(modelIdText: string, options: RegistryCliOptions, io: CliIo): Promise<void> {
  const modelId = modelIdOf(modelIdText);
  checkTimeout(options);
  const scan = scanOptions(options);
  const nameOf = await manifestNames(options, io);
  const info = await withChain(options, io, (chain) => modelInfo(chain, modelId, scan));
  const current = info.versions[info.versions.length - 1];
  const name = current === undefined ? null : await nameOf(current.manifestCid, info.owner);
  if (options.json) return printJson(io, jsonSafe({ ...info, name }));
  printInfo(io, info, name);
}

function printInfo(io: CliIo, info: ModelInfo, name: string | null): void {
  const out = (line: string) => io.stdout.write(`${line}\n`);
  const t = info.terms;
  printLines(io, [
    ["model", `${info.modelId}${name === null ? "" : `  (${name})`}`],
    ["owner", `${info.owner}${info.pendingOwner === null ? "" : `  (transfer to ${info.pendingOwner} pending)`}`],
    ["status", `${info.status}, version ${info.version}`],
    ["terms", `${eth(t.price)}, ${duration(t.duration)}, ${t.maxUses === 0 ? "unlimited" : t.maxUses} uses, min stake ${eth(t.minStake)}${t.carryOver ? ", carry-over" : ""}`],
  ]);
  for (const v of info.versions) {
    out("");
    out(`version ${v.version}  ${v.manifestCid}  ${isoTime(v.publishedAt)}${v.publishedBlock === null ? "" : ` (block ${v.publishedBlock})`}`);
    out(`  weights commitment  ${v.weightsCommitment}`);
    out(`  owner commitment    ${v.ownerCommitment}`);
    out(`  storage root        ${v.storageRoot} (${v.segmentCount} segments)`);
    out(`  custodians          ${v.threshold}-of-${v.custodians.length}: ${v.custodians.join(", ")}`);
  }
  out("");
  out("custodians");
  table(
    io,
    ["  ADDRESS", "CURRENT", "ACTIVE", "STAKE", "CHALLENGES", "ANSWERED", "MISSED", "SLASHED", "OPEN"],
    info.custodians.map((c) => [
      `  ${c.address}`, c.current ? "yes" : "no", c.active ? "yes" : "no", eth(c.stake), String(c.challenges.opened),
      String(c.challenges.answered), String(c.challenges.missed), String(c.challenges.slashed), String(c.challenges.open),
    ]),
  );
  out("");
  if (!info.attestationsDeployed) return void out("attestations: no ProofAttestations contract in this deployment");
  if (info.attestations.length === 0) return void out("attestations: none");
  out("attestations");
  for (const a of info.attestations) out(`  ${a.kind}${a.reveal === null ? "" : ` (${a.reveal} output)`}${a.version === null ? "" : ` v${a.version}`}${a.account === null ? "" : ` by ${a.account}`}  block ${a.blockNumber}  ${a.txHash}`);
}

/** One history event as JSON. */
export function historyJson(e: HistoryEvent) {
  return jsonSafe({ block: e.blockNumber, logIndex: e.logIndex, time: e.time, txHash: e.transactionHash, contract: e.contract, event: e.eventName, args: e.args });
}

const shownArg = (value: unknown) => (typeof value === "string" && value.length > 70 ? `${value.slice(0, 66)}…` : Array.isArray(value) ? `[${value.join(",")}]` : String(value));

export async function modelHistoryCommand(modelIdText: string, options: RegistryCliOptions, io: CliIo): Promise<void> {
  const modelId = modelIdOf(modelIdText);
  const scan = scanOptions(options);
  const events = await withChain(options, io, (chain) => modelHistory(chain, modelId, scan));
  if (options.json) return printJson(io, { modelId: modelId.toString(), events: events.map(historyJson) });
  for (const e of events) {
    const args = Object.entries(e.args).filter(([key]) => key !== "modelId").map(([key, value]) => `${key}=${shownArg(value)}`);
    io.stdout.write(`${e.blockNumber}  ${isoTime(e.time)}  ${e.eventName}  ${args.join(" ")}  tx ${e.transactionHash}\n`);
  }
}

/** The account of this node's keystore, read from the file in clear: no password. */
async function nodeAccount(dataDir: string): Promise<Address> {
  const path = identityPath(dataDir);
  let stored: string | undefined;
  try {
    stored = (await loadKeystore(path)).address;
  } catch {
    throw new UsageError(`no --account given and no node identity readable at ${path}: pass --account ADDR`);
  }
  if (stored === undefined || !isAddress(stored, { strict: false })) throw new UsageError(`the keystore ${path} does not name its address: pass --account ADDR`);
  return getAddress(stored);
}

export async function licencesCommand(options: RegistryCliOptions & { account?: string }, io: CliIo): Promise<void> {
  const given = options.account === undefined ? undefined : accountOf(options.account, "--account");
  const scan = scanOptions(options);
  const { account, licences } = await withChain(options, io, async (chain, dataDir) => {
    const account = given ?? (await nodeAccount(dataDir));
    return { account, licences: await licencesOf(chain, account, scan) };
  });
  if (options.json) return printJson(io, jsonSafe({ account, licences }));
  if (licences.length === 0) return void io.stdout.write(`no licences held by ${account}\n`);
  table(
    io,
    ["MODEL", "VERSION", "EXPIRES", "USES LEFT", "STAKE", "STATE"],
    licences.map((l: LicenceView) => [
      l.modelId.toString(), `${l.version}${l.version === l.currentVersion ? "" : ` (current ${l.currentVersion})`}`,
      l.expiresAt === 0 ? "never" : isoTime(l.expiresAt), l.usesLeft === null ? "unlimited" : `${l.usesLeft} of ${l.maxUses}`,
      `${eth(l.staked)} (needs ${eth(l.requiredStake)})`, l.status === "active" ? l.state : `${l.state}, model ${l.status}`,
    ]),
  );
}
