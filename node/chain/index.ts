/** The node's chain client: deployment records, typed errors, reads, writes and event following. */
export {
  connectChain,
  createChainClient,
  DEFAULT_CONFIRMATIONS,
  DEFAULT_MAX_BLOCK_RANGE,
  DEFAULT_POLLING_INTERVAL_MS,
  DEFAULT_RECEIPT_TIMEOUT_MS,
  type ChainClient,
  type ChainClientOptions,
  type ChainContracts,
  type ChainSettings,
  type FollowableContract,
  type FollowedEventName,
  type FollowedLog,
  type FollowEventsOptions,
} from "./client.js";
export type {
  ChallengeInfo,
  ChallengeState,
  CustodianInfo,
  KeyRequest,
  License,
  ModelState,
  ModelStatus,
  ModelVersion,
  OpenedChallenge,
  RevealedChallenge,
  Terms,
  TicketView,
  TxResult,
  VersionParams,
} from "./types.js";
export { defaultDeploymentPath, loadDeployment, parseDeployment, type Deployment } from "./deployment.js";
export {
  ChainArgumentError,
  ChainConfigError,
  ChainIdMismatchError,
  ChainRevertError,
  ChainRpcError,
  ChainUnavailableError,
  redactRpcUrl,
  toChainError,
  type ChainErrorName,
} from "./errors.js";
export { followLogs, MAX_BACKOFF_MS, type EventFollower, type FollowLogsOptions, type LogPosition, type LogSource } from "./follow.js";
export {
  licencesOf,
  listModels,
  modelHistory,
  modelInfo,
  UnknownModelError,
  type AttestationView,
  type ModelChallengeRecord,
  type CustodianView,
  type HistoryEvent,
  type LicenceView,
  type ModelInfo,
  type ModelSummary,
  type VersionInfo,
} from "./registry-views.js";
export {
  acceptOwnership,
  ActionRefusedError,
  changeStatus,
  earningsOf,
  grantLicence,
  proposeOwner,
  revokeLicence,
  setTerms,
  withdrawEarnings,
  type Earnings,
  type PendingRevenue,
  type RefusalCode,
  type SentTx,
  type Withdrawal,
} from "./owner-actions.js";
export { requestUnstake, stakeForModel, stakeInfo, withdrawStake, type StakeInfo } from "./licensee-stake.js";
export { challengeRecord, custodianStake, custodianStatus, CustodianActionError, requestUnbond, withdrawCustodian, type ChallengeRecord, type CustodianActionCode, type CustodianStake, type CustodianStatus, type ServedVersion, type UnbondResult, type WithdrawResult } from "./custodian-actions.js";
export { attestOwnershipFile, parseProofFile, PROOF_FORMAT, ProofError, proveInferenceFile, proveOwnershipFile, verifyProofFile, type ProofFile, type ProofVerdict, type ProveInferenceOptions, type ProveOwnershipOptions, type VerifyProofOptions } from "./proofs.js";
export { architectureId, attestInferenceFile, deployedInferenceVerifiers, inferenceAttestationId, inferenceVerifierOf, resolveVerifier, setInferenceVerifier, signalsOf, VerifierError, verifierSignalsAt, type InferenceAttestation, type InferenceVerifierView, type SetVerifierResult, type VerifierErrorCode, type VerifierTarget } from "./verifiers.js";
