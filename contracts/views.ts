/**
 * Everyone's read views of the registry, from contract reads and past logs only (no account):
 * the models (listModels), one model in full (modelInfo), its provenance trail (modelHistory)
 * and the licences an account holds (licencesOf). One implementation for Node and the browser:
 * pure (viem and the ABIs, nothing of Node), over a viem PublicClient and the deployment's
 * addresses. node/chain/registry-views.ts and sdk/registry.ts adapt it, each with its own errors.
 */
import { BaseError, ContractFunctionRevertedError, isAddress, type Abi, type Address, type Hex, type PublicClient } from "viem";
import { custodianRegistryAbi } from "./abi/CustodianRegistry.js";
import { licenseeStakingAbi } from "./abi/LicenseeStaking.js";
import { modelVaultAbi } from "./abi/ModelVault.js";
import { proofAttestationsAbi } from "./abi/ProofAttestations.js";
import { storageChallengesAbi } from "./abi/StorageChallenges.js";
import { addressTopic, blockTimes, inChainOrder, scanLogs, selectorOf, uintTopic, type DecodedLog, type RpcFailure, type ScanRange, type Topics } from "./log-scan.js";
import type { VersionParams } from "./version-calls.js";

export type ModelStatus = "active" | "paused" | "retired";
/** ModelRegistry's status enum, by value. */
export const MODEL_STATUS: readonly ModelStatus[] = ["active", "paused", "retired"];

/** Licence terms, fixed into each licence when it is issued. */
export interface Terms {
  /** Wei, paid exactly by buy. */
  price: bigint;
  /** Seconds a licence lasts; 0 = no expiry. */
  duration: number;
  /** Tickets per licence; 0 = unlimited. */
  maxUses: number;
  /** Licensee stake required for tickets, wei; 0 = none. */
  minStake: bigint;
  carryOver: boolean;
}

/** Where the views read: a public client, the deployment's contracts and the block scans start at. */
export interface ViewSource {
  publicClient: PublicClient;
  contracts: {
    ModelVault: Address;
    CustodianRegistry: Address;
    LicenseeStaking: Address;
    StorageChallenges: Address;
    ProofAttestations: Address | null;
  };
  /** The deployment's block: where log scans start. */
  fromBlock: bigint;
  /** Largest eth_getLogs block range (default DEFAULT_SCAN_BLOCK_RANGE). */
  maxBlockRange?: number | undefined;
  /** The caller's typed errors. */
  errors: ViewErrors;
}

export interface ViewErrors {
  /** A model id the registry never issued. */
  unknownModel(modelId: bigint): Error;
  /** A bad argument (not an address, a negative id), before anything is asked. */
  invalidArgument(message: string): Error;
  rpc: RpcFailure;
}

export interface ModelSummary {
  modelId: bigint;
  /** From the current version's manifest, when `nameOf` could read it; otherwise null. */
  name: string | null;
  owner: Address;
  /** Proposed next owner of a two-step transfer, or null. */
  pendingOwner: Address | null;
  version: number;
  status: ModelStatus;
  terms: Terms;
  manifestCid: string;
  custodians: readonly Address[];
  threshold: number;
}

export interface ListModelsOptions {
  /** Only the models this account owns now. */
  owner?: Address | undefined;
  /** Best effort: the name in a manifest (null when unknown or unreadable; it must not throw). */
  nameOf?: ((manifestCid: string, owner: Address) => Promise<string | null>) | undefined;
}

const READS_AT_ONCE = 8;

async function inBatches<T, R>(items: readonly T[], map: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += READS_AT_ONCE) out.push(...(await Promise.all(items.slice(i, i + READS_AT_ONCE).map(map))));
  return out;
}

const isZero = (account: string) => /^0x0{40}$/.test(account);

function checkId(src: ViewSource, value: bigint, name: string): bigint {
  if (typeof value !== "bigint" || value < 0n) throw src.errors.invalidArgument(`${name} must be a non-negative bigint`);
  return value;
}

function checkAddress(src: ViewSource, value: Address, name: string): Address {
  if (typeof value !== "string" || !isAddress(value, { strict: false })) throw src.errors.invalidArgument(`${name} is not an address`);
  return value;
}

/** Typed contract reads, each failure as the caller's error. */
function reader(src: ViewSource) {
  const { publicClient: client, contracts: at, errors } = src;
  const call = async <T>(functionName: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw errors.rpc(error, functionName);
    }
  };
  const vault = <T>(functionName: string, args: readonly unknown[]) =>
    call(functionName, () => client.readContract({ address: at.ModelVault, abi: modelVaultAbi as Abi, functionName, args }) as Promise<T>);
  return {
    call,
    modelCount: () => vault<bigint>("modelCount", []),
    async modelState(modelId: bigint) {
      const [owner, version, status] = await vault<readonly [Address, number, number]>("modelState", [modelId]);
      return isZero(owner) ? null : { owner, version, status: MODEL_STATUS[status] ?? "retired" };
    },
    async terms(modelId: bigint): Promise<Terms> {
      const t = await vault<Terms>("terms", [modelId]);
      return { price: t.price, duration: t.duration, maxUses: t.maxUses, minStake: t.minStake, carryOver: t.carryOver };
    },
    pendingOwner: (modelId: bigint) => vault<Address>("pendingOwner", [modelId]),
    async version(modelId: bigint, version: number) {
      try {
        return await client.readContract({ address: at.ModelVault, abi: modelVaultAbi, functionName: "getVersion", args: [modelId, version] });
      } catch (error) {
        const revert = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null;
        if (revert instanceof ContractFunctionRevertedError && revert.data?.errorName === "UnknownModel") return null;
        throw errors.rpc(error, "getVersion");
      }
    },
    async licenseOf(modelId: bigint, account: Address) {
      const l = await vault<{ expiresAt: number; maxUses: number; used: number; version: number; requiredStake: bigint; revoked: boolean }>("licenseOf", [modelId, account]);
      return l.version === 0 ? null : l;
    },
    hasAccess: (modelId: bigint, account: Address) => vault<boolean>("hasAccess", [modelId, account]),
    stakeOf: (account: Address, modelId: bigint) =>
      call("stakeOf", () => client.readContract({ address: at.LicenseeStaking, abi: licenseeStakingAbi, functionName: "stakeOf", args: [account, modelId] })),
    async custodianInfo(account: Address) {
      const c = await call("custodianInfo", () => client.readContract({ address: at.CustodianRegistry, abi: custodianRegistryAbi, functionName: "custodianInfo", args: [account] }));
      return c.registered ? c : null;
    },
    isActive: (account: Address) =>
      call("isActive", () => client.readContract({ address: at.CustodianRegistry, abi: custodianRegistryAbi, functionName: "isActive", args: [account] })),
    latest: () => call("eth_blockNumber", () => client.getBlockNumber({ cacheTime: 0 })),
    head: () => call("eth_getBlockByNumber", () => client.getBlock({ blockTag: "latest" })),
  };
}

type Reader = ReturnType<typeof reader>;

async function summary(read: Reader, modelId: bigint): Promise<Omit<ModelSummary, "name"> | null> {
  const state = await read.modelState(modelId);
  if (state === null) return null;
  const [terms, current, pending] = await Promise.all([read.terms(modelId), read.version(modelId, state.version), read.pendingOwner(modelId)]);
  return {
    modelId,
    owner: state.owner,
    pendingOwner: isZero(pending) ? null : pending,
    version: state.version,
    status: state.status,
    terms,
    manifestCid: current?.manifestCid ?? "",
    custodians: current?.custodians ?? [],
    threshold: current?.threshold ?? 0,
  };
}

/** Every registered model (ids 1..modelCount), oldest first; `owner` keeps those it owns now. */
export async function listModels(src: ViewSource, options: ListModelsOptions = {}): Promise<ModelSummary[]> {
  const owner = options.owner === undefined ? undefined : checkAddress(src, options.owner, "owner").toLowerCase();
  const read = reader(src);
  const count = await read.modelCount();
  const ids = Array.from({ length: Number(count) }, (_, i) => BigInt(i + 1));
  const found = (await inBatches(ids, (id) => summary(read, id))).filter((m) => m !== null);
  const kept = owner === undefined ? found : found.filter((m) => m.owner.toLowerCase() === owner);
  return inBatches(kept, async (m) => ({ ...m, name: options.nameOf === undefined ? null : await options.nameOf(m.manifestCid, m.owner).catch(() => null) }));
}

/** A version as registerModel/publishVersion recorded it (VersionParams), with when and where. */
export interface VersionInfo extends VersionParams {
  version: number;
  /** Unix seconds. */
  publishedAt: number;
  /** Of its VersionPublished log. */
  publishedBlock: bigint | null;
  txHash: Hex | null;
}

export interface ModelChallengeRecord {
  opened: number;
  answered: number;
  /** Revealed and not answered in time: slashed, or still slashable. */
  missed: number;
  slashed: number;
  /** Never revealed by the challenger: nothing asked of the custodian. */
  lapsed: number;
  /** Waiting for the reveal or for the answer. */
  open: number;
}

export interface CustodianView {
  address: Address;
  /** Custodian of the current version. */
  current: boolean;
  registered: boolean;
  active: boolean;
  stake: bigint;
  unbonding: bigint;
  endpoint: string | null;
  /** Of this model's storage challenges. */
  challenges: ModelChallengeRecord;
}

export interface AttestationView {
  kind: "ownership" | "inference" | "inferenceVerifier";
  version: number | null;
  /** The claimant (ownership), the prover (inference); null for a verifier change. */
  account: Address | null;
  blockNumber: bigint;
  txHash: Hex;
  args: Record<string, unknown>;
}

export interface ModelInfo extends Omit<ModelSummary, "name" | "manifestCid" | "custodians" | "threshold"> {
  versions: VersionInfo[];
  custodians: CustodianView[];
  attestations: AttestationView[];
  /** Whether the deployment has a ProofAttestations contract (no attestations otherwise). */
  attestationsDeployed: boolean;
}

/** The model, every version with its commitments, its custodians with stake and challenge record, and its attestations. */
export async function modelInfo(src: ViewSource, modelIdInput: bigint): Promise<ModelInfo> {
  const modelId = checkId(src, modelIdInput, "modelId");
  const read = reader(src);
  const head = await summary(read, modelId);
  if (head === null) throw src.errors.unknownModel(modelId);
  const numbers = Array.from({ length: head.version }, (_, i) => i + 1);
  const [records, history] = await Promise.all([inBatches(numbers, (v) => read.version(modelId, v)), modelLogs(src, read, modelId)]);
  const published = new Map(history.filter((l) => l.eventName === "VersionPublished").map((l) => [Number(l.args.version), l]));
  const versions: VersionInfo[] = numbers.map((version, i) => {
    const r = records[i]!;
    const log = published.get(version);
    return {
      version, manifestCid: r.manifestCid, weightsCommitment: r.weightsCommitment, ownerCommitment: r.ownerCommitment,
      storageRoot: r.storageRoot, segmentCount: r.segmentCount, custodians: r.custodians, threshold: r.threshold,
      publishedAt: Number(r.publishedAt), publishedBlock: log?.blockNumber ?? null, txHash: log?.transactionHash ?? null,
    };
  });
  const records_ = challengeRecords(history, await read.latest());
  const currentSet = new Set(head.custodians.map((c) => c.toLowerCase()));
  const everyCustodian = [...new Map(versions.flatMap((v) => v.custodians).map((c) => [c.toLowerCase(), c])).values()];
  const custodians = await inBatches(everyCustodian, async (account): Promise<CustodianView> => {
    const [info, active] = await Promise.all([read.custodianInfo(account), read.isActive(account)]);
    return {
      address: account, current: currentSet.has(account.toLowerCase()), registered: info !== null, active,
      stake: info?.stake ?? 0n, unbonding: info?.unbonding ?? 0n, endpoint: info?.endpoint ?? null,
      challenges: records_.get(account.toLowerCase()) ?? emptyRecord(),
    };
  });
  const kinds = { OwnershipAttested: "ownership", InferenceAttested: "inference", InferenceVerifierSet: "inferenceVerifier" } as const;
  const attestations = history
    .filter((l) => l.contract === "attestations")
    .map((l): AttestationView => ({
      kind: kinds[l.eventName as keyof typeof kinds],
      version: l.args.version === undefined ? null : Number(l.args.version),
      account: (l.args.claimant ?? l.args.prover ?? null) as Address | null,
      blockNumber: l.blockNumber, txHash: l.transactionHash, args: l.args,
    }));
  const { manifestCid: _m, custodians: _c, threshold: _t, ...rest } = head;
  return { ...rest, versions, custodians, attestations, attestationsDeployed: src.contracts.ProofAttestations !== null };
}

const emptyRecord = (): ModelChallengeRecord => ({ opened: 0, answered: 0, missed: 0, slashed: 0, lapsed: 0, open: 0 });

/** Per custodian (lower-case address), what became of this model's challenges. */
function challengeRecords(history: HistoryLog[], latest: bigint): Map<string, ModelChallengeRecord> {
  const byId = new Map<bigint, { custodian: string; state: string; deadline: bigint }>();
  for (const log of history) {
    if (log.contract !== "challenges") continue;
    const id = log.args.challengeId as bigint;
    if (log.eventName === "ChallengeOpened") {
      byId.set(id, { custodian: String(log.args.custodian).toLowerCase(), state: "committed", deadline: log.args.deadlineBlock as bigint });
      continue;
    }
    const c = byId.get(id);
    if (c === undefined) continue;
    if (log.eventName === "ChallengeRevealed") Object.assign(c, { state: "revealed", deadline: log.args.deadlineBlock as bigint });
    else c.state = { ChallengeAnswered: "answered", ChallengeSlashed: "slashed", ChallengeLapsed: "lapsed" }[log.eventName] ?? c.state;
  }
  const records = new Map<string, ModelChallengeRecord>();
  for (const c of byId.values()) {
    const r = records.get(c.custodian) ?? emptyRecord();
    records.set(c.custodian, r);
    r.opened++;
    if (c.state === "answered") r.answered++;
    else if (c.state === "slashed") {
      r.slashed++;
      r.missed++;
    } else if (c.state === "lapsed") r.lapsed++;
    else {
      r.open++;
      if (c.state === "revealed" && latest > c.deadline) r.missed++;
    }
  }
  return records;
}

export type HistoryContract = "vault" | "staking" | "challenges" | "attestations";

export interface HistoryLog extends DecodedLog {
  contract: HistoryContract;
}

export interface HistoryEvent extends HistoryLog {
  /** Unix seconds of its block. */
  time: number;
}

/** Every log of the model, in chain order: the vault's, the licensees' stakes, its challenges and their outcome, attestations. */
async function modelLogs(src: ViewSource, read: Reader, modelId: bigint): Promise<HistoryLog[]> {
  const range: ScanRange = { fromBlock: src.fromBlock, toBlock: await read.latest(), maxBlockRange: src.maxBlockRange };
  const id = uintTopic(modelId);
  const at = src.contracts;
  const scan = async (contract: HistoryContract, abi: Abi, address: Address, topics: Topics[]) =>
    (await Promise.all(topics.map((t) => scanLogs(src.publicClient, abi, address, t, range, src.errors.rpc)))).flat().map((l): HistoryLog => ({ ...l, contract }));
  const isOfModel = (l: HistoryLog) => l.args.modelId === modelId;
  const [vault, staking, opened, attestations] = await Promise.all([
    // modelId is topic 1 of every vault event but KeyRequested (topic 2, after the ticket id).
    scan("vault", modelVaultAbi, at.ModelVault, [[null, id], [selectorOf(modelVaultAbi, "KeyRequested"), null, id]]),
    scan("staking", licenseeStakingAbi, at.LicenseeStaking, [[null, null, id]]),
    scan("challenges", storageChallengesAbi, at.StorageChallenges, [[selectorOf(storageChallengesAbi, "ChallengeOpened"), null, id]]),
    at.ProofAttestations === null
      ? []
      : scan("attestations", proofAttestationsAbi, at.ProofAttestations, [[null, id], [selectorOf(proofAttestationsAbi, "InferenceAttested"), null, id]]),
  ]);
  // What became of the model's challenges: logs indexed by challenge id only.
  const challengeIds = [...new Set(opened.filter(isOfModel).map((l) => l.args.challengeId as bigint))];
  const outcomes: HistoryLog[] = [];
  const followUps = ["ChallengeRevealed", "ChallengeAnswered", "ChallengeSlashed", "ChallengeLapsed"].map((e) => selectorOf(storageChallengesAbi, e));
  for (let i = 0; i < challengeIds.length; i += 64) {
    const ids = challengeIds.slice(i, i + 64).map(uintTopic);
    outcomes.push(...(await scan("challenges", storageChallengesAbi, at.StorageChallenges, [[followUps, ids]])));
  }
  const known = new Set(challengeIds);
  return inChainOrder([
    ...[...vault, ...staking, ...opened, ...attestations].filter(isOfModel),
    ...outcomes.filter((l) => known.has(l.args.challengeId as bigint)),
  ]);
}

/** Every on-chain event of the model in chain order, with the time of its block: its provenance trail. */
export async function modelHistory(src: ViewSource, modelIdInput: bigint): Promise<HistoryEvent[]> {
  const modelId = checkId(src, modelIdInput, "modelId");
  const read = reader(src);
  if ((await read.modelState(modelId)) === null) throw src.errors.unknownModel(modelId);
  const logs = await modelLogs(src, read, modelId);
  const times = await blockTimes(src.publicClient, logs.map((l) => l.blockNumber), src.errors.rpc);
  return logs.map((l) => ({ ...l, time: times.get(l.blockNumber) ?? 0 }));
}

export interface LicenceView {
  modelId: bigint;
  /** The version it was issued for. */
  version: number;
  currentVersion: number;
  status: ModelStatus;
  /** Unix seconds; 0 = no expiry. */
  expiresAt: number;
  maxUses: number;
  used: number;
  /** null = unlimited. */
  usesLeft: number | null;
  revoked: boolean;
  /** Whether the licence grants access now (the contract's hasAccess: revocation, expiry, uses, version). */
  usable: boolean;
  /** Why not, in the contract's order; "superseded": issued for an earlier version, without carry-over. */
  state: "usable" | "revoked" | "expired" | "exhausted" | "superseded";
  /** Stake the licence asks for tickets, and what the account has staked on the model. */
  requiredStake: bigint;
  staked: bigint;
}

/** Every licence `account` holds or held (bought or granted), by model id, with its state now. */
export async function licencesOf(src: ViewSource, account: Address): Promise<LicenceView[]> {
  const holder = checkAddress(src, account, "account");
  const read = reader(src);
  const head = await read.head();
  const range: ScanRange = { fromBlock: src.fromBlock, toBlock: head.number, maxBlockRange: src.maxBlockRange };
  const issued = [selectorOf(modelVaultAbi, "LicensePurchased"), selectorOf(modelVaultAbi, "LicenseGranted")];
  const logs = await scanLogs(src.publicClient, modelVaultAbi, src.contracts.ModelVault, [issued, null, addressTopic(holder)], range, src.errors.rpc);
  const ids = [...new Set(logs.filter((l) => String(l.args.licensee).toLowerCase() === holder.toLowerCase()).map((l) => l.args.modelId as bigint))];
  ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const views = await inBatches(ids, async (modelId): Promise<LicenceView | null> => {
    const [licence, state, usable, staked] = await Promise.all([
      read.licenseOf(modelId, holder), read.modelState(modelId), read.hasAccess(modelId, holder), read.stakeOf(holder, modelId),
    ]);
    if (licence === null || state === null) return null;
    const usesLeft = licence.maxUses === 0 ? null : Math.max(0, licence.maxUses - licence.used);
    const why = usable ? "usable" : licence.revoked ? "revoked" : licence.expiresAt !== 0 && BigInt(licence.expiresAt) <= head.timestamp ? "expired" : usesLeft === 0 ? "exhausted" : "superseded";
    return {
      modelId, version: licence.version, currentVersion: state.version, status: state.status,
      expiresAt: licence.expiresAt, maxUses: licence.maxUses, used: licence.used,
      usesLeft, revoked: licence.revoked, usable, state: why, requiredStake: licence.requiredStake, staked,
    };
  });
  return views.filter((v) => v !== null);
}
