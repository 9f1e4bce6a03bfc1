/**
 * `modelvault`, the Node library: what a Node program needs to run a storage peer, publish and
 * fetch models, hold or collect key shares and talk to the chain. The browser-safe client is
 * `modelvault/sdk`, the primitives `modelvault/crypto`, the ABIs `modelvault/contracts`.
 */
export { StoragePeer, DEFAULT_REDIAL_MS, type StoragePeerOptions, type HeliaPeer } from "./storage/storage-peer.js";
export { listPins, addPin, removePin, parseCid, type PinInfo, type AddPinOptions } from "./storage/pins.js";

export { publish, type PublishOptions, type PublishProgress, type PublishResult } from "./models/publish.js";
export {
  publishDirectory,
  type DirectoryEntry,
  type PublishDirectoryOptions,
  type PublishDirectoryProgress,
  type PublishDirectoryResult,
} from "./models/publish-directory.js";
export {
  readManifest,
  fetchModel,
  fetchModelToFile,
  fetchRange,
  fetchDirectoryFile,
  DEFAULT_FETCH_TIMEOUT_MS,
  type FetchOptions,
  type FetchResult,
  type ManifestReadOptions,
} from "./models/fetch.js";
export { fetchDirectory, directoryModel, type FetchDirectoryOptions, type FetchDirectoryResult } from "./models/fetch-directory.js";
export { listTensors, readTensors, fetchTensorsToFile, type TensorOptions, type ReadTensor, type TensorFileResult } from "./models/tensors.js";
export { decodeSignedManifest, encodeSignedManifest, parseManifest, type SignedManifest } from "./models/manifest.js";

export { publishWithCustody, rotateModel, depositShares, resolveCustodians, type PublishWithCustodyOptions, type RotateOptions, type CustodyPublishResult } from "./custody/owner.js";
export { accessModel, collectKey, type AccessOptions, type AccessResult, type CollectKeyOptions } from "./custody/licensee.js";
export { Custodian, type CustodianOptions } from "./custody/custodian.js";

export * from "./chain/index.js";

export {
  loadConfig,
  apiUrlOf,
  NODE_VERSION,
  DEFAULT_API_HOST,
  DEFAULT_API_PORT,
  DEFAULT_LISTEN,
  DEFAULT_BODY_LIMIT,
  type NodeConfig,
  type NodeConfigFile,
  type ConfigFlags,
  type LoadConfigOptions,
} from "./config.js";
export { startApi, createApi, type ApiOptions, type RunningApi } from "./http/server.js";
export { startNode, type RunningNode, type StartNodeOptions } from "./cli/daemon.js";
export { createIdentity, loadIdentity, IdentityError, type CreatedIdentity } from "./cli/identity.js";
export * from "./errors.js";
