/**
 * What the ticket index knows about the head of the chain, per log follower: the last head it
 * saw, when, and the chain's time then; when the follower had caught up with it (so the index
 * can tell a fresh answer from a stale one); and the hash of the last block it applied, checked
 * at every poll, so a reorganisation that replaced it is noticed (ChainReorganisedError).
 */
import type { Hex } from "viem";
import type { EventFollower } from "../chain/follow.js";
import type { ChainClient } from "../chain/index.js";
import { NodeError } from "../errors.js";

/** The chain went back on a block the index had applied: it is rebuilt from the deployment block. */
export class ChainReorganisedError extends NodeError {
  constructor(block: bigint) {
    super("CHAIN_REORGANISED", `block ${block} was replaced (a reorganisation): the ticket index is rebuilt`);
  }
}

/** One followLogs over a set of vault events, remembering the last head it saw, when, and its hash. */
export class HeadTracker {
  follower: EventFollower | undefined;
  #pending: { at: number; safeHead: bigint } | undefined;
  syncedAt = -Infinity;
  headTime: { timestamp: number; at: number } | undefined;
  /** The last safe head seen and its hash: if that block changes, what was applied from it may be gone. */
  #anchor: { number: bigint; hash: Hex } | undefined;

  constructor(readonly lag: bigint) {}

  async head(client: ChainClient["publicClient"]): Promise<bigint> {
    const block = await client.getBlock({ blockTag: "latest" });
    const safeHead = block.number - this.lag;
    if (this.#anchor !== undefined) {
      const { number, hash } = this.#anchor;
      const now = number > block.number ? undefined : number === block.number ? block.hash : (await client.getBlock({ blockNumber: number }).catch(() => undefined))?.hash;
      if (now !== hash) throw new ChainReorganisedError(number);
    }
    const at = Date.now();
    if (safeHead >= 0n) {
      this.#anchor = { number: safeHead, hash: safeHead === block.number ? block.hash : (await client.getBlock({ blockNumber: safeHead })).hash };
    }
    this.#pending = { at, safeHead };
    this.headTime = { timestamp: Number(block.timestamp), at };
    return block.number;
  }

  /** When the follower last stood at (past) the safe head it had seen. */
  synced(): number {
    const cursor = this.follower?.cursor;
    if (this.#pending !== undefined && cursor !== undefined && cursor > this.#pending.safeHead) {
      this.syncedAt = this.#pending.at;
      this.#pending = undefined;
    }
    return this.syncedAt;
  }
}
