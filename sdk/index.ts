/**
 * modelvault SDK for dApps: a typed module over viem that runs in browsers (no node: imports
 * anywhere in its graph: WebCrypto, @noble/*, viem, shamir-secret-sharing, multiformats,
 * @ipld/dag-json, zod; snarkjs's browser build, loaded lazily, for off-chain proof checks).
 * docs/SDK.md has an example and the API.
 */
export {
  createModelvaultClient,
  type AccessOptions,
  type AccessResult,
  type AccessTicket,
  type CollectedKey,
  type CollectKeyParams,
  type FetchModelOptions,
  type LicencePurchase,
  type ModelInfo,
  type ModelStatus,
  type ModelvaultClient,
  type ModelvaultClientConfig,
  type ModelvaultDeployment,
  type ModelVersionInfo,
  type ProofVerification,
  type TxResult,
  type VerifyProofParams,
} from "./client.js";
export type { Earnings, LicenceState, OwnerTx, PendingRevenue } from "./owner-actions.js";
export type { DepositedSession, PublishSession, PublishSessionOptions, WalletPublication } from "./owner-publish.js";
export type { VersionCall, VersionParams } from "../contracts/version-calls.js";
export { isSdkError, SdkError, type SdkErrorCode, type SdkErrorDetails } from "./errors.js";
// The registry views on the client (listModels, modelInfo, modelHistory, licencesOf): the node's own code.
export type {
  AttestationView,
  CustodianView,
  HistoryContract,
  HistoryEvent,
  LicenceTerms,
  LicenceView,
  ListModelsParams,
  ModelChallengeRecord,
  ModelDetails,
  ModelSummary,
  VersionInfo,
} from "./registry.js";

// The building blocks, for dApps that run the steps themselves.
export {
  openSealed,
  openSealedHeader,
  openSealedSegment,
  parseSealedHeader,
  segmentNonce,
  HEADER_LENGTH,
  TAG_LENGTH,
  type ByteSource,
  type OpenedSealedHeader,
  type OpenSealedOptions,
  type SealedHeader,
  SealedRangeReader,
  type ReadSealedBytes,
  type SealedRangeOptions,
  type SealedRangeReaderOptions,
} from "./sealed.js";
export {
  listTensors,
  readTensor,
  readTensors,
  type LoadedTensor,
  type TensorFileInfo,
  type TensorInfo,
  type TensorListing,
  type TensorReadOptions,
} from "./tensors.js";
export { generateRecipientKey, publicKeyOf, unwrapKey, type RecipientKeyPair } from "./ecies.js";
export { combineShares, decodeShare, SHARE_LENGTH, type KeyShare } from "./shares.js";
export { keyCommitment } from "./derive.js";
export {
  collectShares,
  releaseContext,
  releaseDigest,
  releaseSignedBy,
  signRelease,
  type CollectSharesOptions,
  type CustodyDomain,
  type ShareRelease,
  type ShareReleaseBody,
} from "./custody.js";
export { checkManifestBlock, decodeSignedManifest, manifestSchema, MANIFEST_FORMAT, type Manifest, type SignedManifest } from "./manifest.js";
export {
  FIELD_P,
  fieldSignals,
  groth16Calldata,
  verifierAbi,
  verifyGroth16,
  type Groth16Proof,
  type Groth16VerificationKey,
  type ProofKind,
  type VerifierCalldata,
} from "./proofs.js";
export type { FetchLike } from "./node-api.js";
export { custodianRegistryAbi } from "../contracts/abi/CustodianRegistry.js";
export { modelVaultAbi } from "../contracts/abi/ModelVault.js";
export { proofAttestationsAbi } from "../contracts/abi/ProofAttestations.js";
