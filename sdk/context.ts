/**
 * What the client's call modules (model-reads, licences, key-collection, content, access, verify)
 * share: the viem clients, the deployment's addresses, the node's fetch and the read / transact
 * paths built once in createModelvaultClient.
 */
import { isAddressEqual, parseEventLogs, type Account, type Address, type PublicClient, type TransactionReceipt, type WalletClient } from "viem";
import { modelVaultAbi } from "../contracts/abi/ModelVault.js";
import type { CID } from "multiformats/cid";
import type {
  AccessTicket,
  CollectedKey,
  CollectKeyParams,
  LicencePurchase,
  ModelInfo,
  ModelvaultDeployment,
  ModelVersionInfo,
} from "./client-types.js";
import type { CustodyDomain } from "./custody.js";
import { SdkError } from "./errors.js";
import type { SignedManifest } from "./manifest.js";
import type { FetchLike } from "./node-api.js";

export interface SdkContext {
  /** The config's custodian defaults (collectKey). */
  readonly custodianTimeoutMs: number | undefined;
  readonly hedgeMs: number | undefined;
  readonly deployment: ModelvaultDeployment;
  // Used through the base types inside: the calls do not depend on the chain's formatters.
  readonly publicClient: PublicClient;
  readonly walletClient: WalletClient | undefined;
  readonly fetchFn: FetchLike;
  readonly nodeUrl: string;
  readonly vault: Address;
  readonly registry: Address;
  readonly domain: CustodyDomain;
  /** Custody signatures bind the deployment's chain id: refuse a client on another chain. */
  checkChain(): Promise<void>;
  /** Runs a read (after checkChain), its failure mapped by chainError. */
  read<T>(what: string, call: () => Promise<T>): Promise<T>;
  /** The wallet's account; NO_ACCOUNT without a wallet or a connected account. */
  sender(): Promise<Account | Address>;
  /** Simulates (so a revert names its custom error), sends, waits for the receipt. */
  transact(what: string, simulate: (account: Account | Address) => Promise<{ request: unknown }>): Promise<TransactionReceipt>;
}

/**
 * The client's own calls that other calls go through. Called on the merged client object, as
 * when all the calls were one object literal.
 */
export interface ClientCalls {
  getModel(modelId: bigint): Promise<ModelInfo>;
  getVersion(modelId: bigint, version: number): Promise<ModelVersionInfo>;
  hasAccess(modelId: bigint, account?: Address): Promise<boolean>;
  buyLicence(modelId: bigint): Promise<LicencePurchase>;
  requestTicket(modelId: bigint): Promise<AccessTicket>;
  getManifest(manifestCid: string | CID, options?: { expectedOwner?: Address; timeoutMs?: number; signal?: AbortSignal }): Promise<SignedManifest>;
  collectKey(params: CollectKeyParams): Promise<CollectedKey>;
}

/** The merged client, reached lazily (it is built from the modules that call it). */
export type ClientRef = () => ClientCalls;

export function checkModelId(modelId: bigint): bigint {
  if (typeof modelId !== "bigint" || modelId < 0n || modelId >= 2n ** 256n) throw new SdkError("INVALID_ARGUMENT", "modelId must be a uint256 bigint");
  return modelId;
}

export const addressOf = (account: Account | Address): Address => (typeof account === "string" ? account : account.address);

/** The first `eventName` log the vault emitted in the receipt. */
export function eventOf<E extends "LicensePurchased" | "KeyRequested">(receipt: TransactionReceipt, vault: Address, eventName: E) {
  const logs = parseEventLogs({ abi: modelVaultAbi, eventName, logs: receipt.logs.filter((log) => isAddressEqual(log.address, vault)) });
  const log = logs[0];
  if (log === undefined) throw new SdkError("CHAIN_ERROR", `transaction ${receipt.transactionHash} emitted no ${eventName} event`);
  return log;
}
