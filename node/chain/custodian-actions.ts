/**
 * A custodian's own stake and record on chain: status (stake, unbonding, challenge record,
 * revenue), unbond and withdraw. CustodianRegistry's rules: `requestUnbond(amount)` moves bonded
 * stake to unbonding and (re)starts the delay (`unbondingDelay` seconds) for everything
 * unbonding; unbonding stake stays slashable; `withdrawUnbonded()` pays it out once the delay is
 * over and no challenge of the custodian is open. Below `minStake` of bonded stake a custodian is
 * inactive: no new version can name it (the sets it is in stay). Built on ChainClient's typed
 * reads and `write`; refusals are typed (CustodianActionError) before anything is sent.
 */
import { isAddressEqual, parseEventLogs, type Address } from "viem";
import { custodianRegistryAbi } from "../../contracts/abi/index.js";
import { NodeError } from "../errors.js";
import { DEFAULT_MAX_BLOCK_RANGE, type ChainClient } from "./client.js";
import { ChainRevertError } from "./errors.js";
import type { ChallengeState, TxResult } from "./types.js";

export type CustodianActionCode = "NOT_A_CUSTODIAN" | "AMOUNT_EXCEEDS_STAKE" | "NOTHING_TO_WITHDRAW" | "STILL_UNBONDING" | "CHALLENGES_OPEN";

/** A custodian action refused by the registry's rules (nothing was sent). */
export class CustodianActionError extends NodeError {
  declare readonly code: CustodianActionCode;
  /** STILL_UNBONDING: unix time the unbonding stake becomes withdrawable. */
  readonly unbondAt: number | undefined;
  constructor(code: CustodianActionCode, message: string, unbondAt?: number) {
    super(code, message);
    this.unbondAt = unbondAt;
  }
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");

/** Every log of one event in [fromBlock, head], in ranges an RPC provider accepts. */
async function scan<T>(chain: ChainClient, query: (fromBlock: bigint, toBlock: bigint) => Promise<T[]>): Promise<T[]> {
  const head = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
  const out: T[] = [];
  const step = BigInt(DEFAULT_MAX_BLOCK_RANGE);
  for (let from = chain.deploymentBlock; from <= head; from += step) {
    const to = from + step - 1n < head ? from + step - 1n : head;
    out.push(...(await query(from, to)));
  }
  return out;
}

export interface ChallengeRecord {
  total: number;
  answered: number;
  /** Slashed, or revealed and past the response deadline without an answer. */
  missed: number;
  /** Never revealed by the challenger: closed without a slash, not the custodian's doing. */
  lapsed: number;
  /** Waiting for the reveal or the response. */
  open: number;
  /** Stake slashed from this custodian, wei. */
  slashed: bigint;
  /** Bonds earned by answering, wei. */
  bondsEarned: bigint;
}

/** The storage challenges `account` was named in, by outcome (ChallengeOpened logs, then each one's state). */
export async function challengeRecord(chain: ChainClient, account: Address): Promise<ChallengeRecord> {
  const [opened, slashes, head] = await Promise.all([
    scan(chain, (fromBlock, toBlock) => chain.contracts.challenges.getEvents.ChallengeOpened({ custodian: account }, { fromBlock, toBlock, strict: true })),
    scan(chain, (fromBlock, toBlock) => chain.contracts.custodians.getEvents.Slashed({ custodian: account }, { fromBlock, toBlock, strict: true })),
    chain.publicClient.getBlockNumber({ cacheTime: 0 }),
  ]);
  const infos = await Promise.all(opened.map((log) => chain.challengeInfo(log.args.challengeId!)));
  const record: ChallengeRecord = { total: infos.length, answered: 0, missed: 0, lapsed: 0, open: 0, slashed: 0n, bondsEarned: 0n };
  for (const info of infos) {
    const state: ChallengeState | undefined = info?.state;
    if (state === "answered") {
      record.answered++;
      record.bondsEarned += info!.bond;
    } else if (state === "slashed" || (state === "revealed" && head > info!.deadlineBlock)) record.missed++;
    else if (state === "lapsed") record.lapsed++;
    else record.open++;
  }
  for (const log of slashes) record.slashed += log.args.amount ?? 0n;
  return record;
}

export interface ServedVersion {
  modelId: bigint;
  version: number;
  /** Sale revenue of this version the custodian can claim now (RevenueSplit.pendingRevenue). */
  pendingRevenue: bigint;
}

/** A custodian's stake: the part of its status an operator's page polls (a few cheap reads). */
export interface CustodianStake {
  account: Address;
  registered: boolean;
  /** Registered with at least minStake bonded. */
  active: boolean;
  stake: bigint;
  unbonding: bigint;
  /** Unix time the unbonding stake is withdrawable; null when nothing is unbonding. */
  unbondAt: number | null;
  /** Something is unbonding, its delay is over and no challenge is open. */
  withdrawable: boolean;
  openChallenges: number;
  endpoint: string | null;
  minStake: bigint;
  /** Seconds from an unbond request to its withdrawal. */
  unbondingDelay: number;
}

export interface CustodianStatus extends CustodianStake {
  challenges: ChallengeRecord;
  /** Model versions whose custodian set names the account. */
  versions: ServedVersion[];
  revenue: {
    /** Sum of the versions' pending sale revenue (claimRevenue, then withdraw from ModelVault). */
    pendingSales: bigint;
    /** Credited, withdrawable balances: ModelVault (claimed sales), StorageChallenges (bonds), CustodianRegistry (slash rewards). */
    balances: { vault: bigint; challenges: bigint; registry: bigint };
  };
}

/** `account`'s stake in CustodianRegistry (read only; no log scan). */
export async function custodianStake(chain: ChainClient, account: Address): Promise<CustodianStake> {
  const [info, active, minStake, delay, now] = await Promise.all([
    chain.custodianInfo(account),
    chain.isActiveCustodian(account),
    chain.contracts.custodians.read.minStake(),
    chain.contracts.custodians.read.unbondingDelay(),
    chain.publicClient.getBlock({ blockTag: "latest" }).then((block) => Number(block.timestamp)),
  ]);
  const unbonding = info?.unbonding ?? 0n;
  const unbondAt = unbonding > 0n ? Number(info!.unbondAt) : null;
  return {
    account,
    registered: info !== null,
    active,
    stake: info?.stake ?? 0n,
    unbonding,
    unbondAt,
    withdrawable: unbondAt !== null && now >= unbondAt && info!.openChallenges === 0,
    openChallenges: info?.openChallenges ?? 0,
    endpoint: info?.endpoint ?? null,
    minStake,
    unbondingDelay: Number(delay),
  };
}

/** Everything the chain says about `account` as a custodian (read only). */
export async function custodianStatus(chain: ChainClient, account: Address): Promise<CustodianStatus> {
  const [stake, record, published, vaultBalance, challengeBalance, registryBalance] = await Promise.all([
    custodianStake(chain, account),
    challengeRecord(chain, account),
    scan(chain, (fromBlock, toBlock) => chain.contracts.vault.getEvents.VersionPublished({}, { fromBlock, toBlock, strict: true })),
    chain.contracts.vault.read.balanceOf([account]),
    chain.contracts.challenges.read.balanceOf([account]),
    chain.contracts.custodians.read.balanceOf([account]),
  ]);
  const served = published
    .map((log) => log.args as { modelId: bigint; version: number; custodians: readonly Address[] })
    .filter((args) => args.custodians.some((c) => isAddressEqual(c, account)));
  const versions: ServedVersion[] = await Promise.all(
    served.map(async ({ modelId, version }) => ({
      modelId,
      version,
      pendingRevenue: await chain.contracts.vault.read.pendingRevenue([modelId, version, account]),
    })),
  );
  return {
    ...stake,
    challenges: record,
    versions,
    revenue: {
      pendingSales: versions.reduce((sum, v) => sum + v.pendingRevenue, 0n),
      balances: { vault: vaultBalance, challenges: challengeBalance, registry: registryBalance },
    },
  };
}

export interface UnbondResult extends TxResult {
  amount: bigint;
  /** Bonded stake left. */
  stake: bigint;
  /** All unbonding stake now (earlier requests included: their delay restarted). */
  unbonding: bigint;
  unbondAt: number;
  /** An earlier unbonding amount's delay was restarted by this request. */
  restarted: boolean;
  /** Still at least minStake bonded. */
  active: boolean;
}

/** Moves `amount` wei of the client account's bonded stake to unbonding. */
export async function requestUnbond(chain: ChainClient, amount: bigint): Promise<UnbondResult> {
  const me = chain.address;
  if (me === undefined) throw new CustodianActionError("NOT_A_CUSTODIAN", "no account to unbond from (the chain client has none)");
  const info = await chain.custodianInfo(me);
  if (info === null) throw new CustodianActionError("NOT_A_CUSTODIAN", `${me} is not a registered custodian`);
  if (amount > info.stake) {
    throw new CustodianActionError("AMOUNT_EXCEEDS_STAKE", `cannot unbond ${amount} wei: ${me} has ${info.stake} wei bonded`);
  }
  const sent = await chain.write("custodians", "requestUnbond", [amount]);
  const [event] = parseEventLogs({ abi: custodianRegistryAbi, eventName: "UnbondRequested", logs: sent.receipt.logs });
  const after = await chain.custodianInfo(me);
  return {
    txHash: sent.txHash,
    blockNumber: sent.blockNumber,
    amount,
    stake: after?.stake ?? 0n,
    unbonding: after?.unbonding ?? 0n,
    unbondAt: Number(event?.args.unbondAt ?? after?.unbondAt ?? 0n),
    restarted: info.unbonding > 0n,
    active: await chain.isActiveCustodian(me),
  };
}

export interface WithdrawResult {
  /** Unbonded stake paid out (0 when none was ready). */
  stake: bigint;
  /** Bonds credited by StorageChallenges (answered challenges, and an auditor's bonds back). */
  challengeBalance: bigint;
  /** Slash rewards credited by CustodianRegistry. */
  registryBalance: bigint;
  txHashes: TxResult["txHash"][];
  /** Stake still unbonding after this, with why it stays. */
  stillUnbonding: { amount: bigint; unbondAt: number; reason: "delay" | "challenges" } | null;
}

/**
 * Withdraws what the client account may take out now: its unbonded stake once the delay is over
 * and no challenge is open, and its credited balances of StorageChallenges and CustodianRegistry.
 * Refuses (nothing sent) when there is nothing: STILL_UNBONDING / CHALLENGES_OPEN when stake is
 * unbonding but not yet free, NOTHING_TO_WITHDRAW otherwise.
 */
export async function withdrawCustodian(chain: ChainClient): Promise<WithdrawResult> {
  const me = chain.address;
  if (me === undefined) throw new CustodianActionError("NOT_A_CUSTODIAN", "no account to withdraw to (the chain client has none)");
  const [info, challengeBalance, registryBalance] = await Promise.all([
    chain.custodianInfo(me),
    chain.contracts.challenges.read.balanceOf([me]),
    chain.contracts.custodians.read.balanceOf([me]),
  ]);
  const result: WithdrawResult = { stake: 0n, challengeBalance: 0n, registryBalance: 0n, txHashes: [], stillUnbonding: null };
  let refusal: CustodianActionError | undefined;
  if (info !== null && info.unbonding > 0n) {
    try {
      const sent = await chain.write("custodians", "withdrawUnbonded", []);
      result.stake = info.unbonding;
      result.txHashes.push(sent.txHash);
    } catch (error) {
      if (!(error instanceof ChainRevertError)) throw error;
      const unbondAt = Number(info.unbondAt);
      if (error.errorName === "UnbondingActive") {
        refusal = new CustodianActionError("STILL_UNBONDING", `${info.unbonding} wei still bonding until ${iso(unbondAt)} (unix ${unbondAt})`, unbondAt);
        result.stillUnbonding = { amount: info.unbonding, unbondAt, reason: "delay" };
      } else if (error.errorName === "ChallengesOpen") {
        refusal = new CustodianActionError("CHALLENGES_OPEN", `${info.unbonding} wei unbonding, but ${info.openChallenges} storage challenge(s) of ${me} are open: withdraw once they are closed`, unbondAt);
        result.stillUnbonding = { amount: info.unbonding, unbondAt, reason: "challenges" };
      } else throw error;
    }
  }
  if (challengeBalance > 0n) {
    result.txHashes.push((await chain.write("challenges", "withdraw", [])).txHash);
    result.challengeBalance = challengeBalance;
  }
  if (registryBalance > 0n) {
    result.txHashes.push((await chain.write("custodians", "withdraw", [])).txHash);
    result.registryBalance = registryBalance;
  }
  if (result.txHashes.length === 0) {
    throw refusal ?? new CustodianActionError("NOTHING_TO_WITHDRAW", `nothing to withdraw: ${me} has no unbonding stake and no credited bonds or rewards`);
  }
  return result;
}
