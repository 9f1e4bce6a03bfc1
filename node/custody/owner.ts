/**
 * The model owner's side of custody: split the content key k-of-n, wrap each share to a
 * custodian's registered key, deposit it, and register the model on chain only once every
 * custodian has signed a receipt for its share and pinned the content.
 */
import { bytesToHex, hexToBytes, isAddressEqual, type Address, type Hex, type LocalAccount } from "viem";
import { splitKey, wrapKey, type ByteSource } from "../../crypto/index.js";
import { versionParams } from "../../contracts/version-calls.js";
import type { ChainClient, Terms, TxResult } from "../chain/index.js";
import { publish, type PublishOptions, type PublishResult } from "../models/publish.js";
import { publishDirectory, type DirectoryEntry, type PublishDirectoryResult } from "../models/publish-directory.js";
import { fetchDirectoryFile, fetchModel, readManifest } from "../models/fetch.js";
import { isDirectoryManifest, type DirectoryManifest, type SignedManifest } from "../models/manifest.js";
import { parseCid, removePin } from "../storage/pins.js";
import type { StoragePeer } from "../storage/storage-peer.js";
import { callCustodian } from "./client.js";
import { custodyDomain } from "./custodian.js";
import { DepositFailedError } from "./errors.js";
import { depositContext, depositReceiptSchema, receiptHolds, signDeposit, type CustodyDomain, type DepositReceipt, type ShareDeposit } from "./protocol.js";

export const DEFAULT_DEPOSIT_TIMEOUT_MS = 10 * 60_000;

export interface CustodianTarget {
  address: Address;
  publicKey: Hex;
  endpoint: string;
}

/** Each custodian's registered key and endpoint; every one must be active (staked). */
export async function resolveCustodians(chain: ChainClient, addresses: readonly Address[]): Promise<CustodianTarget[]> {
  return Promise.all(
    addresses.map(async (address) => {
      const [info, active] = await Promise.all([chain.custodianInfo(address), chain.isActiveCustodian(address)]);
      if (info === null || !active) throw new DepositFailedError({ [address]: "not an active registered custodian" });
      return { address, publicKey: info.publicKey, endpoint: info.endpoint };
    }),
  );
}

export interface DepositOptions {
  owner: LocalAccount;
  chain: Pick<ChainClient, "chainId" | "deployment">;
  manifestCid: string;
  key: Uint8Array;
  threshold: number;
  custodians: readonly CustodianTarget[];
  /** Multiaddrs of peers with the content (the owner's own peer), for custodians to dial. */
  providers?: readonly string[];
  timeoutMs?: number;
}

/** One share wrapped to one custodian's registered key: what a ShareDeposit carries. */
export interface WrappedShare {
  custodian: CustodianTarget;
  wrappedShare: Hex;
}

/** Splits the key k-of-n and wraps share i to custodian i (the shares are wiped after). */
export async function wrapShares(key: Uint8Array, threshold: number, custodians: readonly CustodianTarget[], manifestCid: string): Promise<WrappedShare[]> {
  const shares = await splitKey(key, threshold, custodians.length);
  try {
    return await Promise.all(
      custodians.map(async (custodian, i) => ({
        custodian,
        wrappedShare: bytesToHex(await wrapKey(hexToBytes(custodian.publicKey), shares[i]!, depositContext(manifestCid))),
      })),
    );
  } finally {
    for (const share of shares) share.fill(0);
  }
}

/**
 * Sends signed deposits to their custodians, in parallel; every receipt (checked to be the
 * custodian's for exactly that share) or DepositFailedError naming each failed custodian.
 */
export async function deliverDeposits(
  domain: CustodyDomain,
  deposits: readonly { endpoint: string; deposit: ShareDeposit }[],
  timeoutMs = DEFAULT_DEPOSIT_TIMEOUT_MS,
): Promise<DepositReceipt[]> {
  const signal = AbortSignal.timeout(timeoutMs);
  const outcomes = await Promise.allSettled(
    deposits.map(async ({ endpoint, deposit }) => {
      const receipt = await callCustodian(endpoint, "v1/custody/deposits", deposit, depositReceiptSchema, signal);
      if (receipt.manifestCid !== deposit.manifestCid || !(await receiptHolds(domain, receipt, deposit.custodian, deposit.wrappedShare))) {
        throw new Error("the receipt is not signed by the custodian for this share");
      }
      return receipt;
    }),
  );
  const failures: Record<string, string> = {};
  outcomes.forEach((o, i) => {
    if (o.status === "rejected") failures[deposits[i]!.deposit.custodian] = o.reason instanceof Error ? o.reason.message : String(o.reason);
  });
  if (Object.keys(failures).length > 0) throw new DepositFailedError(failures);
  return outcomes.map((o) => (o as PromiseFulfilledResult<DepositReceipt>).value);
}

/** Deposits one share with each custodian, in parallel; all receipts or DepositFailedError. */
export async function depositShares(options: DepositOptions): Promise<DepositReceipt[]> {
  const domain = custodyDomain(options.chain);
  const wrapped = await wrapShares(options.key, options.threshold, options.custodians, options.manifestCid);
  const deposits = await Promise.all(
    wrapped.map(async ({ custodian, wrappedShare }) => ({
      endpoint: custodian.endpoint,
      deposit: await signDeposit(options.owner, domain, {
        manifestCid: options.manifestCid,
        custodian: custodian.address,
        wrappedShare,
        providers: [...(options.providers ?? [])],
      }),
    })),
  );
  return deliverDeposits(domain, deposits, options.timeoutMs);
}

export interface PublishWithCustodyOptions extends Omit<PublishOptions, "custodians" | "threshold" | "version"> {
  chain: ChainClient;
  custodians: readonly Address[];
  threshold: number;
  /** Terms of a new model; ignored when `modelId` (rotation) is given. */
  terms?: Terms;
  /** Publish a new version of this registered model (rotation) instead of registering one. */
  chainModelId?: bigint;
  ownerCommitment?: bigint;
  depositTimeoutMs?: number;
  /** Called with the manifest CID after sealing, before any share is sent (a crash journal). */
  beforeDeposit?: (manifestCid: string) => Promise<void>;
}

/** The files of a directory model, in manifest order; each one's bytes are read before the next. */
export interface DirectoryContent {
  directory: AsyncIterable<DirectoryEntry> | Iterable<DirectoryEntry>;
}

/** What a version holds: the bytes of a one-file model, or the files of a directory model. */
export type ModelContent = ByteSource | DirectoryContent;

export type ModelPublishResult = PublishResult | PublishDirectoryResult;

export function isDirectoryContent(content: ModelContent): content is DirectoryContent {
  return typeof content === "object" && content !== null && !(Symbol.iterator in content) && !(Symbol.asyncIterator in content) && "directory" in content;
}

export type CustodyPublishResult<R extends ModelPublishResult = PublishResult> = R &
  TxResult & {
    chainModelId: bigint;
    version: number;
    receipts: DepositReceipt[];
  };

const DEFAULT_TERMS: Terms = { price: 0n, duration: 0, maxUses: 0, minStake: 0n, carryOver: false };

/**
 * Seals and pins the model (a file, or a directory as one version), deposits its key's shares,
 * then registers it (or publishes its next version). Nothing reaches the chain unless every
 * custodian acknowledged.
 */
export async function publishWithCustody(peer: StoragePeer, content: ByteSource, options: PublishWithCustodyOptions): Promise<CustodyPublishResult>;
export async function publishWithCustody(
  peer: StoragePeer,
  content: DirectoryContent,
  options: PublishWithCustodyOptions,
): Promise<CustodyPublishResult<PublishDirectoryResult>>;
export async function publishWithCustody(
  peer: StoragePeer,
  content: ModelContent,
  options: PublishWithCustodyOptions,
): Promise<CustodyPublishResult<ModelPublishResult>>;
export async function publishWithCustody(
  peer: StoragePeer,
  content: ModelContent,
  options: PublishWithCustodyOptions,
): Promise<CustodyPublishResult<ModelPublishResult>> {
  const { chain, owner } = options;
  if (chain.address === undefined || !isAddressEqual(chain.address, owner.address)) {
    throw new DepositFailedError({ [owner.address]: "the chain client must send from the owner's account" });
  }
  const targets = await resolveCustodians(chain, options.custodians);
  let version = 1;
  if (options.chainModelId !== undefined) {
    const state = await chain.modelState(options.chainModelId);
    if (state === null) throw new DepositFailedError({ [owner.address]: `model ${options.chainModelId} is not registered` });
    version = state.version + 1;
  }
  const sealing = { ...options, version, custodians: [...options.custodians], threshold: options.threshold };
  const published: ModelPublishResult = isDirectoryContent(content)
    ? await publishDirectory(peer, content.directory, sealing)
    : await publish(peer, content, sealing);
  const manifestCid = published.manifestCid.toString();
  let receipts: DepositReceipt[];
  try {
    await options.beforeDeposit?.(manifestCid);
    receipts = await depositShares({
      owner,
      chain,
      manifestCid,
      key: published.key,
      threshold: options.threshold,
      custodians: targets,
      providers: peer.addresses.map(String),
      timeoutMs: options.depositTimeoutMs,
    });
  } catch (error) {
    await removePin(peer, published.manifestCid).catch(() => {}); // nothing registered: do not keep it pinned
    throw error;
  }
  const params = versionParams(published.signed.manifest, manifestCid, options.ownerCommitment);
  if (options.chainModelId === undefined) {
    const registered = await chain.registerModel(params, options.terms ?? DEFAULT_TERMS);
    return { ...published, ...registered, chainModelId: registered.modelId, version: 1, receipts };
  }
  const next = await chain.publishVersion(options.chainModelId, params);
  return { ...published, ...next, chainModelId: options.chainModelId, receipts };
}

export interface RotateOptions extends Omit<PublishWithCustodyOptions, "custodians" | "threshold" | "terms" | "chainModelId"> {
  chainModelId: bigint;
  /** A new custodian set and threshold; the current version's by default. */
  custodians?: readonly Address[];
  threshold?: number;
  /** The current content key: re-encrypts the stored model instead of reading a new source. */
  previousKey?: Uint8Array;
  /** Unpin the previous version here once the new one is registered (default) or keep it. */
  previous?: "unpin" | "keep";
}

/**
 * Re-keys a model: a fresh content key, the weights re-encrypted (from `content`, or from the
 * previous version decrypted with `previousKey`: a file model's bytes, or every file of a
 * directory model, same paths and order), new shares deposited, the next version published on
 * chain under the same model id. Tickets for the old version stop working at once (the chain
 * checks the version); custodians drop the old shares after their grace period (rotation.ts).
 */
export async function rotateModel(
  peer: StoragePeer,
  content: ModelContent | undefined,
  options: RotateOptions,
): Promise<CustodyPublishResult<ModelPublishResult>> {
  const { chain, chainModelId } = options;
  const state = await chain.modelState(chainModelId);
  const current = state === null ? null : await chain.version(chainModelId, state.version);
  if (state === null || current === null) throw new DepositFailedError({ [options.owner.address]: `model ${chainModelId} is not registered` });
  const signed = await readManifest(peer, current.manifestCid, { expectedOwner: state.owner });
  const { manifest } = signed;
  let plaintext = content;
  if (plaintext === undefined) {
    const previousKey = options.previousKey;
    if (previousKey === undefined) throw new DepositFailedError({ [options.owner.address]: "rotation needs the weights or the previous key" });
    plaintext = isDirectoryManifest(manifest)
      ? { directory: decryptedFiles(peer, signed as SignedManifest<DirectoryManifest>, previousKey, options.signal) }
      : fetchModel(peer, current.manifestCid, { key: previousKey, expectedOwner: state.owner, signal: options.signal });
  }
  const result = await publishWithCustody(peer, plaintext, {
    ...options,
    key: undefined, // always a fresh key
    modelId: hexToBytes(manifest.modelId as Hex), // the stream stays bound to the same model
    name: options.name ?? manifest.name,
    weightsCommitment: options.weightsCommitment ?? manifest.weightsCommitment,
    custodians: options.custodians ?? current.custodians,
    threshold: options.threshold ?? current.threshold,
    chainModelId,
  });
  if ((options.previous ?? "unpin") === "unpin") await removePin(peer, parseCid(current.manifestCid));
  return result;
}

/** Every file of a directory version, decrypted lazily: a file is read only when its turn comes. */
function* decryptedFiles(peer: StoragePeer, signed: SignedManifest<DirectoryManifest>, key: Uint8Array, signal?: AbortSignal): Generator<DirectoryEntry> {
  for (const file of signed.manifest.files) {
    yield { path: file.path, source: fetchDirectoryFile(peer, signed, file.path, { key, ...(signal === undefined ? {} : { signal }) }) };
  }
}
