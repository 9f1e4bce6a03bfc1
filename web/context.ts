/**
 * The AppContext every page gets: where the node is, what chain it uses (GET /v1/web/config),
 * read clients for the chain and the SDK, and the wallet for what must be signed.
 */
import { createPublicClient, defineChain, http, type Chain, type EIP1193Provider, type PublicClient } from "viem";
import { createModelvaultClient, type ModelvaultClient, type ModelvaultDeployment } from "../sdk/index.js";
import { AppError } from "./messages.js";
import { Wallet, type ConnectedWalletClient } from "./wallet.js";

/** GET /v1/web/config (docs/API.md). */
export interface WebConfig {
  /** null when the node runs without a chain: the app can show the node only. */
  chain: {
    chainId: number;
    /** An RPC endpoint the browser may call (CORS-enabled). */
    rpcUrl: string;
    deployment: ModelvaultDeployment;
  } | null;
  node: { address: string; peerId: string; version: string };
}

export interface AppContext {
  /** The node's origin, e.g. "http://127.0.0.1:5480": its API and the SDK's nodeUrl. */
  nodeOrigin: string;
  /** Whether the page is served by the node itself (operator pages render only then). */
  isNodeOrigin: boolean;
  config: WebConfig;
  /** viem chain of the deployment (throws CONFIG_UNAVAILABLE without one). */
  chain(): Chain;
  /** Reads the chain through the node's advertised RPC. */
  publicClient(): PublicClient;
  /** The SDK for reads (listModels, modelInfo, ...); no wallet. */
  sdk(): ModelvaultClient;
  /** The SDK with the connected wallet (buyLicence, accessModel, ...): prompts to connect if needed. */
  signingSdk(): Promise<ModelvaultClient>;
  /** A viem wallet client on the node's chain (prompts to connect; WRONG_CHAIN / NO_WALLET otherwise). */
  walletClient(): Promise<ConnectedWalletClient>;
  wallet: Wallet;
}

export async function loadConfig(nodeOrigin: string, signal?: AbortSignal): Promise<WebConfig> {
  const response = await fetch(new URL("/v1/web/config", nodeOrigin), { signal: signal ?? null });
  if (!response.ok) throw new AppError("CONFIG_UNAVAILABLE", `GET /v1/web/config answered ${response.status}`);
  return (await response.json()) as WebConfig;
}

export function createAppContext(options: { nodeOrigin: string; config: WebConfig; provider?: EIP1193Provider | undefined; isNodeOrigin: boolean }): AppContext {
  const { config, nodeOrigin } = options;
  const chain = config.chain === null ? undefined : defineChain({
    id: config.chain.chainId,
    name: `chain ${config.chain.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [config.chain.rpcUrl] } },
  });
  const needChain = (): Chain => {
    if (chain === undefined) throw new AppError("CONFIG_UNAVAILABLE");
    return chain;
  };
  let publicClient: PublicClient | undefined;
  let readSdk: ModelvaultClient | undefined;
  const wallet = new Wallet(options.provider, chain ?? defineChain({ id: 0, name: "none", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [] } } }));
  const ctx: AppContext = {
    nodeOrigin,
    isNodeOrigin: options.isNodeOrigin,
    config,
    wallet,
    chain: needChain,
    publicClient: () => (publicClient ??= createPublicClient({ chain: needChain(), transport: http(config.chain!.rpcUrl) })),
    sdk: () => (readSdk ??= createModelvaultClient({ publicClient: ctx.publicClient(), deployment: config.chain!.deployment, nodeUrl: nodeOrigin })),
    walletClient: () => wallet.client(),
    signingSdk: async () => createModelvaultClient({ publicClient: ctx.publicClient(), walletClient: await wallet.client(), deployment: config.chain!.deployment, nodeUrl: nodeOrigin }),
  };
  return ctx;
}
