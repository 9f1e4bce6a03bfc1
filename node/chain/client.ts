/**
 * The node's chain client (viem): typed reads of the registry, licences and tickets; writes that
 * simulate first (a revert surfaces as ChainRevertError before anything is sent), then send and
 * wait for `confirmations`; and an event follower that only delivers confirmed logs.
 */
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  getContract,
  http,
  isAddressEqual,
  parseEventLogs,
  webSocket,
  zeroAddress,
  type Abi,
  type Address,
  type Chain,
  type ContractEventName,
  type GetContractEventsParameters,
  type Hex,
  type LocalAccount,
  type Log,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from "viem";
import {
  custodianRegistryAbi,
  licenseeStakingAbi,
  modelVaultAbi,
  proofAttestationsAbi,
  storageChallengesAbi,
} from "../../contracts/abi/index.js";
import { challengeCommitment, randomChallengeSalt } from "../../contracts/challenge-seed.js";
import { defaultDeploymentPath, loadDeployment, parseDeployment, type Deployment } from "./deployment.js";
import { address, bytes, bytes32, compressedKey, uint, uint16 } from "./arguments.js";
import {
  ChainConfigError,
  ChainIdMismatchError,
  ChainRevertError,
  ChainRpcError,
  redactRpcUrl,
  toChainError,
} from "./errors.js";
import { followLogs, type EventFollower } from "./follow.js";
import {
  CHALLENGE_STATE,
  MODEL_STATUS,
  type ChallengeInfo,
  type CustodianInfo,
  type KeyRequest,
  type License,
  type ModelState,
  type ModelVersion,
  type OpenedChallenge,
  type RevealedChallenge,
  type Terms,
  type TicketView,
  type TxResult,
  type VersionParams,
} from "./types.js";

export const DEFAULT_CONFIRMATIONS = 1;
export const DEFAULT_POLLING_INTERVAL_MS = 1_000;
/** eth_getLogs range per request: within what public RPC providers accept. */
export const DEFAULT_MAX_BLOCK_RANGE = 2_000;
export const DEFAULT_RECEIPT_TIMEOUT_MS = 180_000;

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

const FOLLOWABLE = {
  vault: modelVaultAbi,
  challenges: storageChallengesAbi,
  custodians: custodianRegistryAbi,
} as const;

export type FollowableContract = keyof typeof FOLLOWABLE;
type AbiOf<C extends FollowableContract> = (typeof FOLLOWABLE)[C];
export type FollowedEventName<C extends FollowableContract> = ContractEventName<AbiOf<C>>;
/** A decoded, mined log of `eventName`. */
export type FollowedLog<C extends FollowableContract, E extends FollowedEventName<C>> = Log<
  bigint, number, false, undefined, true, AbiOf<C>, E
>;

export interface FollowEventsOptions<C extends FollowableContract, E extends FollowedEventName<C>> {
  contract: C;
  eventName: E;
  /** Filter on indexed arguments, e.g. { ticketId }. */
  args?: GetContractEventsParameters<AbiOf<C>, E>["args"];
  /** First block to scan (e.g. client.deploymentBlock, or a saved cursor). */
  fromBlock: bigint;
  /** Batches in chain order, each log once; awaited before the cursor moves on. */
  onLogs(logs: FollowedLog<C, E>[]): void | Promise<void>;
  /** Failed polls (retried with backoff); errors are typed (ChainUnavailableError, ...). */
  onError?: ((error: Error) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** Overrides the client's confirmations for this follower. */
  confirmations?: number | undefined;
  maxBlockRange?: number | undefined;
}

type ChainPublicClient = PublicClient<Transport, Chain>;
type ChainWalletClient = WalletClient<Transport, Chain, LocalAccount>;

function contractsOf(deployment: Deployment, client: ChainPublicClient) {
  const { contracts } = deployment;
  return {
    vault: getContract({ abi: modelVaultAbi, address: contracts.ModelVault, client }),
    custodians: getContract({ abi: custodianRegistryAbi, address: contracts.CustodianRegistry, client }),
    staking: getContract({ abi: licenseeStakingAbi, address: contracts.LicenseeStaking, client }),
    challenges: getContract({ abi: storageChallengesAbi, address: contracts.StorageChallenges, client }),
    attestations:
      contracts.ProofAttestations === null
        ? null
        : getContract({ abi: proofAttestationsAbi, address: contracts.ProofAttestations, client }),
  };
}

/** Read-only typed handles (viem getContract) of the deployed set; writes go through the client's methods. */
export type ChainContracts = ReturnType<typeof contractsOf>;

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

function transportFor(rpcUrl: string, options: Pick<ChainClientOptions, "timeoutMs" | "retryCount">): Transport {
  let protocol: string;
  try {
    protocol = new URL(rpcUrl).protocol;
  } catch {
    throw new ChainConfigError("rpcUrl: not a valid URL", { field: "rpcUrl" });
  }
  const config = { timeout: options.timeoutMs, retryCount: options.retryCount };
  // Batched: calls issued together (a custodian reads ticket and model at once) share one request.
  if (protocol === "http:" || protocol === "https:") return http(rpcUrl, { ...config, batch: { wait: 0 } });
  if (protocol === "ws:" || protocol === "wss:") return webSocket(rpcUrl, config);
  throw new ChainConfigError(`rpcUrl: must be an http(s) or ws(s) URL, not ${protocol}`, { field: "rpcUrl" });
}

function integerOption(value: number | undefined, fallback: number, field: string, min = 0): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw new ChainConfigError(`${field}: must be an integer >= ${min}`, { field });
  return value;
}

/** The first `eventName` log that `address` emitted in the receipt. */
function eventIn<const abi extends Abi, eventName extends ContractEventName<abi>>(
  receipt: TransactionReceipt,
  abi: abi,
  eventName: eventName,
  emitter: Address,
) {
  const logs = parseEventLogs({ abi, eventName, logs: receipt.logs.filter((log) => isAddressEqual(log.address, emitter)) });
  const log = logs[0];
  if (log === undefined) throw new ChainRpcError(`transaction ${receipt.transactionHash} emitted no ${eventName} event`);
  return log;
}

/** Connects, checks that the RPC serves the deployment's chain and that its contracts exist. */
export async function createChainClient(options: ChainClientOptions): Promise<ChainClient> {
  const deployment = parseDeployment(options.deployment);
  const { rpcUrl, account } = options;
  if ((rpcUrl === undefined) === (options.transport === undefined)) {
    throw new ChainConfigError("give exactly one of rpcUrl and transport", { field: "rpcUrl" });
  }
  const confirmations = integerOption(options.confirmations, DEFAULT_CONFIRMATIONS, "confirmations");
  const pollingInterval = integerOption(options.pollingIntervalMs, DEFAULT_POLLING_INTERVAL_MS, "pollingIntervalMs", 1);
  const maxBlockRange = integerOption(options.maxBlockRange, DEFAULT_MAX_BLOCK_RANGE, "maxBlockRange", 1);
  const receiptTimeout = integerOption(options.receiptTimeoutMs, DEFAULT_RECEIPT_TIMEOUT_MS, "receiptTimeoutMs", 1);
  const transport = options.transport ?? transportFor(rpcUrl!, options);
  const shownUrl = rpcUrl === undefined ? "(custom transport)" : redactRpcUrl(rpcUrl);
  const fail = (error: unknown, functionName?: string) => toChainError(error, { rpcUrl, functionName });

  const chain = defineChain({
    id: deployment.chainId,
    name: `chain ${deployment.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [] } },
  });
  const publicClient: ChainPublicClient = createPublicClient({ chain, transport, pollingInterval });
  const walletClient: ChainWalletClient | undefined =
    account === undefined ? undefined : createWalletClient({ account, chain, transport, pollingInterval });

  let actualChainId: number;
  try {
    actualChainId = await publicClient.getChainId();
  } catch (error) {
    throw fail(error);
  }
  if (actualChainId !== deployment.chainId) throw new ChainIdMismatchError(deployment.chainId, actualChainId, shownUrl);

  // A restarted development chain keeps its id but loses its contracts: say so now, not as
  // "returned no data" on the first read.
  const required = ["ModelVault", "CustodianRegistry", "LicenseeStaking", "StorageChallenges"] as const;
  let codes: (Hex | undefined)[];
  try {
    codes = await Promise.all(required.map((name) => publicClient.getCode({ address: deployment.contracts[name] })));
  } catch (error) {
    throw fail(error);
  }
  codes.forEach((code, i) => {
    const name = required[i]!;
    if (code === undefined || code === "0x") {
      throw new ChainConfigError(
        `no contract at ${name} ${deployment.contracts[name]} on chain ${deployment.chainId}: the deployment is stale (redeploy with \`npm run deploy\`)`,
        { field: `contracts.${name}` },
      );
    }
  });

  const contracts = contractsOf(deployment, publicClient);
  const vaultAddress = deployment.contracts.ModelVault;
  const custodiansAddress = deployment.contracts.CustodianRegistry;
  const challengesAddress = deployment.contracts.StorageChallenges;
  const stakingAddress = deployment.contracts.LicenseeStaking;
  const deploymentBlock = BigInt(deployment.blockNumber);

  async function read<T>(functionName: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw fail(error, functionName);
    }
  }

  // One transaction at a time from this client: the next nonce is only known once the previous
  // transaction is with the node.
  let sending: Promise<unknown> = Promise.resolve();
  function serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = sending.then(task, task);
    sending = run.catch(() => undefined);
    return run;
  }

  /** Simulates and sends (through `send`), then waits for the receipt with `confirmations`. */
  async function transact(
    functionName: string,
    send: (wallet: ChainWalletClient, from: LocalAccount) => Promise<Hex>,
  ): Promise<TransactionReceipt> {
    if (walletClient === undefined || account === undefined) {
      throw new ChainConfigError(`${functionName} sends a transaction: the chain client needs an account`, { field: "account" });
    }
    let hash: Hex;
    try {
      hash = await serialized(() => send(walletClient, account));
    } catch (error) {
      throw fail(error, functionName);
    }
    let receipt: TransactionReceipt;
    try {
      receipt = await publicClient.waitForTransactionReceipt({
        hash, confirmations: Math.max(1, confirmations), pollingInterval, timeout: receiptTimeout,
      });
    } catch (error) {
      throw fail(error, functionName);
    }
    if (receipt.status !== "success") throw new ChainRevertError({ functionName, txHash: hash });
    return receipt;
  }

  const txOf = (receipt: TransactionReceipt): TxResult => ({ txHash: receipt.transactionHash, blockNumber: receipt.blockNumber });

  let bond: bigint | undefined; // immutable in StorageChallenges

  const client: ChainClient = {
    publicClient,
    walletClient,
    address: account?.address,
    chainId: deployment.chainId,
    confirmations,
    deployment,
    deploymentBlock,
    contracts,

    async modelState(modelId) {
      const [owner, version, status] = await read("modelState", () => contracts.vault.read.modelState([uint(modelId, "modelId")]));
      if (owner === zeroAddress) return null;
      return { owner, version, status: MODEL_STATUS[status] ?? "retired" };
    },

    async version(modelId, version) {
      try {
        const v = await read("getVersion", () => contracts.vault.read.getVersion([uint(modelId, "modelId"), uint16(version, "version")]));
        return {
          manifestCid: v.manifestCid, storageRoot: v.storageRoot, segmentCount: v.segmentCount, threshold: v.threshold,
          custodians: v.custodians, weightsCommitment: v.weightsCommitment, ownerCommitment: v.ownerCommitment,
          publishedAt: v.publishedAt,
        };
      } catch (error) {
        if (error instanceof ChainRevertError && error.errorName === "UnknownModel") return null;
        throw error;
      }
    },

    async terms(modelId) {
      const [state, terms] = await Promise.all([
        client.modelState(modelId),
        read("terms", () => contracts.vault.read.terms([uint(modelId, "modelId")])),
      ]);
      if (state === null) return null;
      return { price: terms.price, duration: terms.duration, maxUses: terms.maxUses, minStake: terms.minStake, carryOver: terms.carryOver };
    },

    async licenseOf(modelId, licensee) {
      const l = await read("licenseOf", () => contracts.vault.read.licenseOf([uint(modelId, "modelId"), address(licensee, "account")]));
      if (l.version === 0) return null;
      return {
        expiresAt: l.expiresAt, maxUses: l.maxUses, used: l.used, version: l.version, nonce: l.nonce,
        requiredStake: l.requiredStake, revoked: l.revoked,
      };
    },

    async ticket(ticketId) {
      try {
        const t = await read("ticket", () => contracts.vault.read.ticket([bytes32(ticketId, "ticketId")]));
        return {
          modelId: t.modelId, version: t.version, licensee: t.licensee, recipientKey: t.recipientKey,
          expiresAt: t.expiresAt, licenceLive: t.licenceLive, valid: t.valid,
        };
      } catch (error) {
        if (error instanceof ChainRevertError && error.errorName === "UnknownTicket") return null;
        throw error;
      }
    },

    async ticketBlock(ticketId, options = {}) {
      bytes32(ticketId, "ticketId");
      const floor = options.fromBlock ?? deploymentBlock;
      // Tickets live for ticketTtl: a custodian asks about recent ones, so scan back from the head.
      let to = await read("eth_blockNumber", () => publicClient.getBlockNumber({ cacheTime: 0 }));
      while (to >= floor) {
        const from = to - BigInt(maxBlockRange) + 1n > floor ? to - BigInt(maxBlockRange) + 1n : floor;
        const logs = await read("eth_getLogs", () =>
          contracts.vault.getEvents.KeyRequested({ ticketId }, { fromBlock: from, toBlock: to, strict: true }),
        );
        const found = logs[0];
        if (found !== undefined) return found.blockNumber;
        to = from - 1n;
      }
      return null;
    },

    async confirmationsOf(blockNumber) {
      const head = await read("eth_blockNumber", () => publicClient.getBlockNumber({ cacheTime: 0 }));
      return head >= blockNumber ? head - blockNumber + 1n : 0n;
    },

    async custodianInfo(custodian) {
      const c = await read("custodianInfo", () => contracts.custodians.read.custodianInfo([address(custodian, "custodian")]));
      if (!c.registered) return null;
      return {
        stake: c.stake, unbonding: c.unbonding, unbondAt: c.unbondAt, openChallenges: c.openChallenges,
        publicKey: c.publicKey, endpoint: c.endpoint,
      };
    },

    isActiveCustodian(custodian) {
      return read("isActive", () => contracts.custodians.read.isActive([address(custodian, "custodian")]));
    },

    async storageCommitment(modelId, version) {
      const [storageRoot, segmentCount] = await read("storageCommitment", () =>
        contracts.vault.read.storageCommitment([uint(modelId, "modelId"), uint16(version, "version")]),
      );
      return { storageRoot, segmentCount };
    },

    async challengeInfo(challengeId) {
      const [challenger, seedBlock, index, deadlineBlock, state, custodian, version, bondPaid, modelId, commitment] = await read(
        "challenges", () => contracts.challenges.read.challenges([uint(challengeId, "challengeId")]),
      );
      const named = CHALLENGE_STATE[state];
      if (named === undefined) return null;
      const segmentIndex = named === "committed" || named === "lapsed" ? null : BigInt(index);
      return { modelId, version, custodian, challenger, seedBlock, deadlineBlock, segmentIndex, commitment, state: named, bond: bondPaid };
    },

    segmentIndex(challengeId) {
      return read("segmentIndex", () => contracts.challenges.read.segmentIndex([uint(challengeId, "challengeId")]));
    },

    async registerModel(params, terms) {
      const receipt = await transact("registerModel", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: vaultAddress, abi: modelVaultAbi, functionName: "registerModel", args: [params, terms], account: from,
        });
        return wallet.writeContract(request);
      });
      const event = eventIn(receipt, modelVaultAbi, "ModelRegistered", vaultAddress);
      return { modelId: event.args.modelId, ...txOf(receipt) };
    },

    async publishVersion(modelId, params) {
      uint(modelId, "modelId");
      const receipt = await transact("publishVersion", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: vaultAddress, abi: modelVaultAbi, functionName: "publishVersion", args: [modelId, params], account: from,
        });
        return wallet.writeContract(request);
      });
      const event = eventIn(receipt, modelVaultAbi, "VersionPublished", vaultAddress);
      return { version: event.args.version, ...txOf(receipt) };
    },

    async buy(modelId) {
      uint(modelId, "modelId");
      const receipt = await transact("buy", async (wallet, from) => {
        // Read inside the send slot, so the price paid is the one simulated against.
        const { price } = await contracts.vault.read.terms([modelId]);
        const { request } = await publicClient.simulateContract({
          address: vaultAddress, abi: modelVaultAbi, functionName: "buy", args: [modelId], value: price, account: from,
        });
        return wallet.writeContract(request);
      });
      const { args } = eventIn(receipt, modelVaultAbi, "LicensePurchased", vaultAddress);
      return { price: args.price, version: args.version, expiresAt: args.expiresAt, maxUses: args.maxUses, ...txOf(receipt) };
    },

    async grant(modelId, licensee, limits = {}) {
      uint(modelId, "modelId");
      address(licensee, "account");
      const receipt = await transact("grant", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: vaultAddress, abi: modelVaultAbi, functionName: "grant",
          args: [modelId, licensee, limits.expiresAt ?? 0, limits.maxUses ?? 0], account: from,
        });
        return wallet.writeContract(request);
      });
      return txOf(receipt);
    },

    async revoke(modelId, licensee) {
      uint(modelId, "modelId");
      address(licensee, "account");
      const receipt = await transact("revoke", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: vaultAddress, abi: modelVaultAbi, functionName: "revoke", args: [modelId, licensee], account: from,
        });
        return wallet.writeContract(request);
      });
      return txOf(receipt);
    },

    async requestKey(modelId, recipientKey) {
      uint(modelId, "modelId");
      const key = compressedKey(recipientKey, "recipientKey");
      const receipt = await transact("requestKey", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: vaultAddress, abi: modelVaultAbi, functionName: "requestKey", args: [modelId, key], account: from,
        });
        return wallet.writeContract(request);
      });
      const { args } = eventIn(receipt, modelVaultAbi, "KeyRequested", vaultAddress);
      return { ticketId: args.ticketId, version: args.version, expiresAt: args.expiresAt, ...txOf(receipt) };
    },

    async registerCustodian(publicKey, endpoint, stake) {
      const key = compressedKey(publicKey, "publicKey");
      uint(stake, "stake");
      const receipt = await transact("register", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: custodiansAddress, abi: custodianRegistryAbi, functionName: "register", args: [key, endpoint], value: stake,
          account: from,
        });
        return wallet.writeContract(request);
      });
      return txOf(receipt);
    },

    async updateCustodianProfile(publicKey, endpoint) {
      const key = compressedKey(publicKey, "publicKey");
      const receipt = await transact("updateProfile", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: custodiansAddress, abi: custodianRegistryAbi, functionName: "updateProfile", args: [key, endpoint], account: from,
        });
        return wallet.writeContract(request);
      });
      return txOf(receipt);
    },

    async challenge(modelId, custodian, options = {}) {
      uint(modelId, "modelId");
      address(custodian, "custodian");
      const salt = options.salt === undefined ? randomChallengeSalt() : bytes32(options.salt, "salt");
      bond ??= await read("bond", () => contracts.challenges.read.bond());
      const value = bond;
      const receipt = await transact("challenge", async (wallet, from) => {
        const commitment = challengeCommitment(from.address, salt);
        const { request } = await publicClient.simulateContract({
          address: challengesAddress, abi: storageChallengesAbi, functionName: "challenge", args: [modelId, custodian, commitment],
          value, account: from,
        });
        return wallet.writeContract(request);
      });
      const { args } = eventIn(receipt, storageChallengesAbi, "ChallengeOpened", challengesAddress);
      return {
        challengeId: args.challengeId, version: args.version, seedBlock: args.seedBlock, deadlineBlock: args.deadlineBlock, salt,
        ...txOf(receipt),
      };
    },

    async revealChallenge(challengeId, salt) {
      uint(challengeId, "challengeId");
      bytes32(salt, "salt");
      const receipt = await transact("reveal", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: challengesAddress, abi: storageChallengesAbi, functionName: "reveal", args: [challengeId, salt], account: from,
        });
        return wallet.writeContract(request);
      });
      const { args } = eventIn(receipt, storageChallengesAbi, "ChallengeRevealed", challengesAddress);
      return { segmentIndex: args.segmentIndex, deadlineBlock: args.deadlineBlock, ...txOf(receipt) };
    },

    async respondChallenge(challengeId, segment, proof) {
      uint(challengeId, "challengeId");
      const data = bytes(segment, "segment");
      proof.forEach((node, i) => bytes32(node, `proof[${i}]`));
      const receipt = await transact("respond", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: challengesAddress, abi: storageChallengesAbi, functionName: "respond", args: [challengeId, data, proof],
          account: from,
        });
        return wallet.writeContract(request);
      });
      const { args } = eventIn(receipt, storageChallengesAbi, "ChallengeAnswered", challengesAddress);
      return { segmentIndex: args.segmentIndex, ...txOf(receipt) };
    },

    async slashChallenge(challengeId) {
      uint(challengeId, "challengeId");
      const receipt = await transact("slash", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: challengesAddress, abi: storageChallengesAbi, functionName: "slash", args: [challengeId], account: from,
        });
        return wallet.writeContract(request);
      });
      const { args } = eventIn(receipt, storageChallengesAbi, "ChallengeSlashed", challengesAddress);
      return { slashed: args.slashed, ...txOf(receipt) };
    },

    async lapseChallenge(challengeId) {
      uint(challengeId, "challengeId");
      const receipt = await transact("lapse", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: challengesAddress, abi: storageChallengesAbi, functionName: "lapse", args: [challengeId], account: from,
        });
        return wallet.writeContract(request);
      });
      eventIn(receipt, storageChallengesAbi, "ChallengeLapsed", challengesAddress);
      return txOf(receipt);
    },

    async stakeLicensee(modelId, amount) {
      uint(modelId, "modelId");
      uint(amount, "amount");
      const receipt = await transact("stake", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: stakingAddress, abi: licenseeStakingAbi, functionName: "stake", args: [modelId], value: amount, account: from,
        });
        return wallet.writeContract(request);
      });
      const { args } = eventIn(receipt, licenseeStakingAbi, "Staked", stakingAddress);
      return { total: args.total, ...txOf(receipt) };
    },

    followEvents(follow) {
      const abi: Abi = FOLLOWABLE[follow.contract];
      const emitter = { vault: vaultAddress, challenges: challengesAddress, custodians: custodiansAddress }[follow.contract];
      type Followed = Parameters<typeof follow.onLogs>[0];
      return followLogs(
        {
          head: () => publicClient.getBlockNumber({ cacheTime: 0 }),
          fetch: async (fromBlock, toBlock) => {
            const logs = await publicClient.getContractEvents({
              address: emitter, abi, eventName: follow.eventName, args: follow.args, fromBlock, toBlock, strict: true,
            });
            // getContractEvents over the widened Abi loses the event's types; they are those of AbiOf<C>.
            return logs as unknown as Followed;
          },
        },
        {
          fromBlock: uint(follow.fromBlock, "fromBlock"),
          confirmations: integerOption(follow.confirmations, confirmations, "confirmations"),
          pollingIntervalMs: pollingInterval,
          maxBlockRange: integerOption(follow.maxBlockRange, maxBlockRange, "maxBlockRange", 1),
          onLogs: (logs) => follow.onLogs(logs),
          onError: follow.onError,
          signal: follow.signal,
          mapError: (error) => fail(error, "eth_getLogs"),
        },
      );
    },

    async write(contract, functionName, args, options = {}) {
      const handle = contracts[contract];
      if (handle === null) throw new ChainConfigError(`the deployment has no ${contract} contract`, { field: `contracts.${contract}` });
      if (options.value !== undefined) uint(options.value, "value");
      const receipt = await transact(functionName, async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: handle.address, abi: handle.abi as Abi, functionName, args: [...args], account: from,
          ...(options.value === undefined ? {} : { value: options.value }),
        } as never);
        return wallet.writeContract(request as never);
      });
      return { ...txOf(receipt), receipt };
    },

    async close() {
      // viem keeps one socket per URL open; only a WebSocket transport has an RPC client to close.
      const socketTransport = publicClient.transport as { getRpcClient?: () => Promise<{ close(): void }> };
      if (typeof socketTransport.getRpcClient === "function") (await socketTransport.getRpcClient()).close();
    },
  };
  return client;
}

export interface ChainSettings {
  rpcUrl: string;
  /** Path of the deployment JSON; default deployments/<chainId>.json of the repo, chainId asked of the RPC. */
  deployment?: string | undefined;
  confirmations?: number | undefined;
}

/** createChainClient from the node config's `chain` section (and the node's account, if it writes). */
export async function connectChain(
  settings: ChainSettings,
  options: Omit<ChainClientOptions, "rpcUrl" | "transport" | "deployment" | "confirmations"> = {},
): Promise<ChainClient> {
  let path = settings.deployment;
  if (path === undefined) {
    const probe = createPublicClient({ transport: transportFor(settings.rpcUrl, options) });
    try {
      path = defaultDeploymentPath(await probe.getChainId());
    } catch (error) {
      throw toChainError(error, { rpcUrl: settings.rpcUrl });
    }
  }
  return createChainClient({
    ...options,
    rpcUrl: settings.rpcUrl,
    deployment: await loadDeployment(path),
    confirmations: settings.confirmations,
  });
}
