/**
 * The node's chain client (viem): typed reads of the registry, licences and tickets; writes that
 * simulate first (a revert surfaces as ChainRevertError before anything is sent), then send and
 * wait for `confirmations`; and an event follower that only delivers confirmed logs.
 * createChainClient builds the shared context (context.ts) and merges the calls of
 * model-calls.ts, custodian-calls.ts and event-follow.ts into one ChainClient (client-types.ts).
 */
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  webSocket,
  type Abi,
  type Hex,
  type LocalAccount,
  type TransactionReceipt,
  type Transport,
} from "viem";
import { defaultDeploymentPath, loadDeployment, parseDeployment } from "./deployment.js";
import { uint } from "./arguments.js";
import {
  ChainConfigError,
  ChainIdMismatchError,
  ChainRevertError,
  redactRpcUrl,
  toChainError,
} from "./errors.js";
import type { ChainClient, ChainClientOptions } from "./client-types.js";
import { contractsOf, integerOption, type ChainContext, type ChainPublicClient, type ChainWalletClient } from "./context.js";
import { custodianCalls } from "./custodian-calls.js";
import { followCalls } from "./event-follow.js";
import { modelCalls } from "./model-calls.js";
import type { TxResult } from "./types.js";

export type { ChainClient, ChainClientOptions, ChainContracts, WritableContract } from "./client-types.js";
export type { FollowableContract, FollowedEventName, FollowedLog, FollowEventsOptions } from "./event-follow.js";

export const DEFAULT_CONFIRMATIONS = 1;
export const DEFAULT_POLLING_INTERVAL_MS = 1_000;
/** eth_getLogs range per request: within what public RPC providers accept. */
export const DEFAULT_MAX_BLOCK_RANGE = 2_000;
export const DEFAULT_RECEIPT_TIMEOUT_MS = 180_000;

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

  const ctx: ChainContext = {
    publicClient,
    contracts,
    addresses: {
      vault: deployment.contracts.ModelVault,
      custodians: deployment.contracts.CustodianRegistry,
      challenges: deployment.contracts.StorageChallenges,
      staking: deployment.contracts.LicenseeStaking,
    },
    deploymentBlock,
    confirmations,
    pollingInterval,
    maxBlockRange,
    fail,
    read,
    transact,
    txOf,
  };

  const client: ChainClient = {
    publicClient,
    walletClient,
    address: account?.address,
    chainId: deployment.chainId,
    confirmations,
    deployment,
    deploymentBlock,
    contracts,

    ...modelCalls(ctx),
    ...custodianCalls(ctx),
    ...followCalls(ctx),

    async confirmationsOf(blockNumber) {
      const head = await read("eth_blockNumber", () => publicClient.getBlockNumber({ cacheTime: 0 }));
      return head >= blockNumber ? head - blockNumber + 1n : 0n;
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
