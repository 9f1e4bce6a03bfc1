/**
 * What the ModelVault contract refuses of a model owner's actions (setTerms, grant, revoke,
 * pause/unpause/retire, transfer, withdraw) and of the licensee's staking, said before any
 * transaction is sent, and the contract's reverts said the same way: one set of rules for the
 * node (node/chain/owner-actions.ts, as ActionRefusedError) and the SDK (sdk/owner-actions.ts,
 * as SdkError). Pure: each check is given the state it needs, and returns the refusal or nothing.
 * Also the earnings sum (what withdraw would pay), over any reader of the vault.
 */
import { isAddressEqual, type Address } from "viem";
import type { Terms } from "./views.js";

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

/** Why the chain would refuse (or did): the code, and a message with the facts. */
export interface Refusal {
  code: RefusalCode;
  message: string;
}

export const isoTime = (seconds: bigint | number) => new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");

/** A contract revert (its custom error's name and arguments) as the refusal it means; undefined for any other. */
export function revertRefusal(errorName: string | undefined, args: readonly unknown[], modelId: bigint | undefined): Refusal | undefined {
  const model = modelId === undefined ? "the model" : `model ${modelId}`;
  const [first, second] = args.map(String);
  const refusal = (code: RefusalCode, message: string): Refusal => ({ code, message });
  switch (errorName) {
    case "UnknownModel": return refusal("UNKNOWN_MODEL", `${model} is not registered`);
    case "NotModelOwner": return refusal("NOT_OWNER", `${model} is not owned by this account (${second})`);
    case "ModelIsRetired": return refusal("MODEL_RETIRED", `${model} is retired: it takes no more terms, grants or versions`);
    case "InvalidStatusChange": return refusal("INVALID_STATUS", `${model} cannot change status from ${String(args[1])}`);
    case "NotPendingOwner": return refusal("NOT_PENDING_OWNER", `this account (${second}) is not the proposed owner of ${model}`);
    case "NoLicense": return refusal("NO_LICENCE", `${second} holds no licence for ${model}`);
    case "LicenseIsRevoked": return refusal("LICENCE_REVOKED", `the licence of ${second} for ${model} is already revoked`);
    case "ExpiryInPast": return refusal("EXPIRY_IN_PAST", `the expiry ${first} is not in the future`);
    case "NothingToWithdraw": return refusal("NOTHING_TO_WITHDRAW", "nothing to withdraw");
    case "AmountExceedsStake": return refusal("STAKE_EXCEEDED", `cannot unstake ${first} wei: ${second} wei staked`);
    case "StakeLocked": return refusal("STAKE_LOCKED", `a live licence requires ${first} wei to stay staked; ${second} wei would remain`);
    case "NothingUnbonding": return refusal("NOTHING_UNBONDING", `nothing is unbonding for ${model}: unstake an amount first`);
    case "CooldownActive": return refusal("COOLDOWN_ACTIVE", `the unbonding stake is withdrawable from ${isoTime(BigInt(first ?? 0))}`);
    default: return undefined;
  }
}

/** The model's owner and status, as the vault's modelState gives them (null: never registered). */
export interface OwnedState {
  owner: Address;
  status: "active" | "paused" | "retired";
}

/** Refused unless `me` owns the registered model (and it is not retired, unless allowed). */
export function ownershipRefusal(modelId: bigint, state: OwnedState | null, me: Address, options: { allowRetired?: boolean } = {}): Refusal | undefined {
  if (state === null) return { code: "UNKNOWN_MODEL", message: `model ${modelId} is not registered` };
  if (!isAddressEqual(state.owner, me)) return { code: "NOT_OWNER", message: `model ${modelId} is owned by ${state.owner}, not by this account (${me})` };
  if (state.status === "retired" && options.allowRetired !== true) {
    return { code: "MODEL_RETIRED", message: `model ${modelId} is retired: it takes no more terms, grants or versions` };
  }
  return undefined;
}

/** pause of a paused model, unpause of an active one. */
export function statusChangeRefusal(modelId: bigint, status: OwnedState["status"], action: "pause" | "unpause" | "retire"): Refusal | undefined {
  if (action === "pause" && status === "paused") return { code: "INVALID_STATUS", message: `model ${modelId} is already paused` };
  if (action === "unpause" && status === "active") return { code: "INVALID_STATUS", message: `model ${modelId} is not paused` };
  return undefined;
}

/** A grant's expiry (0: none) must be after the chain's latest block time. */
export function expiryRefusal(expiresAt: number, chainTime: bigint): Refusal | undefined {
  if (expiresAt === 0 || BigInt(expiresAt) > chainTime) return undefined;
  return { code: "EXPIRY_IN_PAST", message: `the expiry ${isoTime(expiresAt)} is not after the chain's time ${isoTime(chainTime)}` };
}

/** Revoking needs a licence that is not revoked yet. */
export function revokeRefusal(modelId: bigint, account: Address, licence: { revoked: boolean } | null): Refusal | undefined {
  if (licence === null) return { code: "NO_LICENCE", message: `${account} holds no licence for model ${modelId}` };
  if (licence.revoked) return { code: "LICENCE_REVOKED", message: `the licence of ${account} for model ${modelId} is already revoked` };
  return undefined;
}

/** The changes merged over the current terms (undefined fields keep theirs); `changed` false means no transaction. */
export function mergeTerms<T extends Terms>(previous: T, changes: Partial<Terms>): { terms: T; changed: boolean } {
  const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as Partial<Terms>;
  const terms = { ...previous, ...defined };
  const changed = !(terms.price === previous.price && terms.duration === previous.duration && terms.maxUses === previous.maxUses && terms.minStake === previous.minStake && terms.carryOver === previous.carryOver);
  return { terms, changed };
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
  /** balance + every pending amount: what a withdrawal would pay out. */
  total: bigint;
}

/** The vault reads the earnings sum needs (the node's chain client or the SDK's public client). */
export interface EarningsReader {
  modelCount(): Promise<bigint>;
  balanceOf(account: Address): Promise<bigint>;
  /** null: not registered. */
  modelState(modelId: bigint): Promise<{ owner: Address; version: number } | null>;
  pendingRevenue(modelId: bigint, version: number, account: Address): Promise<bigint>;
  /** The version's owner revenue not yet claimed (the vault's revenue(...)[0]). */
  ownerRevenue(modelId: bigint, version: number): Promise<bigint>;
}

/** Reads in rounds of this many (batched into few requests over HTTP). */
const READ_ROUND = 64;

async function inRounds<T, R>(items: T[], read: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += READ_ROUND) out.push(...(await Promise.all(items.slice(i, i + READ_ROUND).map(read))));
  return out;
}

/** What `account` can withdraw: its balance and every version's unclaimed revenue (as owner or custodian). */
export async function earningsOf(reader: EarningsReader, account: Address): Promise<Earnings> {
  const [count, balance] = await Promise.all([reader.modelCount(), reader.balanceOf(account)]);
  const ids = Array.from({ length: Number(count) }, (_, i) => BigInt(i + 1));
  const states = await inRounds(ids, async (modelId) => ({ modelId, state: await reader.modelState(modelId) }));
  const versions = states.flatMap(({ modelId, state }) =>
    state === null ? [] : Array.from({ length: state.version }, (_, i) => ({ modelId, version: i + 1, owner: state.owner })),
  );
  const amounts = await inRounds(versions, (v) => reader.pendingRevenue(v.modelId, v.version, account));
  const pending: PendingRevenue[] = [];
  for (const [i, v] of versions.entries()) {
    const amount = amounts[i]!;
    if (amount === 0n) continue;
    const asOwner = isAddressEqual(v.owner, account) ? await reader.ownerRevenue(v.modelId, v.version) : 0n;
    pending.push({ modelId: v.modelId, version: v.version, asOwner, asCustodian: amount - asOwner, amount });
  }
  return { account, balance, pending, total: pending.reduce((sum, p) => sum + p.amount, balance) };
}

/** Nothing credited and nothing unclaimed. */
export function withdrawRefusal(earnings: Earnings): Refusal | undefined {
  if (earnings.total > 0n) return undefined;
  return { code: "NOTHING_TO_WITHDRAW", message: `nothing to withdraw: ${earnings.account} has no credited balance and no unclaimed revenue` };
}
