/**
 * The wallet: an EIP-1193 provider (window.ethereum) watched for account and chain changes.
 * Pages never talk to window.ethereum themselves; they ask the context (web/context.ts).
 */
import { createWalletClient, custom, getAddress, type Address, type Chain, type EIP1193Provider, type WalletClient, type Transport, type Account } from "viem";
import { AppError } from "./messages.js";

export interface WalletState {
  /** Whether a provider exists at all. */
  available: boolean;
  /** The connected account, once the user connected (or the wallet remembered the site). */
  account: Address | undefined;
  /** The wallet's current chain id, when known. */
  chainId: number | undefined;
}

export type ConnectedWalletClient = WalletClient<Transport, Chain, Account>;

export class Wallet {
  #state: WalletState;
  readonly #listeners = new Set<(state: WalletState) => void>();

  constructor(
    private readonly provider: EIP1193Provider | undefined,
    private readonly chain: Chain,
  ) {
    this.#state = { available: provider !== undefined, account: undefined, chainId: undefined };
    if (provider === undefined) return;
    provider.on("accountsChanged", (accounts: readonly string[]) => this.#set({ account: accounts[0] === undefined ? undefined : getAddress(accounts[0]) }));
    provider.on("chainChanged", (chainId: string) => this.#set({ chainId: Number(chainId) }));
    // Without a prompt: an account the wallet already granted this site.
    void Promise.all([provider.request({ method: "eth_accounts" }), provider.request({ method: "eth_chainId" })])
      .then(([accounts, chainId]) => this.#set({ account: accounts[0] === undefined ? undefined : getAddress(accounts[0]), chainId: Number(chainId) }))
      .catch(() => undefined);
  }

  get state(): WalletState {
    return this.#state;
  }

  /** Called on every change (and not initially); returns the unsubscribe function. */
  onChange(listener: (state: WalletState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Asks the wallet for an account (eth_requestAccounts: the wallet's prompt). */
  async connect(): Promise<Address> {
    const provider = this.#provider();
    const [accounts, chainId] = await Promise.all([provider.request({ method: "eth_requestAccounts" }), provider.request({ method: "eth_chainId" })]);
    if (accounts[0] === undefined) throw new AppError("WALLET_REFUSED");
    const account = getAddress(accounts[0]);
    this.#set({ account, chainId: Number(chainId) });
    return account;
  }

  /** Asks the wallet to switch to the node's chain (wallet_switchEthereumChain). */
  async switchChain(): Promise<void> {
    await this.#provider().request({ method: "wallet_switchEthereumChain", params: [{ chainId: `0x${this.chain.id.toString(16)}` }] });
    this.#set({ chainId: this.chain.id });
  }

  /** A viem wallet client for signing: connects first if needed; WRONG_CHAIN when the wallet is elsewhere. */
  async client(): Promise<ConnectedWalletClient> {
    const account = this.#state.account ?? (await this.connect());
    const provider = this.#provider();
    const chainId = Number(await provider.request({ method: "eth_chainId" }));
    if (chainId !== this.chain.id) {
      this.#set({ chainId });
      throw new AppError("WRONG_CHAIN", `Your wallet is on chain ${chainId}; this node's deployment is on chain ${this.chain.id}. Switch chains in your wallet.`);
    }
    return createWalletClient({ account, chain: this.chain, transport: custom(provider) });
  }

  #provider(): EIP1193Provider {
    if (this.provider === undefined) throw new AppError("NO_WALLET");
    return this.provider;
  }

  #set(change: Partial<WalletState>): void {
    this.#state = { ...this.#state, ...change };
    for (const listener of this.#listeners) listener(this.#state);
  }
}
