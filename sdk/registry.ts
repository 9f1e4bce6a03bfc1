/**
 * The registry views for a dApp: the models with their terms, a model in full, its provenance
 * trail, and an account's licences. The same code as the node's CLI and library
 * (contracts/views.ts, pure), here over the dApp's public client with SdkError codes:
 * UNKNOWN_MODEL, INVALID_ARGUMENT, NO_ACCOUNT (licencesOf without an account and no wallet),
 * CHAIN_MISMATCH, CHAIN_ERROR / CHAIN_REVERT.
 */
import type { Address, PublicClient } from "viem";
import * as views from "../contracts/views.js";
import type { ViewSource } from "../contracts/views.js";
import { chainError, SdkError } from "./errors.js";

export type {
  AttestationView,
  CustodianView,
  HistoryContract,
  HistoryEvent,
  LicenceView,
  ModelChallengeRecord,
  ModelSummary,
  Terms as LicenceTerms,
  VersionInfo,
} from "../contracts/views.js";
/** What modelInfo returns (getModel's ModelInfo is the short form: state and terms only). */
export type ModelDetails = views.ModelInfo;

export interface ListModelsParams {
  /** Only the models this account owns now. */
  owner?: Address;
  /** Read each current manifest's name from the node (best effort: null when it cannot be read). */
  names?: boolean;
}

/** What the views need of the client. */
export interface RegistryContext {
  publicClient: PublicClient;
  deployment: {
    blockNumber?: string | number | bigint;
    contracts: {
      ModelVault: Address;
      CustodianRegistry: Address;
      LicenseeStaking?: Address;
      StorageChallenges?: Address;
      ProofAttestations?: Address | null;
    };
  };
  maxBlockRange?: number;
  /** Refuses a public client on another chain than the deployment's. */
  checkChain(): Promise<void>;
  /** The wallet's account (NO_ACCOUNT without one). */
  account(): Promise<Address>;
  /** A manifest's name, checked against its owner; may throw. */
  nameOf(manifestCid: string, owner: Address): Promise<string | null>;
}

const NONE = "0x0000000000000000000000000000000000000000";

export function registryViews(context: RegistryContext) {
  const { deployment } = context;

  function fromBlock(): bigint {
    const block = deployment.blockNumber;
    if (block === undefined) return 0n;
    try {
      const value = BigInt(block);
      if (value >= 0n) return value;
    } catch {
      // reported below
    }
    throw new SdkError("INVALID_ARGUMENT", "deployment.blockNumber is not a block number");
  }

  /** listModels reads the vault only; the others scan the staking and challenge contracts too. */
  async function source(scans: boolean): Promise<ViewSource> {
    const { LicenseeStaking, StorageChallenges, ProofAttestations } = deployment.contracts;
    if (scans && (LicenseeStaking === undefined || StorageChallenges === undefined)) {
      throw new SdkError("INVALID_ARGUMENT", "this view needs deployment.contracts.LicenseeStaking and StorageChallenges (deployments/<chainId>.json has them)");
    }
    const src: ViewSource = {
      publicClient: context.publicClient,
      contracts: {
        ModelVault: deployment.contracts.ModelVault, CustodianRegistry: deployment.contracts.CustodianRegistry,
        LicenseeStaking: LicenseeStaking ?? NONE, StorageChallenges: StorageChallenges ?? NONE, ProofAttestations: ProofAttestations ?? null,
      },
      fromBlock: fromBlock(),
      maxBlockRange: context.maxBlockRange,
      errors: {
        unknownModel: (modelId) => new SdkError("UNKNOWN_MODEL", `model ${modelId} is not registered`),
        invalidArgument: (message) => new SdkError("INVALID_ARGUMENT", message),
        rpc: chainError,
      },
    };
    await context.checkChain();
    return src;
  }

  return {
    /** Every registered model, oldest first: owner, version, status, terms, current manifest and custodians. */
    async listModels(params: ListModelsParams = {}): Promise<views.ModelSummary[]> {
      const nameOf = params.names === true ? (cid: string, owner: Address) => (cid === "" ? Promise.resolve(null) : context.nameOf(cid, owner)) : undefined;
      return views.listModels(await source(false), { owner: params.owner, nameOf });
    },

    /** Every version with its commitments, the custodians with stake and challenge record, the attestations. */
    async modelInfo(modelId: bigint): Promise<ModelDetails> {
      return views.modelInfo(await source(true), modelId);
    },

    /** Every on-chain event of the model in chain order with its block's time: the provenance trail. */
    async modelHistory(modelId: bigint): Promise<views.HistoryEvent[]> {
      return views.modelHistory(await source(true), modelId);
    },

    /** Every licence the account (default: the wallet's) holds or held, with its state now. */
    async licencesOf(account?: Address): Promise<views.LicenceView[]> {
      const src = await source(true);
      return views.licencesOf(src, account ?? (await context.account()));
    },
  };
}
