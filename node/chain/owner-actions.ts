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
import {
  earningsOf as sumEarnings,
  expiryRefusal,
  mergeTerms,
  ownershipRefusal,
  revertRefusal,
  revokeRefusal,
  statusChangeRefusal,
  withdrawRefusal,
  type Earnings,
  type Refusal,
  type RefusalCode,
} from "../../contracts/owner-rules.js";
import { NodeError } from "../errors.js";
import { address, uint } from "./arguments.js";
import type { ChainClient, WritableContract } from "./client.js";
import { ChainConfigError, ChainRevertError } from "./errors.js";
import type { License, ModelState, ModelStatus, Terms, TxResult } from "./types.js";

export { isoTime, type Earnings, type PendingRevenue, type RefusalCode } from "../../contracts/owner-rules.js";

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

/** Throws the refusal, when there is one (contracts/owner-rules.ts decides). */
function refuse(refusal: Refusal | undefined): void {
  if (refusal !== undefined) throw new ActionRefusedError(refusal.code, refusal.message);
}

/** Reverts of the owner's, licensee's and payment functions as refusals. */
function translate(error: unknown, modelId: bigint | undefined): unknown {
  if (!(error instanceof ChainRevertError)) return error;
  const refusal = revertRefusal(error.errorName, error.args, modelId);
  return refusal === undefined ? error : new ActionRefusedError(refusal.code, refusal.message);
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
  refuse(ownershipRefusal(modelId, state, me, options));
  return state;
}

/** The new terms merged over the current ones; no transaction when nothing changes (tx null). */
export async function setTerms(chain: ChainClient, modelId: bigint, changes: Partial<Terms>): Promise<{ tx: SentTx | null; previous: Terms; terms: Terms }> {
  await ownedModel(chain, modelId);
  const previous = (await chain.terms(modelId))!;
  const { terms, changed } = mergeTerms(previous, changes);
  if (!changed) return { tx: null, previous, terms };
  const { receipt: _, ...tx } = await send(chain, "vault", "setTerms", [modelId, terms], { modelId });
  return { tx, previous, terms: (await chain.terms(modelId))! };
}

/** pause, unpause or retire; the status read back after the transaction. */
export async function changeStatus(chain: ChainClient, modelId: bigint, action: "pause" | "unpause" | "retire"): Promise<{ tx: SentTx; status: ModelStatus }> {
  const state = await ownedModel(chain, modelId);
  refuse(statusChangeRefusal(modelId, state.status, action));
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
    refuse(expiryRefusal(expiresAt, timestamp));
  }
  const { receipt: _, ...tx } = await send(chain, "vault", "grant", [modelId, account, expiresAt, limits.maxUses ?? 0], { modelId });
  return { tx, licence: (await chain.licenseOf(modelId, account))! };
}

/** Revokes `account`'s licence: no more tickets, and its outstanding tickets stop being live. */
export async function revokeLicence(chain: ChainClient, modelId: bigint, account: Address): Promise<{ tx: SentTx; licence: License }> {
  address(account, "account");
  await ownedModel(chain, modelId, { allowRetired: true });
  refuse(revokeRefusal(modelId, account, await chain.licenseOf(modelId, account)));
  const { receipt: _, ...tx } = await send(chain, "vault", "revoke", [modelId, account], { modelId });
  return { tx, licence: (await chain.licenseOf(modelId, account))! };
}

/** What `account` can withdraw: its balance and every version's unclaimed revenue (as owner or custodian). */
export async function earningsOf(chain: ChainClient, account: Address): Promise<Earnings> {
  address(account, "account");
  const { vault } = chain.contracts;
  return sumEarnings({
    modelCount: () => vault.read.modelCount(),
    balanceOf: (who) => vault.read.balanceOf([who]),
    modelState: (modelId) => chain.modelState(modelId),
    pendingRevenue: (modelId, version, who) => vault.read.pendingRevenue([modelId, version, who]),
    ownerRevenue: async (modelId, version) => (await vault.read.revenue([modelId, version]))[0],
  }, account);
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
  refuse(withdrawRefusal(earnings));
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
