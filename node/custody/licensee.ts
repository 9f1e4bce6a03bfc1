/**
 * The licensee's side of custody: a fresh recipient key per access, requestKey on chain, then
 * `threshold` custodians of the ticket's version asked at once and the others hedged in after a
 * failure or a delay; the first `threshold` shares that combine to the manifest's key commitment
 * win and the other requests are cancelled, so a slow or dead custodian costs at most the delay.
 */
import { hexToBytes, type Address, type Hex } from "viem";
import { collectKeyFrom } from "../../crypto/custody-collect.js";
import { generateKeyPair } from "../../crypto/index.js";
import type { ChainClient, KeyRequest, ModelVersion } from "../chain/index.js";
import { DEFAULT_FETCH_TIMEOUT_MS } from "../config.js";
import { NotADirectoryModelError } from "../errors.js";
import { checkFileOutput, DirectoryOutput, type DirectoryOutputFile, type OutputOptions } from "../models/directory-output.js";
import { fetchModelToFile, readManifest } from "../models/fetch.js";
import { writeDirectoryOutput } from "../models/fetch-directory.js";
import { isDirectoryManifest, type DirectoryManifest, type SignedManifest } from "../models/manifest.js";
import { gatewayOrigin } from "../storage/block-sources.js";
import type { StoragePeer } from "../storage/storage-peer.js";
import { callCustodian, custodianUrl } from "./client.js";
import { custodyDomain } from "./custodian.js";
import { NotEnoughSharesReleasedError } from "./errors.js";
import { releasedShareSchema, signRelease } from "./protocol.js";

export { DEFAULT_CUSTODIAN_TIMEOUT_MS, DEFAULT_HEDGE_MS } from "../../crypto/custody-collect.js";
/** How long a custodian's registered endpoint is reused before it is read again. */
const ENDPOINT_TTL_MS = 60_000;

const endpoints = new WeakMap<ChainClient, Map<Address, { endpoint: string; until: number }>>();

/** A custodian's registered HTTP endpoint, cached per chain client for a minute. */
async function endpointOf(chain: ChainClient, custodian: Address): Promise<string> {
  let known = endpoints.get(chain);
  if (known === undefined) endpoints.set(chain, (known = new Map()));
  const cached = known.get(custodian);
  if (cached !== undefined && cached.until > Date.now()) return cached.endpoint;
  const info = await chain.custodianInfo(custodian);
  if (info === null) throw new Error("not a registered custodian");
  known.set(custodian, { endpoint: info.endpoint, until: Date.now() + ENDPOINT_TTL_MS });
  return info.endpoint;
}

export interface CollectKeyOptions {
  chain: ChainClient;
  ticket: Pick<KeyRequest, "ticketId" | "version">;
  modelId: bigint;
  /** The private half of the key the ticket was requested for. */
  recipientPrivateKey: Uint8Array;
  /** The manifest's key commitment: a combined key must match it. */
  keyCommitment: Uint8Array;
  /** The ticket's version as already read from the chain (saves a read). */
  version?: Pick<ModelVersion, "custodians" | "threshold">;
  /** Per custodian. */
  timeoutMs?: number;
  /** Delay before the custodians beyond the first `threshold` are asked as well. */
  hedgeMs?: number;
  /** Ask in a random order (default, spreads load) or in the version's listed order. */
  order?: "shuffled" | "listed";
  signal?: AbortSignal;
}

/**
 * Collects threshold shares for a mined ticket and combines them into the content key. The first
 * `threshold` custodians (in random order) are asked at once; the rest are asked when one of them
 * fails or after `hedgeMs`, so a dead or slow custodian delays a key by at most that much while
 * a healthy set costs the custodians no more releases than needed.
 */
export async function collectKey(options: CollectKeyOptions): Promise<Uint8Array> {
  const { chain, modelId, ticket } = options;
  const version = options.version ?? (await chain.version(modelId, ticket.version));
  if (version === null) throw new NotEnoughSharesReleasedError(0, 0, { chain: `model ${modelId} has no version ${ticket.version}` });
  const { threshold } = version;
  // One signed request for every custodian.
  const request = signRelease(options.recipientPrivateKey, custodyDomain(chain), {
    ticketId: ticket.ticketId,
    modelId: modelId.toString(),
    version: ticket.version,
  });
  const { key, released, failures } = await collectKeyFrom({
    request,
    recipientPrivateKey: options.recipientPrivateKey,
    custodians: version.custodians,
    threshold,
    keyCommitment: options.keyCommitment,
    release: async (custodian, body, signal) => (await callCustodian(await endpointOf(chain, custodian), "v1/custody/releases", body, releasedShareSchema, signal)).wrappedShare,
    reasonOf: (error) => (error instanceof Error ? `${(error as { code?: string }).code ?? error.name}: ${error.message}` : String(error)),
    timeoutMs: options.timeoutMs,
    hedgeMs: options.hedgeMs,
    order: options.order,
    signal: options.signal,
  });
  if (key === undefined) throw new NotEnoughSharesReleasedError(threshold, released, failures);
  return key;
}

/**
 * The libp2p addresses of a version's custodians, from their APIs (GET /v1/node): they pinned the
 * content when they took their shares, so a licensee can always fetch from them. Best effort.
 */
export async function custodianPeers(chain: ChainClient, custodians: readonly Address[], timeoutMs = 5_000): Promise<string[]> {
  const found = await Promise.all(
    custodians.map(async (custodian) => {
      try {
        const response = await fetch(custodianUrl(await endpointOf(chain, custodian), "v1/node"), { signal: AbortSignal.timeout(timeoutMs) });
        const { multiaddrs } = (await response.json()) as { multiaddrs?: unknown };
        return Array.isArray(multiaddrs) ? multiaddrs.filter((m): m is string => typeof m === "string").slice(0, 4) : [];
      } catch {
        return [];
      }
    }),
  );
  return found.flat();
}

/**
 * The custodians' registered endpoints as trustless gateways (every node serves /ipfs/ for what
 * it holds, and they pinned the content). Endpoints that are not plain http(s) origins are skipped.
 */
export async function custodianGateways(chain: ChainClient, custodians: readonly Address[]): Promise<string[]> {
  const found = await Promise.all(
    custodians.map(async (custodian) => {
      try {
        return [gatewayOrigin(await endpointOf(chain, custodian))];
      } catch {
        return [];
      }
    }),
  );
  return [...new Set(found.flat())];
}

export interface AccessOptions extends OutputOptions {
  chain: ChainClient;
  modelId: bigint;
  /** Buy a licence at the current price when the account holds no usable one. */
  buy?: boolean;
  custodianTimeoutMs?: number;
  fetchTimeoutMs?: number;
  signal?: AbortSignal;
  /** Plaintext bytes written so far, of `totalBytes`; `file` for a directory model. */
  onProgress?: (progress: { bytes: number; totalBytes: number; file?: string }) => void;
}

export interface AccessResult {
  /** The output: a file for a one-file model, a directory for a directory model. */
  path: string;
  manifestCid: string;
  version: number;
  ticketId: Hex;
  /** Of the model, or of the files selected from a directory model. */
  plaintextSize: number;
  /** Directory models: the files written (or found complete from an interrupted run). */
  files?: DirectoryOutputFile[];
}

/** A version's checked manifest and where it will be written, found before a ticket is spent. */
interface PlannedAccess {
  version: number;
  manifestCid: string;
  signed: SignedManifest;
  /** The version's custodians and threshold, as the chain records them. */
  chainVersion: ModelVersion;
  gateways: string[];
  directory?: DirectoryOutput;
}

/**
 * Licence (bought if asked) -> ticket -> k shares -> key -> fetch and decrypt to `path`: a file for
 * a one-file model, a directory for a directory model (options.include/exclude select its files).
 * The output is checked (directory-output.ts rules, `force` to overwrite) before a licence is
 * bought or a ticket spent, for the version current then (again if the ticket is for a newer one).
 */
export async function accessModel(peer: StoragePeer, path: string, options: AccessOptions): Promise<AccessResult> {
  const { chain, modelId } = options;
  const account = chain.address;
  if (account === undefined) throw new NotEnoughSharesReleasedError(0, 0, { chain: "the chain client has no account to request a ticket with" });
  const fetchTimeoutMs = options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const plan = async (versionNumber: number): Promise<PlannedAccess | undefined> => {
    const [version, state] = await Promise.all([chain.version(modelId, versionNumber), chain.modelState(modelId)]);
    if (version === null || state === null) return undefined;
    // The custodians hold the content: fetch from their peers (bitswap) and their gateways too.
    const [peers, gateways] = await Promise.all([custodianPeers(chain, version.custodians), custodianGateways(chain, version.custodians)]);
    await Promise.all(peers.map((address) => peer.dial(address).catch(() => {})));
    const signed = await readManifest(peer, version.manifestCid, { expectedOwner: state.owner, timeoutMs: fetchTimeoutMs, signal: options.signal, gateways });
    const planned: PlannedAccess = { version: versionNumber, manifestCid: version.manifestCid, signed, chainVersion: version, gateways };
    if (isDirectoryManifest(signed.manifest)) {
      planned.directory = await DirectoryOutput.plan(path, version.manifestCid, signed.manifest.files, options);
    } else {
      if (options.include !== undefined || options.exclude !== undefined) throw new NotADirectoryModelError(`include/exclude select files of a directory model; model ${modelId} version ${versionNumber} is one file`);
      await checkFileOutput(path, options);
    }
    return planned;
  };
  const current = await chain.modelState(modelId);
  let planned = current === null ? undefined : await plan(current.version);
  if (options.buy) {
    const hasAccess = await chain.contracts.vault.read.hasAccess([modelId, account]);
    if (!hasAccess) await chain.buy(modelId);
  }
  const recipient = generateKeyPair();
  try {
    const ticket = await chain.requestKey(modelId, recipient.publicKey);
    if (planned?.version !== ticket.version) planned = await plan(ticket.version);
    if (planned === undefined) throw new NotEnoughSharesReleasedError(0, 0, { chain: `model ${modelId} version ${ticket.version} is not registered` });
    const { signed, gateways } = planned;
    const key = await collectKey({
      chain,
      ticket,
      modelId,
      recipientPrivateKey: recipient.privateKey,
      keyCommitment: hexToBytes(signed.manifest.keyCommitment as Hex),
      version: planned.chainVersion,
      timeoutMs: options.custodianTimeoutMs,
      signal: options.signal,
    });
    const reads = { key, expectedOwner: signed.manifest.owner, timeoutMs: fetchTimeoutMs, signal: options.signal, gateways };
    const result = { path, manifestCid: planned.manifestCid, version: ticket.version, ticketId: ticket.ticketId };
    try {
      if (planned.directory !== undefined) {
        const written = await writeDirectoryOutput(peer, signed as SignedManifest<DirectoryManifest>, planned.directory, { ...reads, onProgress: options.onProgress });
        return { ...result, plaintextSize: written.totalBytes, files: written.files };
      }
      const onProgress = options.onProgress;
      await fetchModelToFile(peer, planned.manifestCid, path, {
        ...reads,
        ...(onProgress === undefined ? {} : { onProgress: (p: { plaintextBytes: number; totalBytes: number }) => onProgress({ bytes: p.plaintextBytes, totalBytes: p.totalBytes }) }),
      });
      return { ...result, plaintextSize: signed.manifest.plaintextSize };
    } finally {
      key.fill(0);
    }
  } finally {
    recipient.privateKey.fill(0);
  }
}
