/**
 * What a model owner does on chain after publishing: change the terms, pause, unpause or retire
 * the model, hand it over (two steps: transferOwnership, then acceptOwnership by the new owner),
 * grant and revoke licences, see and withdraw earnings (RevenueSplit: revenue accrues per version
 * and is claimed into PullPayments balances, which are then withdrawn). Every call checks first
 * what the contract would refuse and says so as an ActionRefusedError with its code and the facts
 * (whose model it is, why there is nothing to withdraw), then sends through `chain.write`; a
 * revert that still happens (a race) is translated to the same error.
 */
import { isAddressEqual, parseEventLogs, zeroAddress, type Address, type TransactionReceipt } from "viem";
import { modelVaultAbi } from "../../contracts/abi/index.js";
import { NodeError } from "../errors.js";
import { address, uint } from "./arguments.js";
import type { ChainClient, WritableContract } from "./client.js";
import { ChainConfigError, ChainRevertError } from "./errors.js";
import type { License, ModelState, ModelStatus, Terms, TxResult } from "./types.js";

export type RefusalCode =
  | "UNKNOWN_MODEL"
  | "NOT_OWNER"
  | "MODEL_RETIRED"
  | "INVALID_STATUS"
  | "NOT_PENDING_OWNER"
  | "NO_LICENCE"
  | "LICENCE_REVOKED"
  | "EXPIRY_IN_PAST"
  | "NOTHING_TO_WITHDRAW"
  | "STAKE_EXCEEDED"
  | "STAKE_LOCKED"
  | "NOTHING_UNBONDING"
  | "COOLDOWN_ACTIVE";

/** The chain would refuse the action (or did): the code says why, the message gives the facts. */
export class ActionRefusedError extends NodeError {
  declare readonly code: RefusalCode;
  constructor(code: RefusalCode, message: string) {
    super(code, message);
  }
}

/** A sent transaction and what it cost the sender (gas used times its price, in wei). */
export interface SentTx extends TxResult {
  gasCost: bigint;
}

/** The client's own account: the one that owns, licenses or stakes. */
export function accountOf(chain: ChainClient): Address {
  if (chain.address === undefined) throw new ChainConfigError("this action sends a transaction: the chain client needs an account", { field: "account" });
  return chain.address;
}

const gasCostOf = (receipt: TransactionReceipt) => receipt.gasUsed * receipt.effectiveGasPrice;

/** Reverts of the owner's, licensee's and payment functions as refusals. */
function translate(error: unknown, modelId: bigint | undefined): unknown {
  if (!(error instanceof ChainRevertError)) return error;
  const model = modelId === undefined ? "the model" : `model ${modelId}`;
  const [first, second] = error.args.map(String);
  switch (error.errorName) {
    case "UnknownModel": return new ActionRefusedError("UNKNOWN_MODEL", `${model} is not registered`);
    case "NotModelOwner": return new ActionRefusedError("NOT_OWNER", `${model} is not owned by this account (${second})`);
    case "ModelIsRetired": return new ActionRefusedError("MODEL_RETIRED", `${model} is retired: it takes no more terms, grants or versions`);
    case "InvalidStatusChange": return new ActionRefusedError("INVALID_STATUS", `${model} cannot change status from ${error.args[1]}`);
    case "NotPendingOwner": return new ActionRefusedError("NOT_PENDING_OWNER", `this account (${second}) is not the proposed owner of ${model}`);
    case "NoLicense": return new ActionRefusedError("NO_LICENCE", `${second} holds no licence for ${model}`);
    case "LicenseIsRevoked": return new ActionRefusedError("LICENCE_REVOKED", `the licence of ${second} for ${model} is already revoked`);
    case "ExpiryInPast": return new ActionRefusedError("EXPIRY_IN_PAST", `the expiry ${first} is not in the future`);
    case "NothingToWithdraw": return new ActionRefusedError("NOTHING_TO_WITHDRAW", "nothing to withdraw");
    case "AmountExceedsStake": return new ActionRefusedError("STAKE_EXCEEDED", `cannot unstake ${first} wei: ${second} wei staked`);
    case "StakeLocked": return new ActionRefusedError("STAKE_LOCKED", `a live licence requires ${first} wei to stay staked; ${second} wei would remain`);
    case "NothingUnbonding": return new ActionRefusedError("NOTHING_UNBONDING", `nothing is unbonding for ${model}: unstake an amount first`);
    case "CooldownActive": return new ActionRefusedError("COOLDOWN_ACTIVE", `the unbonding stake is withdrawable from ${isoTime(BigInt(first ?? 0))}`);
    default: return error;
  }
}

/** chain.write, with refusals translated and the gas cost reported. */
export async function send(
  chain: ChainClient, contract: WritableContract, functionName: string, args: readonly unknown[], options: { value?: bigint; modelId?: bigint } = {},
): Promise<SentTx & { receipt: TransactionReceipt }> {
  try {
    const sent = await chain.write(contract, functionName, args, options.value === undefined ? {} : { value: options.value });
    return { ...sent, gasCost: gasCostOf(sent.receipt) };
  } catch (error) {
    throw translate(error, options.modelId);
  }
}

export const isoTime = (seconds: bigint | number) => new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");

/** The model's state; UNKNOWN_MODEL when it was never registered. */
export async function modelOrRefuse(chain: ChainClient, modelId: bigint): Promise<ModelState> {
  const state = await chain.modelState(uint(modelId, "modelId"));
  if (state === null) throw new ActionRefusedError("UNKNOWN_MODEL", `model ${modelId} is not registered`);
  return state;
}

/** The model's state, checked to be owned by the client's account (and not retired unless allowed). */
export async function ownedModel(chain: ChainClient, modelId: bigint, options: { allowRetired?: boolean } = {}): Promise<ModelState> {
  const me = accountOf(chain);
  const state = await modelOrRefuse(chain, modelId);
  if (!isAddressEqual(state.owner, me)) {
    throw new ActionRefusedError("NOT_OWNER", `model ${modelId} is owned by ${state.owner}, not by this account (${me})`);
  }
  if (state.status === "retired" && options.allowRetired !== true) {
    throw new ActionRefusedError("MODEL_RETIRED", `model ${modelId} is retired: it takes no more terms, grants or versions`);
  }
  return state;
}

const sameTerms = (a: Terms, b: Terms) =>
  a.price === b.price && a.duration === b.duration && a.maxUses === b.maxUses && a.minStake === b.minStake && a.carryOver === b.carryOver;

/** The new terms merged over the current ones; no transaction when nothing changes (tx null). */
export async function setTerms(chain: ChainClient, modelId: bigint, changes: Partial<Terms>): Promise<{ tx: SentTx | null; previous: Terms; terms: Terms }> {
  await ownedModel(chain, modelId);
  const previous = (await chain.terms(modelId))!;
  const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as Partial<Terms>;
  const terms: Terms = { ...previous, ...defined };
  if (sameTerms(previous, terms)) return { tx: null, previous, terms };
  const { receipt: _, ...tx } = await send(chain, "vault", "setTerms", [modelId, terms], { modelId });
  return { tx, previous, terms: (await chain.terms(modelId))! };
}

/** pause, unpause or retire; the status read back after the transaction. */
export async function changeStatus(chain: ChainClient, modelId: bigint, action: "pause" | "unpause" | "retire"): Promise<{ tx: SentTx; status: ModelStatus }> {
  const state = await ownedModel(chain, modelId);
  if (action === "pause" && state.status === "paused") throw new ActionRefusedError("INVALID_STATUS", `model ${modelId} is already paused`);
  if (action === "unpause" && state.status === "active") throw new ActionRefusedError("INVALID_STATUS", `model ${modelId} is not paused`);
  const { receipt: _, ...tx } = await send(chain, "vault", action, [modelId], { modelId });
  return { tx, status: (await modelOrRefuse(chain, modelId)).status };
}

/** Step one of a transfer: proposes `to` (zeroAddress cancels); `to` completes it with acceptOwnership. */
export async function proposeOwner(chain: ChainClient, modelId: bigint, to: Address): Promise<{ tx: SentTx; owner: Address; pendingOwner: Address | null }> {
  address(to, "newOwner");
  await ownedModel(chain, modelId, { allowRetired: true });
  const { receipt: _, ...tx } = await send(chain, "vault", "transferOwnership", [modelId, to], { modelId });
  const [state, pending] = await Promise.all([modelOrRefuse(chain, modelId), chain.contracts.vault.read.pendingOwner([modelId])]);
  return { tx, owner: state.owner, pendingOwner: pending === zeroAddress ? null : pending };
}

/** Step two, by the proposed owner: takes the model over (its unclaimed owner revenue too). */
export async function acceptOwnership(chain: ChainClient, modelId: bigint): Promise<{ tx: SentTx; owner: Address; previousOwner: Address }> {
  const me = accountOf(chain);
  const [state, pending] = await Promise.all([modelOrRefuse(chain, modelId), chain.contracts.vault.read.pendingOwner([modelId])]);
  if (!isAddressEqual(pending, me)) {
    const who = pending === zeroAddress ? "no transfer is pending" : `the proposed owner is ${pending}`;
    throw new ActionRefusedError("NOT_PENDING_OWNER", `this account (${me}) may not take over model ${modelId}: ${who}`);
  }
  const { receipt: _, ...tx } = await send(chain, "vault", "acceptOwnership", [modelId], { modelId });
  return { tx, owner: (await modelOrRefuse(chain, modelId)).owner, previousOwner: state.owner };
}

/** A free licence for `account` (replacing any it holds, lifting a revocation); read back after. */
export async function grantLicence(
  chain: ChainClient, modelId: bigint, account: Address, limits: { expiresAt?: number; maxUses?: number } = {},
): Promise<{ tx: SentTx; licence: License }> {
  address(account, "account");
  await ownedModel(chain, modelId);
  const expiresAt = limits.expiresAt ?? 0;
  if (expiresAt !== 0) {
    const { timestamp } = await chain.publicClient.getBlock({ blockTag: "latest" });
    if (BigInt(expiresAt) <= timestamp) {
      throw new ActionRefusedError("EXPIRY_IN_PAST", `the expiry ${isoTime(expiresAt)} is not after the chain's time ${isoTime(timestamp)}`);
    }
  }
  const { receipt: _, ...tx } = await send(chain, "vault", "grant", [modelId, account, expiresAt, limits.maxUses ?? 0], { modelId });
  return { tx, licence: (await chain.licenseOf(modelId, account))! };
}

/** Revokes `account`'s licence: no more tickets, and its outstanding tickets stop being live. */
export async function revokeLicence(chain: ChainClient, modelId: bigint, account: Address): Promise<{ tx: SentTx; licence: License }> {
  address(account, "account");
  await ownedModel(chain, modelId, { allowRetired: true });
  const licence = await chain.licenseOf(modelId, account);
  if (licence === null) throw new ActionRefusedError("NO_LICENCE", `${account} holds no licence for model ${modelId}`);
  if (licence.revoked) throw new ActionRefusedError("LICENCE_REVOKED", `the licence of ${account} for model ${modelId} is already revoked`);
  const { receipt: _, ...tx } = await send(chain, "vault", "revoke", [modelId, account], { modelId });
  return { tx, licence: (await chain.licenseOf(modelId, account))! };
}

/** Unclaimed revenue of one version for the account, by role. */
export interface PendingRevenue {
  modelId: bigint;
  version: number;
  /** The owner part (the account owns the model now: the owner at claim time gets it). */
  asOwner: bigint;
  /** The custodian part (the account is one of the version's custodians). */
  asCustodian: bigint;
  amount: bigint;
}

export interface Earnings {
  account: Address;
  /** Credited to the account's PullPayments balance: withdrawable as it is. */
  balance: bigint;
  /** Sales revenue not yet claimed into the balance; withdraw claims it first. */
  pending: PendingRevenue[];
  /** balance + every pending amount: what `withdrawEarnings` would pay out. */
  total: bigint;
}

/** Reads in rounds of this many (batched into few requests over HTTP). */
const READ_ROUND = 64;

async function inRounds<T, R>(items: T[], read: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += READ_ROUND) out.push(...(await Promise.all(items.slice(i, i + READ_ROUND).map(read))));
  return out;
}

/** What `account` can withdraw: its balance and every version's unclaimed revenue (as owner or custodian). */
export async function earningsOf(chain: ChainClient, account: Address): Promise<Earnings> {
  address(account, "account");
  const { vault } = chain.contracts;
  const [count, balance] = await Promise.all([vault.read.modelCount(), vault.read.balanceOf([account])]);
  const ids = Array.from({ length: Number(count) }, (_, i) => BigInt(i + 1));
  const states = await inRounds(ids, async (modelId) => ({ modelId, state: await chain.modelState(modelId) }));
  const versions = states.flatMap(({ modelId, state }) =>
    state === null ? [] : Array.from({ length: state.version }, (_, i) => ({ modelId, version: i + 1, owner: state.owner })),
  );
  const amounts = await inRounds(versions, (v) => vault.read.pendingRevenue([v.modelId, v.version, account]));
  const pending: PendingRevenue[] = [];
  for (const [i, v] of versions.entries()) {
    const amount = amounts[i]!;
    if (amount === 0n) continue;
    const asOwner = isAddressEqual(v.owner, account) ? (await vault.read.revenue([v.modelId, v.version]))[0] : 0n;
    pending.push({ modelId: v.modelId, version: v.version, asOwner, asCustodian: amount - asOwner, amount });
  }
  return { account, balance, pending, total: pending.reduce((sum, p) => sum + p.amount, balance) };
}

export interface Withdrawal {
  /** Wei sent to the account. */
  amount: bigint;
  /** The claimRevenue transactions (one per version with revenue), then the withdraw one. */
  claims: (SentTx & { modelId: bigint; version: number; amount: bigint })[];
  withdraw: SentTx;
  /** Gas of every transaction: the account's balance grows by amount - gasCost. */
  gasCost: bigint;
}

/** Claims every version's revenue into the balance, then withdraws the whole balance. */
export async function withdrawEarnings(chain: ChainClient): Promise<Withdrawal> {
  const me = accountOf(chain);
  const earnings = await earningsOf(chain, me);
  if (earnings.total === 0n) {
    throw new ActionRefusedError("NOTHING_TO_WITHDRAW", `nothing to withdraw: ${me} has no credited balance and no unclaimed revenue`);
  }
  const claims: Withdrawal["claims"] = [];
  for (const p of earnings.pending) {
    try {
      const { receipt: _, ...tx } = await send(chain, "vault", "claimRevenue", [p.modelId, p.version], { modelId: p.modelId });
      claims.push({ ...tx, modelId: p.modelId, version: p.version, amount: p.amount });
    } catch (error) {
      // Claimed in between (another client of the same account): the balance has it already.
      if (!(error instanceof ChainRevertError && error.errorName === "NothingToClaim")) throw error;
    }
  }
  const { receipt, ...withdraw } = await send(chain, "vault", "withdraw", []);
  const vaultLogs = receipt.logs.filter((log) => isAddressEqual(log.address, chain.contracts.vault.address));
  const [log] = parseEventLogs({ abi: modelVaultAbi, eventName: "Withdrawn", logs: vaultLogs });
  const amount = log?.args.amount ?? 0n;
  return { amount, claims, withdraw, gasCost: claims.reduce((sum, c) => sum + c.gasCost, withdraw.gasCost) };
}
