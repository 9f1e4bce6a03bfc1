/** The ChainClient interface and its options; createChainClient (client.ts) builds one. */
import type { Address, Hex, LocalAccount, TransactionReceipt, Transport } from "viem";
import type { ChainContracts, ChainPublicClient, ChainWalletClient } from "./context.js";
import type { Deployment } from "./deployment.js";
import type { EventFollower } from "./follow.js";
import type { FollowableContract, FollowedEventName, FollowEventsOptions } from "./event-follow.js";
import type {
  ChallengeInfo,
  CustodianInfo,
  KeyRequest,
  License,
  ModelState,
  ModelVersion,
  OpenedChallenge,
  RevealedChallenge,
  Terms,
  TicketView,
  TxResult,
  VersionParams,
} from "./types.js";

export type { ChainContracts } from "./context.js";


export interface ChainClientOptions {
  /** http(s):// or ws(s):// endpoint; give this or `transport`. */
  rpcUrl?: string | undefined;
  /** A ready transport (e.g. custom(provider) in tests); give this or `rpcUrl`. */
  transport?: Transport | undefined;
  deployment: Deployment;
  /** The node's account (from its keystore); without it the client only reads. */
  account?: LocalAccount | undefined;
  /** Blocks a transaction or log needs before it counts; 1 (default) = its own block; 0 acts as 1. */
  confirmations?: number | undefined;
  pollingIntervalMs?: number | undefined;
  /** Per request, for rpcUrl transports (viem's default: 10 s). */
  timeoutMs?: number | undefined;
  /** Retries per request, for rpcUrl transports (viem's default: 3). */
  retryCount?: number | undefined;
  /** Largest eth_getLogs block range. */
  maxBlockRange?: number | undefined;
  /** How long a write waits for its receipt. */
  receiptTimeoutMs?: number | undefined;
}

/** The contracts `write` can call. */
export type WritableContract = keyof ChainContracts;

export interface ChainClient {
  readonly publicClient: ChainPublicClient;
  /** Present when the client was given an account. */
  readonly walletClient: ChainWalletClient | undefined;
  /** The account's address, when there is one. */
  readonly address: Address | undefined;
  readonly chainId: number;
  readonly confirmations: number;
  readonly deployment: Deployment;
  /** The block the deployment was recorded at: where scans start by default. */
  readonly deploymentBlock: bigint;
  readonly contracts: ChainContracts;

  /** null for a model id that was never registered. */
  modelState(modelId: bigint): Promise<ModelState | null>;
  /** null when the model has no such version. */
  version(modelId: bigint, version: number): Promise<ModelVersion | null>;
  /** The terms future licences get; null for an unknown model. */
  terms(modelId: bigint): Promise<Terms | null>;
  /** null when the account never held a licence for the model. */
  licenseOf(modelId: bigint, account: Address): Promise<License | null>;
  /** null for an unknown ticket. */
  ticket(ticketId: Hex): Promise<TicketView | null>;
  /** Block of the ticket's KeyRequested log, searched from the head back to `fromBlock`; null when none. */
  ticketBlock(ticketId: Hex, options?: { fromBlock?: bigint }): Promise<bigint | null>;
  /** head - blockNumber + 1 (0 while the block is not yet in the chain). */
  confirmationsOf(blockNumber: bigint): Promise<bigint>;
  /** null for an account that never registered. */
  custodianInfo(account: Address): Promise<CustodianInfo | null>;
  isActiveCustodian(account: Address): Promise<boolean>;
  storageCommitment(modelId: bigint, version: number): Promise<{ storageRoot: Hex; segmentCount: number }>;
  /** null for an unknown challenge id. */
  challengeInfo(challengeId: bigint): Promise<ChallengeInfo | null>;
  /** The segment a challenge asks for (ChainRevertError NotRevealed until the challenger reveals). */
  segmentIndex(challengeId: bigint): Promise<bigint>;

  registerModel(params: VersionParams, terms: Terms): Promise<TxResult & { modelId: bigint }>;
  publishVersion(modelId: bigint, params: VersionParams): Promise<TxResult & { version: number }>;
  /** Pays the current price exactly. */
  buy(modelId: bigint): Promise<TxResult & { price: bigint; version: number; expiresAt: number; maxUses: number }>;
  grant(modelId: bigint, account: Address, limits?: { expiresAt?: number; maxUses?: number }): Promise<TxResult>;
  revoke(modelId: bigint, account: Address): Promise<TxResult>;
  requestKey(modelId: bigint, recipientKey: Uint8Array | Hex): Promise<KeyRequest>;
  registerCustodian(publicKey: Uint8Array | Hex, endpoint: string, stake: bigint): Promise<TxResult>;
  updateCustodianProfile(publicKey: Uint8Array | Hex, endpoint: string): Promise<TxResult>;
  /**
   * Pays the bond StorageChallenges asks and commits to a fresh random salt (or `options.salt`),
   * returned for revealChallenge: keep it secret until then.
   */
  challenge(modelId: bigint, custodian: Address, options?: { salt?: Hex }): Promise<OpenedChallenge>;
  /** Reveals the salt once the seed block is mined (SeedNotReady before), fixing the segment index. */
  revealChallenge(challengeId: bigint, salt: Hex): Promise<RevealedChallenge>;
  respondChallenge(challengeId: bigint, segment: Uint8Array | Hex, proof: readonly Hex[]): Promise<TxResult & { segmentIndex: bigint }>;
  slashChallenge(challengeId: bigint): Promise<TxResult & { slashed: bigint }>;
  /** Closes a challenge never revealed in time: bond to the pool, custodian released. */
  lapseChallenge(challengeId: bigint): Promise<TxResult>;
  /** Licensee stake for models with a minimum stake (LicenseeStaking.stake). */
  stakeLicensee(modelId: bigint, amount: bigint): Promise<TxResult & { total: bigint }>;

  followEvents<C extends FollowableContract, E extends FollowedEventName<C>>(options: FollowEventsOptions<C, E>): EventFollower;
  /**
   * Any state-changing call of the deployment's contracts, from the client's account: simulated
   * first (a revert comes back as its typed error, nothing is sent), sent, and confirmed like the
   * named methods above, which are shortcuts over the same path. Modules of further calls
   * (node/chain/*.ts) build on this rather than growing this client.
   */
  write(contract: WritableContract, functionName: string, args: readonly unknown[], options?: { value?: bigint }): Promise<TxResult & { receipt: TransactionReceipt }>;
  /** Closes a WebSocket connection (a no-op over HTTP); stop followers first. */
  close(): Promise<void>;
}
