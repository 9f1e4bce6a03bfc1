/**
 * A test EIP-1193 wallet for the browser tests: window.ethereum in every page, answered on the
 * Node side with a viem local account over the chain's RPC (transactions are signed here and sent
 * raw). The test drives it: switch account or chain, refuse the next request (code 4001).
 */
import type { Page } from "puppeteer-core";
import { createPublicClient, createWalletClient, defineChain, http, numberToHex, type Hex, type LocalAccount, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";

/** An EIP-1193 error as the page receives it. */
export interface Eip1193Error {
  code: number;
  message: string;
}

type Answer = { result: unknown } | { error: Eip1193Error };

const EXPOSED = "__modelvaultTestWallet";
const EMIT = "__modelvaultTestWalletEmit";

/** Runs in the page before its scripts: window.ethereum forwarding to the exposed Node function. */
const PROVIDER_SCRIPT = `(() => {
  const listeners = new Map();
  const provider = {
    isModelvaultTestWallet: true,
    async request(args) {
      if (args === null || typeof args !== "object" || typeof args.method !== "string") throw Object.assign(new Error("invalid request"), { code: -32600 });
      const answer = JSON.parse(await window.${EXPOSED}(JSON.stringify({ method: args.method, params: args.params ?? [] })));
      if ("error" in answer) throw Object.assign(new Error(answer.error.message), { code: answer.error.code });
      return answer.result;
    },
    on(event, listener) { if (!listeners.has(event)) listeners.set(event, new Set()); listeners.get(event).add(listener); return provider; },
    removeListener(event, listener) { listeners.get(event)?.delete(listener); return provider; },
  };
  window.${EMIT} = (event, value) => { for (const listener of listeners.get(event) ?? []) listener(value); };
  Object.defineProperty(window, "ethereum", { value: provider, configurable: false, writable: false });
})();`;

export class TestWallet {
  #account: LocalAccount;
  #chainId: number;
  #connected = false;
  #refuse = new Set<string>();
  readonly #pages = new Set<Page>();
  readonly #publicClient: PublicClient;
  /** Every method the page asked, in order (for asserting what the app requested). */
  readonly requests: string[] = [];

  constructor(
    private readonly rpcUrl: string,
    privateKey: Hex,
    private readonly knownChains: readonly number[],
  ) {
    this.#account = privateKeyToAccount(privateKey);
    this.#chainId = knownChains[0]!;
    this.#publicClient = createPublicClient({ transport: http(rpcUrl) });
  }

  get address(): `0x${string}` {
    return this.#account.address;
  }

  get chainId(): number {
    return this.#chainId;
  }

  /** Injects window.ethereum into `page` (before navigation: it applies to every document). */
  async attach(page: Page): Promise<void> {
    this.#pages.add(page);
    await page.exposeFunction(EXPOSED, async (request: string) => JSON.stringify(await this.#answer(JSON.parse(request) as { method: string; params: unknown[] })));
    await page.evaluateOnNewDocument(PROVIDER_SCRIPT);
  }

  /** The next request of `method` fails with 4001 (user rejected), as a user's "Reject" would. */
  refuseNext(method: string): void {
    this.#refuse.add(method);
  }

  /** Switches the wallet's account and tells the pages (accountsChanged). */
  async useAccount(privateKey: Hex): Promise<void> {
    this.#account = privateKeyToAccount(privateKey);
    if (this.#connected) await this.#emit("accountsChanged", [this.#account.address]);
  }

  /** Moves the wallet to another chain, as a user would in the wallet's own UI (chainChanged). */
  async switchChain(chainId: number): Promise<void> {
    this.#chainId = chainId;
    await this.#emit("chainChanged", numberToHex(chainId));
  }

  async #emit(event: string, value: unknown): Promise<void> {
    for (const page of this.#pages) if (!page.isClosed()) await page.evaluate((name, event, value) => (globalThis as unknown as Record<string, (e: string, v: unknown) => void>)[name]?.(event, value), EMIT, event, value);
  }

  async #answer({ method, params }: { method: string; params: unknown[] }): Promise<Answer> {
    this.requests.push(method);
    if (this.#refuse.delete(method)) return { error: { code: 4001, message: "User rejected the request." } };
    try {
      return { result: await this.#handle(method, params) };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return { error: { code: typeof code === "number" ? code : -32603, message: (error as Error).message } };
    }
  }

  async #handle(method: string, params: unknown[]): Promise<unknown> {
    const account = this.#account;
    switch (method) {
      case "eth_requestAccounts":
        this.#connected = true;
        return [account.address];
      case "eth_accounts":
        return this.#connected ? [account.address] : [];
      case "eth_chainId":
        return numberToHex(this.#chainId);
      case "wallet_switchEthereumChain": {
        const chainId = Number((params[0] as { chainId: string }).chainId);
        if (!this.knownChains.includes(chainId)) throw Object.assign(new Error(`Unrecognized chain ID ${chainId}`), { code: 4902 });
        await this.switchChain(chainId);
        return null;
      }
      case "personal_sign":
        this.#requireAccount(params[1]);
        return account.signMessage({ message: { raw: params[0] as Hex } });
      case "eth_signTypedData_v4": {
        this.#requireAccount(params[0]);
        const typed = JSON.parse(params[1] as string) as { types: Record<string, unknown>; [key: string]: unknown };
        const { EIP712Domain: _domain, ...types } = typed.types;
        return account.signTypedData({ ...typed, types } as never);
      }
      case "eth_sendTransaction": {
        const tx = params[0] as { from?: string; to?: Hex; data?: Hex; value?: Hex; gas?: Hex };
        this.#requireAccount(tx.from);
        const chain = defineChain({ id: this.#chainId, name: "test", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [this.rpcUrl] } } });
        const wallet = createWalletClient({ account, chain, transport: http(this.rpcUrl) });
        return wallet.sendTransaction({ to: tx.to ?? null, data: tx.data, value: tx.value === undefined ? undefined : BigInt(tx.value), gas: tx.gas === undefined ? undefined : BigInt(tx.gas) } as never);
      }
      case "eth_sign":
      case "eth_signTransaction":
        throw Object.assign(new Error(`${method} is not supported`), { code: 4200 });
      default:
        // Reads (eth_call, eth_getBalance, eth_blockNumber, ...) go to the chain as they are.
        return this.#publicClient.request({ method, params } as never);
    }
  }

  #requireAccount(from: unknown): void {
    if (typeof from === "string" && from.toLowerCase() !== this.#account.address.toLowerCase()) {
      throw Object.assign(new Error(`${from} is not the connected account`), { code: 4100 });
    }
    if (!this.#connected) throw Object.assign(new Error("not connected: eth_requestAccounts first"), { code: 4100 });
  }
}
