/**
 * `modelvault access MODEL -o FILE|DIR` (licensee) and `modelvault custodian register` (operator).
 * Both act on the chain with the node's own account (its keystore); access then collects k
 * shares from the custodians directly and streams the content through the node's API,
 * decrypting here: neither the key nor a share ever passes through the node.
 */
import { CID } from "multiformats/cid";
import { hexToBytes, type Address, type Hex } from "viem";
import { generateKeyPair } from "../../crypto/index.js";
import { connectChain } from "../chain/index.js";
import { apiUrlOf, loadConfig, type ConfigFlags } from "../config.js";
import { ConfigError } from "../errors.js";
import { collectKey, custodianGateways, custodianPeers } from "../custody/licensee.js";
import { parseAmount } from "./amounts.js";
import { loadIdentity, resolvePassword } from "./identity.js";
import { checkFileOutput, type DirectoryOutput, type DirectoryOutputResult } from "../models/directory-output.js";
import { isDirectoryManifest, type DirectoryManifest, type SignedManifest } from "../models/manifest.js";
import { describeDirectory, downloadDirectory, planDirectoryDownload } from "./directory-download.js";
import { printJson, printLines, progressModeOf, type CliIo, type ProgressOptions } from "./io.js";
import { apiClientFor, downloadDecrypted, verifiedManifest } from "./model-client.js";
import type { CommonOptions } from "./node-commands.js";
import { UsageError } from "./usage-error.js";

export interface ChainCliOptions extends CommonOptions {
  rpcUrl?: string;
  deployment?: string;
  confirmations?: string;
  passwordFile?: string;
}

/** The node's identity and a chain client sending from it (commands that send transactions). */
export async function chainWithIdentity(options: ChainCliOptions, io: CliIo) {
  const flags: ConfigFlags = {
    config: options.config,
    dataDir: options.dataDir,
    rpcUrl: options.rpcUrl,
    deployment: options.deployment,
    confirmations: options.confirmations,
  };
  const config = await loadConfig({ flags, env: io.env });
  if (config.chain === undefined) throw new ConfigError("no chain configured: pass --rpc-url (or set MODELVAULT_RPC_URL or chain.rpcUrl in the config)");
  const identity = await loadIdentity(config.dataDir, await resolvePassword(options.passwordFile, io.env));
  const chain = await connectChain(config.chain, { account: identity.account });
  return { config, identity, chain };
}

export function modelIdOf(text: string): bigint {
  if (!/^[1-9][0-9]{0,76}$/.test(text)) throw new UsageError(`the model id is a positive integer, got ${JSON.stringify(text.slice(0, 80))}`);
  return BigInt(text);
}

export interface AccessCliOptions extends ChainCliOptions, ProgressOptions {
  output: string;
  buy?: boolean;
  timeout?: string;
  custodianTimeout?: string;
  /** Directory models: fetch only the files matching one of these globs / none of these. */
  include?: string[];
  exclude?: string[];
  force?: boolean;
}

/** What `access` will write for one version: its checked manifest and, for a directory, the planned output. */
interface AccessPlan {
  version: number;
  signed: SignedManifest;
  directory?: DirectoryOutput;
}

export async function accessCommand(modelIdText: string, options: AccessCliOptions, io: CliIo): Promise<void> {
  const modelId = modelIdOf(modelIdText);
  for (const [name, value] of [["--timeout", options.timeout], ["--custodian-timeout", options.custodianTimeout]] as const) {
    if (value !== undefined && !/^[0-9]{1,7}$/.test(value)) throw new UsageError(`${name} must be milliseconds`);
  }
  progressModeOf(options);
  const { chain, identity } = await chainWithIdentity(options, io);
  const client = await apiClientFor(options, io);
  const query = { timeoutMs: options.timeout };
  const started = performance.now();
  const step = (what: string) => {
    if (!options.json) io.stderr.write(`${what} (${Math.round(performance.now() - started)} ms)\n`);
  };
  // -o, --include/--exclude and --force are checked against the version a ticket is for, before a
  // licence is bought or a ticket (a use of the licence) is spent.
  const plan = async (versionNumber: number, manifestCid: string, owner: Address): Promise<AccessPlan> => {
    const signed = await verifiedManifest(client, CID.parse(manifestCid), query, owner);
    if (isDirectoryManifest(signed.manifest)) {
      return { version: versionNumber, signed, directory: await planDirectoryDownload(manifestCid, signed as SignedManifest<DirectoryManifest>, options) };
    }
    for (const [flag, value] of [["--include", options.include], ["--exclude", options.exclude]] as const) {
      if (value !== undefined) throw new UsageError(`${flag} is for directory models; model ${modelId} version ${versionNumber} is one file`);
    }
    await checkFileOutput(options.output, options);
    return { version: versionNumber, signed };
  };
  const current = await chain.modelState(modelId);
  const currentVersion = current === null ? null : await chain.version(modelId, current.version);
  let planned = current !== null && currentVersion !== null ? await plan(current.version, currentVersion.manifestCid, current.owner) : undefined;

  if (options.buy && !(await chain.contracts.vault.read.hasAccess([modelId, identity.address]))) {
    const bought = await chain.buy(modelId);
    step(`bought a licence for ${bought.price} wei`);
  }
  const recipient = generateKeyPair();
  try {
    const ticket = await chain.requestKey(modelId, recipient.publicKey);
    step(`ticket ${ticket.ticketId} for version ${ticket.version}`);
    const [version, state] = await Promise.all([chain.version(modelId, ticket.version), chain.modelState(modelId)]);
    if (version === null || state === null) throw new UsageError(`model ${modelId} has no version ${ticket.version}`);
    // A new version was published in between: the ticket is for that one.
    if (planned?.version !== ticket.version) planned = await plan(ticket.version, version.manifestCid, state.owner);
    const { signed } = planned;
    const key = await collectKey({
      chain,
      ticket,
      modelId,
      recipientPrivateKey: recipient.privateKey,
      keyCommitment: hexToBytes(signed.manifest.keyCommitment as Hex),
      version,
      ...(options.custodianTimeout === undefined ? {} : { timeoutMs: Number(options.custodianTimeout) }),
    });
    step(`key from ${version.threshold} of ${version.custodians.length} custodians`);
    // The custodians pinned the content: let the node fetch from their peers and gateways too (best effort).
    const [peers, gateways] = await Promise.all([custodianPeers(chain, version.custodians), custodianGateways(chain, version.custodians)]);
    await Promise.all([
      ...peers.map((address) => client.json({ method: "POST", path: "/v1/peers", query: { address } }).catch(() => {})),
      ...gateways.map((url) => client.json({ method: "POST", path: "/v1/gateways", query: { url } }).catch(() => {})),
    ]);
    const download = { ...options, progressLabel: "access" };
    let bytes: number;
    let directory: DirectoryOutputResult | undefined;
    try {
      if (planned.directory !== undefined) {
        directory = await downloadDirectory(client, signed as SignedManifest<DirectoryManifest>, key, planned.directory, query, io, download);
        bytes = directory.totalBytes;
      } else {
        bytes = await downloadDecrypted(client, signed, key, options.output, query, io, download);
      }
    } finally {
      key.fill(0);
    }
    const summary = {
      modelId: modelId.toString(),
      version: ticket.version,
      ticketId: ticket.ticketId,
      manifestCid: version.manifestCid,
      owner: state.owner,
      bytes,
      output: options.output,
      ...(directory === undefined ? {} : { fetchedBytes: directory.fetchedBytes, files: directory.files }),
    };
    if (options.json) printJson(io, summary);
    else {
      const wrote = directory === undefined ? `${options.output} (${bytes} bytes)` : describeDirectory(directory);
      printLines(io, [["wrote", wrote], ["model", `${modelId} version ${ticket.version}`], ["ticket", ticket.ticketId]]);
    }
  } finally {
    recipient.privateKey.fill(0);
  }
}

export interface RegisterCustodianOptions extends ChainCliOptions {
  stake: string;
  endpoint?: string;
}

/** Registers this node as a custodian: its public key, its API as endpoint, and a stake. */
export async function custodianRegisterCommand(options: RegisterCustodianOptions, io: CliIo): Promise<void> {
  const stake = parseAmount(options.stake, "--stake");
  const { chain, identity, config } = await chainWithIdentity(options, io);
  const endpoint = options.endpoint ?? apiUrlOf(config);
  const existing = await chain.custodianInfo(identity.address);
  const result = existing === null
    ? await chain.registerCustodian(identity.publicKey, endpoint, stake)
    : await chain.updateCustodianProfile(identity.publicKey, endpoint);
  const info = await chain.custodianInfo(identity.address);
  const summary = { custodian: identity.address, endpoint, stake: (info?.stake ?? 0n).toString(), txHash: result.txHash, updated: existing !== null };
  if (options.json) printJson(io, summary);
  else printLines(io, [["custodian", identity.address], ["endpoint", endpoint], ["stake", `${summary.stake} wei`], ["tx", result.txHash]]);
}
