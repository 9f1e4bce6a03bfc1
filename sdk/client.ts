/**
 * createModelvaultClient: the licensee's whole path for a dApp, over viem clients the dApp
 * already has (wagmi's, or createPublicClient/createWalletClient):
 *   buyLicence -> requestTicket (fresh recipient key in memory) -> collectKey (custodians) ->
 *   fetchModel (a node's HTTP API; checked and decrypted here) ; verifyProof.
 * Neither the key nor a share ever passes through the node; the node is not trusted.
 */
import {
  bytesToHex,
  hexToBytes,
  isAddressEqual,
  parseEventLogs,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from "viem";
import { custodianRegistryAbi } from "../contracts/abi/CustodianRegistry.js";
import { modelVaultAbi } from "../contracts/abi/ModelVault.js";
import { proofAttestationsAbi } from "../contracts/abi/ProofAttestations.js";
import { fileKey } from "../crypto/directory.js";
import { constantTimeEqual, subtle } from "./bytes.js";
import { collectShares, type CustodyDomain } from "./custody.js";
import { keyCommitment } from "./derive.js";
import { generateRecipientKey } from "./ecies.js";
import { abortedError, chainError, SdkError } from "./errors.js";
import { checkManifestBlock, decodeSignedManifest, isDirectoryManifest, parseCid, type Manifest, type SignedManifest } from "./manifest.js";
import { request, requestBytes, type FetchLike } from "./node-api.js";
import { registryViews } from "./registry.js";
import { fieldSignals, groth16Calldata, verifierAbi, verifyGroth16, type Groth16Proof, type Groth16VerificationKey, type ProofKind } from "./proofs.js";
import { iterateStream, openSealed } from "./sealed.js";
import type { CID } from "multiformats/cid";

/** Where the contracts live: the `deployments/<chainId>.json` the deploy script writes fits as is. */
export interface ModelvaultDeployment {
  chainId: number;
  /** The block the deployment was recorded at: where the registry views' log scans start (default 0). */
  blockNumber?: string | number | bigint;
  contracts: {
    ModelVault: Address;
    CustodianRegistry: Address;
    /** For on-chain proof checks: the ownership verifier and the attestation contract (which knows each model's inference verifier). */
    OwnershipVerifier?: Address | null;
    ProofAttestations?: Address | null;
    /** For modelInfo, modelHistory and licencesOf (stakes and storage challenges). */
    LicenseeStaking?: Address;
    StorageChallenges?: Address;
  };
}

/**
 * Generic over the clients' transport, chain and account, so any viem (or wagmi) client fits
 * whatever chain definition it was made with.
 */
export interface ModelvaultClientConfig<
  publicTransport extends Transport = Transport,
  publicChain extends Chain | undefined = Chain | undefined,
  walletTransport extends Transport = Transport,
  walletChain extends Chain | undefined = Chain | undefined,
  walletAccount extends Account | undefined = Account | undefined,
> {
  publicClient: PublicClient<publicTransport, publicChain>;
  /** Needed for buyLicence, requestTicket and accessModel (they send transactions). */
  walletClient?: WalletClient<walletTransport, walletChain, walletAccount>;
  deployment: ModelvaultDeployment;
  /** A node's HTTP API, e.g. "http://127.0.0.1:5480": manifests and content come from it. */
  nodeUrl: string;
  /** fetch implementation (default globalThis.fetch). */
  fetch?: FetchLike;
  /** Confirmations to wait for on each transaction (default 1). */
  confirmations?: number;
  /** Per custodian request (default 10 s). */
  custodianTimeoutMs?: number;
  /** Delay before the custodians beyond the first `threshold` are asked too (default 1 s). */
  hedgeMs?: number;
  /** Largest eth_getLogs block range of the registry views (default 2000). */
  maxBlockRange?: number;
}

export type ModelStatus = "active" | "paused" | "retired";

export interface ModelInfo {
  modelId: bigint;
  owner: Address;
  /** Current version. */
  version: number;
  status: ModelStatus;
  terms: { price: bigint; duration: number; maxUses: number; minStake: bigint; carryOver: boolean };
}

export interface ModelVersionInfo {
  manifestCid: string;
  custodians: readonly Address[];
  threshold: number;
  weightsCommitment: bigint;
  ownerCommitment: bigint;
  storageRoot: Hex;
  segmentCount: number;
  publishedAt: bigint;
}

export interface TxResult {
  txHash: Hex;
  blockNumber: bigint;
}

export interface LicencePurchase extends TxResult {
  price: bigint;
  version: number;
  /** Unix time; 0 = no expiry. */
  expiresAt: number;
  /** 0 = unlimited. */
  maxUses: number;
}

/** What requestTicket returns. Keep `recipientPrivateKey` in memory only: it opens the shares. */
export interface AccessTicket extends TxResult {
  ticketId: Hex;
  modelId: bigint;
  version: number;
  expiresAt: bigint;
  recipientPrivateKey: Uint8Array;
  /** The compressed public key the chain recorded (hex). */
  recipientPublicKey: Hex;
}

export interface CollectKeyParams {
  modelId: bigint;
  ticket: Pick<AccessTicket, "ticketId" | "version" | "recipientPrivateKey">;
  timeoutMs?: number;
  hedgeMs?: number;
  signal?: AbortSignal;
}

export interface CollectedKey {
  /** The 32-byte content key; checked against the manifest's key commitment. Zero it when done. */
  key: Uint8Array;
  manifestCid: string;
  manifest: Manifest;
}

export interface FetchModelOptions {
  /** The manifest must be signed by this address (e.g. the owner the registry names). */
  expectedOwner?: Address;
  /** The node's idle timeout for this read (its `timeoutMs`). */
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (progress: { plaintextBytes: number; totalBytes: number }) => void;
  /** A directory model: the path of the one file to read (e.g. "config.json"); required for one. */
  file?: string;
}

export interface AccessOptions extends Omit<FetchModelOptions, "expectedOwner"> {
  /** Buy a licence at the current price unless the account already has access. */
  buy?: boolean;
  custodianTimeoutMs?: number;
}

export interface AccessResult {
  data: Uint8Array;
  manifestCid: string;
  manifest: Manifest;
  version: number;
  ticketId: Hex;
  /** Set when accessModel bought a licence. */
  purchase?: LicencePurchase;
}

export interface VerifyProofParams {
  kind: ProofKind;
  proof: Groth16Proof;
  /** ownership: [weightsCommitment, ownerCommitment, claimant, modelId, nonce]; inference: [weightsCommitment, inputHash, y...]. */
  publicSignals: readonly (bigint | string | number)[];
  /** Also check the signals against this registered model's commitments (as ProofAttestations does). */
  modelId?: bigint;
  /** The model version to check against (default: the current one). */
  version?: number;
  /** ownership: the address the proof must be bound to. */
  claimant?: Address;
  /** Verify off chain with snarkjs against this key; without it, the deployed verifier contract answers. */
  verificationKey?: Groth16VerificationKey;
  /** On chain: this verifier instead of the deployment's (ownership) or the model's (inference). */
  verifier?: Address;
}

export interface ProofVerification {
  valid: boolean;
  method: "snarkjs" | "verifier-contract";
  verifier?: Address;
  /** Why it is not valid. */
  reason?: string;
}

const MODEL_STATUS: readonly ModelStatus[] = ["active", "paused", "retired"];
const ENDPOINT_TTL_MS = 60_000;

function checkModelId(modelId: bigint): bigint {
  if (typeof modelId !== "bigint" || modelId < 0n || modelId >= 2n ** 256n) throw new SdkError("INVALID_ARGUMENT", "modelId must be a uint256 bigint");
  return modelId;
}

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
  const endpoints = new Map<string, { endpoint: string; until: number }>();

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

  const addressOf = (account: Account | Address): Address => (typeof account === "string" ? account : account.address);

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

  function eventOf<E extends "LicensePurchased" | "KeyRequested">(receipt: TransactionReceipt, eventName: E) {
    const logs = parseEventLogs({ abi: modelVaultAbi, eventName, logs: receipt.logs.filter((log) => isAddressEqual(log.address, vault)) });
    const log = logs[0];
    if (log === undefined) throw new SdkError("CHAIN_ERROR", `transaction ${receipt.transactionHash} emitted no ${eventName} event`);
    return log;
  }

  const client = {
    deployment,
    nodeUrl,

    // listModels, modelInfo, modelHistory, licencesOf: the node's registry views (contracts/views.ts).
    ...registryViews({
      publicClient, deployment, maxBlockRange: config.maxBlockRange, checkChain,
      account: async () => addressOf(await sender()),
      nameOf: async (cid, owner): Promise<string | null> => (await client.getManifest(cid, { expectedOwner: owner })).manifest.name ?? null,
    }),

    /** Owner, current version, status and licence terms; UNKNOWN_MODEL when not registered. */
    async getModel(modelId: bigint): Promise<ModelInfo> {
      checkModelId(modelId);
      const [[owner, version, status], terms] = await Promise.all([
        read("modelState", () => publicClient.readContract({ address: vault, abi: modelVaultAbi, functionName: "modelState", args: [modelId] })),
        read("terms", () => publicClient.readContract({ address: vault, abi: modelVaultAbi, functionName: "terms", args: [modelId] })),
      ]);
      if (/^0x0{40}$/.test(owner)) throw new SdkError("UNKNOWN_MODEL", `model ${modelId} is not registered`);
      return {
        modelId, owner, version, status: MODEL_STATUS[status] ?? "retired",
        terms: { price: terms.price, duration: terms.duration, maxUses: terms.maxUses, minStake: terms.minStake, carryOver: terms.carryOver },
      };
    },

    /** A registered version: manifest CID, custodian set, threshold, commitments. */
    async getVersion(modelId: bigint, version: number): Promise<ModelVersionInfo> {
      checkModelId(modelId);
      if (!Number.isInteger(version) || version < 1 || version > 65535) throw new SdkError("INVALID_ARGUMENT", "version must be 1..65535");
      const v = await read("getVersion", () => publicClient.readContract({ address: vault, abi: modelVaultAbi, functionName: "getVersion", args: [modelId, version] }));
      if (v.manifestCid === "") throw new SdkError("UNKNOWN_MODEL", `model ${modelId} has no version ${version}`);
      return {
        manifestCid: v.manifestCid, custodians: v.custodians, threshold: v.threshold, weightsCommitment: v.weightsCommitment,
        ownerCommitment: v.ownerCommitment, storageRoot: v.storageRoot, segmentCount: v.segmentCount, publishedAt: v.publishedAt,
      };
    },

    /** Whether `account` (default: the wallet's) holds a usable licence. */
    async hasAccess(modelId: bigint, account?: Address): Promise<boolean> {
      checkModelId(modelId);
      const who = account ?? addressOf(await sender());
      return read("hasAccess", () => publicClient.readContract({ address: vault, abi: modelVaultAbi, functionName: "hasAccess", args: [modelId, who] }));
    },

    /** Buys a licence, paying exactly the current price from the model's terms. */
    async buyLicence(modelId: bigint): Promise<LicencePurchase> {
      checkModelId(modelId);
      const receipt = await transact("buy", async (account) => {
        const terms = await publicClient.readContract({ address: vault, abi: modelVaultAbi, functionName: "terms", args: [modelId] });
        return publicClient.simulateContract({ address: vault, abi: modelVaultAbi, functionName: "buy", args: [modelId], value: terms.price, account });
      });
      const { args } = eventOf(receipt, "LicensePurchased");
      return { price: args.price, version: args.version, expiresAt: args.expiresAt, maxUses: args.maxUses, txHash: receipt.transactionHash, blockNumber: receipt.blockNumber };
    },

    /**
     * requestKey with a fresh secp256k1 recipient key generated here (never sent anywhere but
     * its public half, to the chain). Consumes one licence use.
     */
    async requestTicket(modelId: bigint): Promise<AccessTicket> {
      checkModelId(modelId);
      subtle(); // a ticket is spent for good: without WebCrypto its shares could never be unwrapped here
      const recipient = generateRecipientKey();
      const recipientPublicKey = bytesToHex(recipient.publicKey);
      let receipt: TransactionReceipt;
      try {
        receipt = await transact("requestKey", (account) =>
          publicClient.simulateContract({ address: vault, abi: modelVaultAbi, functionName: "requestKey", args: [modelId, recipientPublicKey], account }),
        );
      } catch (error) {
        recipient.privateKey.fill(0);
        throw error;
      }
      const { args } = eventOf(receipt, "KeyRequested");
      return {
        ticketId: args.ticketId, modelId, version: args.version, expiresAt: args.expiresAt,
        recipientPrivateKey: recipient.privateKey, recipientPublicKey,
        txHash: receipt.transactionHash, blockNumber: receipt.blockNumber,
      };
    },

    /** The manifest block from the node, checked here: hash = CID, schema, owner's signature. */
    async getManifest(manifestCid: string | CID, options: { expectedOwner?: Address; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<SignedManifest> {
      const cid = parseCid(manifestCid);
      const bytes = await requestBytes(fetchFn, nodeUrl, `v1/manifests/${cid}`, {
        query: { format: "dag-json", timeoutMs: options.timeoutMs?.toString() },
        signal: options.signal,
      });
      checkManifestBlock(cid, bytes);
      return decodeSignedManifest(bytes, options.expectedOwner);
    },

    /**
     * Reads the ticket's version (custodians, threshold, manifest) and each custodian's endpoint
     * from the chain, sends one signed ShareRelease, unwraps and combines k shares and checks
     * the key against the manifest's commitment.
     */
    async collectKey(params: CollectKeyParams): Promise<CollectedKey> {
      const { modelId, ticket } = params;
      checkModelId(modelId);
      if (!(ticket?.recipientPrivateKey instanceof Uint8Array)) throw new SdkError("INVALID_ARGUMENT", "ticket.recipientPrivateKey is required");
      const [version, model] = await Promise.all([client.getVersion(modelId, ticket.version), client.getModel(modelId)]);
      const { manifest } = await client.getManifest(version.manifestCid, { expectedOwner: model.owner, signal: params.signal });
      const commitment = hexToBytes(manifest.keyCommitment);
      const key = await collectShares({
        fetch: fetchFn,
        domain,
        ticketId: ticket.ticketId,
        modelId,
        version: ticket.version,
        recipientPrivateKey: ticket.recipientPrivateKey,
        custodians: version.custodians,
        threshold: version.threshold,
        keyCommitment: commitment,
        endpointOf,
        timeoutMs: params.timeoutMs ?? config.custodianTimeoutMs,
        hedgeMs: params.hedgeMs ?? config.hedgeMs,
        signal: params.signal,
      });
      return { key, manifestCid: version.manifestCid, manifest };
    },

    /** Fetches the sealed content through the node, checks and decrypts every segment here. */
    async fetchModel(manifestCid: string | CID, key: Uint8Array, options: FetchModelOptions = {}): Promise<Uint8Array> {
      const signed = await client.getManifest(manifestCid, options);
      return collectPlaintext(await openContent(signed.manifest, key, options));
    },

    /**
     * As fetchModel, as a ReadableStream of plaintext (constant memory). The manifest, the key
     * and the node's answer are checked before it returns; a failure later errors the stream
     * with an SdkError, and nothing of a failed segment is ever enqueued.
     */
    async fetchModelStream(manifestCid: string | CID, key: Uint8Array, options: FetchModelOptions = {}): Promise<{ manifest: Manifest; stream: ReadableStream<Uint8Array> }> {
      const signed = await client.getManifest(manifestCid, options);
      const { plaintext } = await openContent(signed.manifest, key, options);
      return { manifest: signed.manifest, stream: toReadableStream(plaintext) };
    },

    /** Licence (bought when asked and needed) -> ticket -> key from the custodians -> fetch and decrypt. */
    async accessModel(modelId: bigint, options: AccessOptions = {}): Promise<AccessResult> {
      checkModelId(modelId);
      subtle(); // NO_WEBCRYPTO before anything is bought or spent, not after
      let purchase: LicencePurchase | undefined;
      if (options.buy === true && !(await client.hasAccess(modelId))) purchase = await client.buyLicence(modelId);
      const ticket = await client.requestTicket(modelId);
      try {
        const collected = await client.collectKey({ modelId, ticket, timeoutMs: options.custodianTimeoutMs, signal: options.signal });
        try {
          const data = await collectPlaintext(await openContent(collected.manifest, collected.key, options));
          return { data, manifestCid: collected.manifestCid, manifest: collected.manifest, version: ticket.version, ticketId: ticket.ticketId, ...(purchase ? { purchase } : {}) };
        } finally {
          collected.key.fill(0);
        }
      } finally {
        ticket.recipientPrivateKey.fill(0);
      }
    },

    /**
     * Checks an ownership or inference proof: the signals against the registered commitments
     * (with `modelId`, as ProofAttestations does), then the proof itself, off chain with snarkjs
     * when a verification key is given, else by the deployed verifier contract.
     */
    async verifyProof(params: VerifyProofParams): Promise<ProofVerification> {
      const method: ProofVerification["method"] = params.verificationKey === undefined ? "verifier-contract" : "snarkjs";
      const invalid = (reason: string, verifier?: Address): ProofVerification => ({ valid: false, method, reason, ...(verifier ? { verifier } : {}) });
      if (params.kind !== "ownership" && params.kind !== "inference") throw new SdkError("INVALID_ARGUMENT", "kind must be \"ownership\" or \"inference\"");
      let signals: bigint[];
      let calldata: ReturnType<typeof groth16Calldata>;
      try {
        signals = fieldSignals(params.publicSignals);
        calldata = groth16Calldata(params.proof, signals);
      } catch (error) {
        if (error instanceof SdkError && error.code === "INVALID_PROOF") return invalid(error.message);
        throw error;
      }
      if (params.kind === "ownership" && signals.length !== 5) return invalid(`an ownership proof has 5 public signals, not ${signals.length}`);
      if (params.kind === "inference" && (signals.length < 3 || signals.length > 64)) return invalid(`an inference proof has 3..64 public signals, not ${signals.length}`);
      if (params.claimant !== undefined && params.kind === "ownership" && signals[2] !== BigInt(params.claimant)) {
        return invalid(`the proof is bound to claimant ${signals[2]}, not ${params.claimant}`);
      }
      if (params.modelId !== undefined) {
        const modelId = checkModelId(params.modelId);
        const version = params.version ?? (await client.getModel(modelId)).version;
        const [weights, owner] = await read("commitments", () =>
          publicClient.readContract({ address: vault, abi: modelVaultAbi, functionName: "commitments", args: [modelId, version] }),
        );
        if (signals[0] !== weights) return invalid(`weights commitment ${signals[0]} is not model ${modelId} v${version}'s ${weights}`);
        if (params.kind === "ownership") {
          if (signals[1] !== owner) return invalid(`owner commitment ${signals[1]} is not model ${modelId} v${version}'s ${owner}`);
          if (signals[3] !== modelId) return invalid(`the proof is for model ${signals[3]}, not ${modelId}`);
        }
      }
      if (params.verificationKey !== undefined) {
        const valid = await verifyGroth16(params.verificationKey, params.proof, signals);
        return valid ? { valid, method } : invalid("the proof does not verify against the verification key");
      }
      const verifier = params.verifier ?? (await verifierFor(params.kind, params.modelId));
      const [pA, pB, pC] = calldata;
      const valid = await read("verifyProof", () =>
        publicClient.readContract({ address: verifier, abi: verifierAbi(signals.length), functionName: "verifyProof", args: [pA, pB, pC, signals] }) as Promise<boolean>,
      );
      return valid ? { valid, method, verifier } : invalid("the verifier contract rejected the proof", verifier);
    },
  };

  async function verifierFor(kind: ProofKind, modelId: bigint | undefined): Promise<Address> {
    const attestations = deployment.contracts.ProofAttestations ?? undefined;
    if (kind === "ownership") {
      if (deployment.contracts.OwnershipVerifier) return deployment.contracts.OwnershipVerifier;
      if (attestations !== undefined) {
        return read("ownershipVerifier", () => publicClient.readContract({ address: attestations, abi: proofAttestationsAbi, functionName: "ownershipVerifier" }));
      }
      throw new SdkError("NO_VERIFIER", "the deployment has no OwnershipVerifier: pass `verifier` or a `verificationKey`");
    }
    if (attestations === undefined || modelId === undefined) {
      throw new SdkError("NO_VERIFIER", "an inference proof is checked on chain by the model's verifier: pass `modelId` (with a ProofAttestations deployment), `verifier` or a `verificationKey`");
    }
    const verifier = await read("inferenceVerifier", () =>
      publicClient.readContract({ address: attestations, abi: proofAttestationsAbi, functionName: "inferenceVerifier", args: [modelId] }),
    );
    if (/^0x0{40}$/.test(verifier)) throw new SdkError("NO_VERIFIER", `model ${modelId} has no inference verifier set`);
    return verifier;
  }

  /** A custodian's registered endpoint, cached for a minute. */
  async function endpointOf(custodian: Address): Promise<string> {
    const cached = endpoints.get(custodian.toLowerCase());
    if (cached !== undefined && cached.until > Date.now()) return cached.endpoint;
    const info = await read("custodianInfo", () =>
      publicClient.readContract({ address: registry, abi: custodianRegistryAbi, functionName: "custodianInfo", args: [custodian] }),
    );
    if (!info.registered) throw new SdkError("NODE_ERROR", "not a registered custodian");
    endpoints.set(custodian.toLowerCase(), { endpoint: info.endpoint, until: Date.now() + ENDPOINT_TTL_MS });
    return info.endpoint;
  }

  /**
   * Checks the key against the manifest, then opens the content (a one-file model's, or the file
   * `options.file` of a directory model, under its per-file key) and returns its decrypting iterator.
   */
  async function openContent(manifest: Manifest, key: Uint8Array, options: FetchModelOptions): Promise<OpenedContent> {
    if (!(key instanceof Uint8Array) || key.length !== 32) throw new SdkError("INVALID_ARGUMENT", "key must be 32 bytes");
    if (!constantTimeEqual(keyCommitment(key), hexToBytes(manifest.keyCommitment))) {
      throw new SdkError("WRONG_KEY", "the key does not match the manifest's key commitment");
    }
    let stream = { cid: manifest.content, key, total: manifest.plaintextSize };
    if (isDirectoryManifest(manifest)) {
      if (options.file === undefined) throw new SdkError("NOT_A_FILE", "a directory model: name the file to read with `file`");
      const file = manifest.files.find((f) => f.path === options.file);
      if (file === undefined) throw new SdkError("INVALID_ARGUMENT", `the model has no file ${JSON.stringify(options.file.slice(0, 200))}`);
      stream = { cid: file.cid, key: fileKey(key, file.path), total: file.plaintextSize };
    } else if (options.file !== undefined) {
      throw new SdkError("INVALID_ARGUMENT", "a one-file model has no files: leave `file` out");
    }
    const response = await request(fetchFn, nodeUrl, `v1/content/${stream.cid}`, {
      query: { timeoutMs: options.timeoutMs?.toString() },
      signal: options.signal,
    });
    if (response.body === null) throw new SdkError("CONTENT_MISMATCH", "the node answered without a body");
    const origin = new URL(nodeUrl).origin;
    const plaintext = decryptBody(response.body, origin, manifest, stream.key, stream.total, options);
    return { total: stream.total, plaintext: stream.key === key ? plaintext : forgetKeyAfter(plaintext, stream.key) };
  }

  return client;
}

/** Network chunks, with a broken connection reported as such (not as a crypto failure). */
async function* networkChunks(body: ReadableStream<Uint8Array>, origin: string, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array, void, undefined> {
  const chunks = iterateStream(body);
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array, void>;
      try {
        next = await chunks.next();
      } catch (error) {
        if (signal?.aborted) throw abortedError(signal);
        throw new SdkError("NODE_UNAVAILABLE", `${origin}: the content stream broke off`, {}, { cause: error });
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await chunks.return(undefined).catch(() => {}); // cancels the body when decryption stopped early
  }
}

/** Zeroes a derived key once the stream it opens ends, fails or is abandoned. */
async function* forgetKeyAfter(plaintext: AsyncGenerator<Uint8Array, void, undefined>, key: Uint8Array): AsyncGenerator<Uint8Array, void, undefined> {
  try {
    yield* plaintext;
  } finally {
    key.fill(0);
  }
}

/** A sealed stream being read: its plaintext size and its decrypted pieces. */
interface OpenedContent {
  total: number;
  plaintext: AsyncGenerator<Uint8Array, void, undefined>;
}

async function* decryptBody(
  body: ReadableStream<Uint8Array>,
  origin: string,
  manifest: Manifest,
  key: Uint8Array,
  total: number,
  options: FetchModelOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  let received = 0;
  for await (const plain of openSealed(networkChunks(body, origin, options.signal), { key, modelId: hexToBytes(manifest.modelId), signal: options.signal })) {
    received += plain.length;
    if (received > total) throw new SdkError("CONTENT_MISMATCH", "content is longer than the manifest says");
    options.onProgress?.({ plaintextBytes: received, totalBytes: total });
    yield plain;
  }
  if (received !== total) throw new SdkError("CONTENT_MISMATCH", `content has ${received} bytes, manifest says ${total}`);
}

async function collectPlaintext({ total, plaintext }: OpenedContent): Promise<Uint8Array> {
  const out = new Uint8Array(total);
  let offset = 0;
  for await (const piece of plaintext) {
    out.set(piece, offset); // decryptBody guarantees offset + piece.length <= plaintextSize
    offset += piece.length;
  }
  return out;
}

function toReadableStream(source: AsyncGenerator<Uint8Array, void, undefined>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await source.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        } catch (error) {
          controller.error(error);
        }
      },
      async cancel() {
        await source.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}
