/**
 * createModelvaultClient: the licensee's whole path for a dApp, over viem clients the dApp
 * already has (wagmi's, or createPublicClient/createWalletClient):
 *   buyLicence -> requestTicket (fresh recipient key in memory) -> collectKey (custodians) ->
 *   fetchModel (a node's HTTP API; checked and decrypted here) ; verifyProof.
 * Neither the key nor a share ever passes through the node; the node is not trusted.
 *
 * Built here: the shared context (context.ts); the calls come from model-reads.ts, licences.ts,
 * key-collection.ts, content.ts, access.ts and verify.ts, and registry.ts's views.
 */
import type { Account, Address, Chain, Hex, PublicClient, TransactionReceipt, Transport, WalletClient } from "viem";
import { accessCalls } from "./access.js";
import type { ModelvaultClientConfig } from "./client-types.js";
import { contentCalls } from "./content.js";
import { addressOf, type ClientCalls, type SdkContext } from "./context.js";
import type { CustodyDomain } from "./custody.js";
import { chainError, SdkError } from "./errors.js";
import { keyCollection } from "./key-collection.js";
import { licenceCalls } from "./licences.js";
import { modelReads } from "./model-reads.js";
import { ownerActionCalls } from "./owner-actions.js";
import { ownerPublishCalls } from "./owner-publish.js";
import type { FetchLike } from "./node-api.js";
import { registryViews } from "./registry.js";
import { proofCalls } from "./verify.js";

export type {
  AccessOptions,
  AccessResult,
  AccessTicket,
  CollectedKey,
  CollectKeyParams,
  FetchModelOptions,
  LicencePurchase,
  ModelInfo,
  ModelStatus,
  ModelvaultClientConfig,
  ModelvaultDeployment,
  ModelVersionInfo,
  ProofVerification,
  TxResult,
  VerifyProofParams,
} from "./client-types.js";

export type ModelvaultClient = ReturnType<typeof createModelvaultClient<Transport, Chain | undefined>>;

export function createModelvaultClient<
  publicTransport extends Transport,
  publicChain extends Chain | undefined,
  walletTransport extends Transport = Transport,
  walletChain extends Chain | undefined = Chain | undefined,
  walletAccount extends Account | undefined = Account | undefined,
>(config: ModelvaultClientConfig<publicTransport, publicChain, walletTransport, walletChain, walletAccount>) {
  const { deployment } = config;
  // Used through the base types inside: the calls below do not depend on the chain's formatters.
  const publicClient = config.publicClient as unknown as PublicClient;
  const walletClient = config.walletClient as unknown as WalletClient | undefined;
  if (publicClient === undefined) throw new SdkError("INVALID_ARGUMENT", "publicClient is required");
  if (!Number.isSafeInteger(deployment?.chainId) || deployment.contracts?.ModelVault === undefined || deployment.contracts.CustodianRegistry === undefined) {
    throw new SdkError("INVALID_ARGUMENT", "deployment needs chainId and the ModelVault and CustodianRegistry addresses");
  }
  const fetchFn: FetchLike = config.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const nodeUrl = config.nodeUrl;
  const vault = deployment.contracts.ModelVault;
  const registry = deployment.contracts.CustodianRegistry;
  const domain: CustodyDomain = { chainId: deployment.chainId, vault };
  const confirmations = config.confirmations ?? 1;

  let chainChecked: Promise<void> | undefined;
  /** Custody signatures bind the deployment's chain id: refuse a client on another chain. */
  function checkChain(): Promise<void> {
    chainChecked ??= (async () => {
      let actual: number;
      try {
        actual = await publicClient.getChainId();
      } catch (error) {
        chainChecked = undefined;
        throw chainError(error, "eth_chainId");
      }
      if (actual !== deployment.chainId) {
        throw new SdkError("CHAIN_MISMATCH", `the public client is on chain ${actual}, the deployment on chain ${deployment.chainId}`);
      }
    })();
    return chainChecked;
  }

  async function read<T>(what: string, call: () => Promise<T>): Promise<T> {
    await checkChain();
    try {
      return await call();
    } catch (error) {
      throw chainError(error, what);
    }
  }

  async function sender(): Promise<Account | Address> {
    if (walletClient === undefined) throw new SdkError("NO_ACCOUNT", "this call sends a transaction: give createModelvaultClient a walletClient");
    if (walletClient.account !== undefined) return walletClient.account;
    const [address] = await walletClient.getAddresses().catch((error: unknown) => {
      throw chainError(error, "eth_accounts");
    });
    if (address === undefined) throw new SdkError("NO_ACCOUNT", "the wallet has no connected account");
    return address;
  }

  /** Simulates (so a revert names its custom error), sends, waits for the receipt. */
  async function transact(what: string, simulate: (account: Account | Address) => Promise<{ request: unknown }>): Promise<TransactionReceipt> {
    await checkChain();
    const account = await sender();
    let hash: Hex;
    try {
      const { request: prepared } = await simulate(account);
      hash = await walletClient!.writeContract(prepared as Parameters<NonNullable<typeof walletClient>["writeContract"]>[0]);
    } catch (error) {
      throw chainError(error, what);
    }
    let receipt: TransactionReceipt;
    try {
      receipt = await publicClient.waitForTransactionReceipt({ hash, confirmations: Math.max(1, confirmations) });
    } catch (error) {
      throw chainError(error, what);
    }
    if (receipt.status !== "success") throw new SdkError("CHAIN_REVERT", `${what}: transaction ${hash} reverted`);
    return receipt;
  }

  const ctx: SdkContext = {
    deployment, publicClient, walletClient, fetchFn, nodeUrl, vault, registry, domain,
    custodianTimeoutMs: config.custodianTimeoutMs, hedgeMs: config.hedgeMs,
    checkChain, read, sender, transact,
  };
  // The calls reach each other through the merged client, as when they were one object.
  const self = (): ClientCalls => client;
  const { getManifest, fetchModel, fetchModelStream } = contentCalls(ctx, self);

  const client = {
    deployment,
    nodeUrl,

    // listModels, modelInfo, modelHistory, licencesOf: the node's registry views (contracts/views.ts).
    ...registryViews({
      publicClient, deployment, maxBlockRange: config.maxBlockRange, checkChain,
      account: async () => addressOf(await sender()),
      nameOf: async (cid, owner): Promise<string | null> => (await client.getManifest(cid, { expectedOwner: owner })).manifest.name ?? null,
    }),

    ...modelReads(ctx), // getModel, getVersion
    ...licenceCalls(ctx), // hasAccess, buyLicence, requestTicket
    getManifest,
    ...keyCollection(ctx, self), // collectKey
    fetchModel,
    fetchModelStream,
    ...accessCalls(ctx, self), // accessModel
    ...proofCalls(ctx, self), // verifyProof
    ...ownerPublishCalls(ctx), // openPublishSession, signPublishSession, registerPublished
    ...ownerActionCalls(ctx), // setTerms, grantLicence, revokeLicence, earnings, withdrawEarnings
  };

  return client;
}
