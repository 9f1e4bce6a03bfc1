/**
 * The client's public types: its configuration, the deployment it reads, and what its calls
 * take and return. sdk/index.ts exports them through client.ts.
 */
import type { Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";
import type { Manifest } from "./manifest.js";
import type { FetchLike } from "./node-api.js";
import type { Groth16Proof, Groth16VerificationKey, ProofKind } from "./proofs.js";
import type { RevealMode } from "../zkp/reveal-mode.js";

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
  /**
   * ownership: [weightsCommitment, ownerCommitment, claimant, modelId, nonce]; inference:
   * [weightsCommitment, inputCommitment, then y... (public) | outputCommitment (committed) | class (argmax)].
   */
  publicSignals: readonly (bigint | string | number)[];
  /** inference: the proof's variant (a proof file's `reveal`; default public): picks the model's verifier of that variant. */
  reveal?: RevealMode;
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
