/**
 * A licensee's stake for a model (LicenseeStaking): `stake` adds to it at once; taking it out is
 * two steps, like the contract: `requestUnstake` moves an amount from the bonded stake (what
 * requestKey counts) to unbonding and starts the cooldown (a new request restarts it for all that
 * is unbonding), and `withdrawStake` sends the unbonding amount once the cooldown is over. The
 * part a live licence requires (its requiredStake) cannot be requested out while it grants access.
 */
import type { Address } from "viem";
import { address, uint } from "./arguments.js";
import type { ChainClient } from "./client.js";
import { accountOf, ActionRefusedError, isoTime, modelOrRefuse, send, type SentTx } from "./owner-actions.js";

export interface StakeInfo {
  modelId: bigint;
  account: Address;
  /** Bonded: what requestKey compares with the licence's required stake. */
  staked: bigint;
  /** Requested out, withdrawable from unlockAt. */
  unbonding: bigint;
  /** Unix seconds; 0 when nothing ever unbonded. */
  unlockAt: bigint;
  /** What a live licence of the account requires to stay bonded (0 without one). */
  required: bigint;
  /** LicenseeStaking's cooldown, seconds. */
  cooldown: bigint;
}

export async function stakeInfo(chain: ChainClient, modelId: bigint, account: Address): Promise<StakeInfo> {
  uint(modelId, "modelId");
  address(account, "account");
  const [[staked, unbonding, unlockAt], required, cooldown] = await Promise.all([
    chain.contracts.staking.read.stakes([account, modelId]),
    chain.contracts.vault.read.requiredStake([modelId, account]),
    chain.contracts.staking.read.cooldown(),
  ]);
  return { modelId, account, staked, unbonding, unlockAt: BigInt(unlockAt), required, cooldown: BigInt(cooldown) };
}

/** Adds `amount` wei to the account's stake for the model. */
export async function stakeForModel(chain: ChainClient, modelId: bigint, amount: bigint): Promise<{ tx: SentTx; stake: StakeInfo }> {
  const me = accountOf(chain);
  if (uint(amount, "amount") === 0n) throw new ActionRefusedError("STAKE_EXCEEDED", "the amount to stake must be more than 0 wei");
  await modelOrRefuse(chain, modelId);
  const { receipt: _, ...tx } = await send(chain, "staking", "stake", [modelId], { value: amount, modelId });
  return { tx, stake: await stakeInfo(chain, modelId, me) };
}

/** Starts the cooldown for `amount` of the bonded stake. */
export async function requestUnstake(chain: ChainClient, modelId: bigint, amount: bigint): Promise<{ tx: SentTx; stake: StakeInfo }> {
  const me = accountOf(chain);
  uint(amount, "amount");
  await modelOrRefuse(chain, modelId);
  const before = await stakeInfo(chain, modelId, me);
  if (amount === 0n || amount > before.staked) {
    throw new ActionRefusedError("STAKE_EXCEEDED", `cannot unstake ${amount} wei of model ${modelId}: ${before.staked} wei staked`);
  }
  if (before.staked - amount < before.required) {
    const most = before.staked - before.required;
    throw new ActionRefusedError(
      "STAKE_LOCKED",
      `the live licence for model ${modelId} requires ${before.required} wei to stay staked: at most ${most} wei of ${before.staked} can be unstaked`,
    );
  }
  const { receipt: _, ...tx } = await send(chain, "staking", "requestUnstake", [modelId, amount], { modelId });
  return { tx, stake: await stakeInfo(chain, modelId, me) };
}

/** Sends the unbonding stake once its cooldown is over. */
export async function withdrawStake(chain: ChainClient, modelId: bigint): Promise<{ tx: SentTx; amount: bigint; stake: StakeInfo }> {
  const me = accountOf(chain);
  const before = await stakeInfo(chain, modelId, me);
  if (before.unbonding === 0n) throw new ActionRefusedError("NOTHING_UNBONDING", `nothing is unbonding for model ${modelId}: unstake an amount first`);
  const { timestamp } = await chain.publicClient.getBlock({ blockTag: "latest" });
  if (timestamp < before.unlockAt) {
    throw new ActionRefusedError(
      "COOLDOWN_ACTIVE",
      `${before.unbonding} wei of model ${modelId} is unbonding: withdrawable from ${isoTime(before.unlockAt)} (${before.unlockAt - timestamp} s from the chain's time)`,
    );
  }
  const { receipt: _, ...tx } = await send(chain, "staking", "withdraw", [modelId], { modelId });
  return { tx, amount: before.unbonding, stake: await stakeInfo(chain, modelId, me) };
}
