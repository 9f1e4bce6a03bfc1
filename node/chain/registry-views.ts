/**
 * Everyone's read views of the registry over a ChainClient (one without an account does): the
 * models (listModels), one model in full (modelInfo), its provenance trail (modelHistory) and the
 * licences an account holds (licencesOf). The views themselves are contracts/views.ts, the same
 * code the browser SDK runs; this adapter gives them the client's deployment and typed errors.
 */
import type { Address } from "viem";
import * as views from "../../contracts/views.js";
import type { ViewSource } from "../../contracts/views.js";
import { NodeError } from "../errors.js";
import { ChainArgumentError } from "./errors.js";
import { DEFAULT_MAX_BLOCK_RANGE, type ChainClient } from "./client.js";
import { chainFailure } from "./log-scan.js";

export type {
  AttestationView,
  CustodianView,
  HistoryContract,
  HistoryEvent,
  HistoryLog,
  LicenceView,
  ListModelsOptions,
  ModelChallengeRecord,
  ModelInfo,
  ModelSummary,
  VersionInfo,
} from "../../contracts/views.js";

/** A model id the registry never issued. */
export class UnknownModelError extends NodeError {
  readonly modelId: bigint;
  constructor(modelId: bigint) {
    super("UNKNOWN_MODEL", `model ${modelId} is not registered`);
    this.modelId = modelId;
  }
}

export interface ScanOptions {
  /** Largest eth_getLogs block range (default DEFAULT_MAX_BLOCK_RANGE). */
  maxBlockRange?: number | undefined;
}

function sourceOf(chain: ChainClient, options: ScanOptions = {}): ViewSource {
  const { contracts } = chain.deployment;
  return {
    publicClient: chain.publicClient as unknown as ViewSource["publicClient"],
    contracts: {
      ModelVault: contracts.ModelVault, CustodianRegistry: contracts.CustodianRegistry, LicenseeStaking: contracts.LicenseeStaking,
      StorageChallenges: contracts.StorageChallenges, ProofAttestations: contracts.ProofAttestations,
    },
    fromBlock: chain.deploymentBlock,
    maxBlockRange: options.maxBlockRange ?? DEFAULT_MAX_BLOCK_RANGE,
    errors: {
      unknownModel: (modelId) => new UnknownModelError(modelId),
      invalidArgument: (message) => new ChainArgumentError(message),
      rpc: chainFailure(chain),
    },
  };
}

/** Every registered model (ids 1..modelCount), oldest first; `owner` keeps those it owns now. */
export function listModels(chain: ChainClient, options: views.ListModelsOptions = {}): Promise<views.ModelSummary[]> {
  return views.listModels(sourceOf(chain), options);
}

/** The model, every version with its commitments, its custodians with stake and challenge record, and its attestations. */
export function modelInfo(chain: ChainClient, modelId: bigint, options: ScanOptions = {}): Promise<views.ModelInfo> {
  return views.modelInfo(sourceOf(chain, options), modelId);
}

/** Every on-chain event of the model in chain order, with the time of its block: its provenance trail. */
export function modelHistory(chain: ChainClient, modelId: bigint, options: ScanOptions = {}): Promise<views.HistoryEvent[]> {
  return views.modelHistory(sourceOf(chain, options), modelId);
}

/** Every licence `account` holds or held (bought or granted), by model id, with its state now. */
export function licencesOf(chain: ChainClient, account: Address, options: ScanOptions = {}): Promise<views.LicenceView[]> {
  return views.licencesOf(sourceOf(chain, options), account);
}
