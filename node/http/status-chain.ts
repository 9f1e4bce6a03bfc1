/**
 * The chain-backed fields of GET /v1/status: this node's stake as a custodian and its challenge
 * record, read with node/chain's custodianStake and challengeRecord (the ones `custodian status`
 * uses), cached briefly (CachedRead) so a page polling every 2 s does not hammer the RPC. A failed
 * read is that field's `{ error: { code, message } }`, never a failure of the whole answer.
 */
import type { Address } from "viem";
import { challengeRecord, custodianStake, type ChainClient, type ChallengeRecord, type CustodianStake } from "../chain/index.js";
import { chainFailure } from "../chain/log-scan.js";
import type { ResponderRecord } from "../custody/challenge-responder.js";
import { CachedRead, ReadTimeoutError, type Settled } from "./cached-read.js";
import type { ErrorBody } from "./errors.js";
import { toErrorReply } from "./errors.js";

export const DEFAULT_CHAIN_TTL_MS = 5_000;
/** Longest a status answer waits for the chain before it answers with what it has. */
export const DEFAULT_CHAIN_WAIT_MS = 1_500;

export interface StakeField {
  registered: true;
  active: boolean;
  /** Wei, as decimal strings. */
  bonded: string;
  unbonding: string;
  /** The unbonding wei that can be withdrawn now ("0" while the delay runs or a challenge is open). */
  withdrawable: string;
  /** Unix seconds the unbonding stake becomes withdrawable; null when nothing is unbonding. */
  withdrawableAt: number | null;
  minStake: string;
  openChallenges: number;
  /** Unix milliseconds of the chain read this comes from. */
  asOf: number;
}

export interface ChallengesField {
  total: number;
  answered: number;
  missed: number;
  lapsed: number;
  open: number;
  slashed: string;
  bondsEarned: string;
  asOf: number;
}

/** Why a field that does not apply is null. */
export interface Unavailable {
  code: "NO_CHAIN" | "NOT_A_CUSTODIAN";
  message: string;
}

export class StatusChainReads {
  readonly #chain: ChainClient;
  readonly #stake: CachedRead<CustodianStake>;
  readonly #challenges: CachedRead<ChallengeRecord>;

  constructor(chain: ChainClient, account: Address, options: { ttlMs?: number; waitMs?: number } = {}) {
    this.#chain = chain;
    const cache = { ttlMs: options.ttlMs ?? DEFAULT_CHAIN_TTL_MS, waitMs: options.waitMs ?? DEFAULT_CHAIN_WAIT_MS };
    this.#stake = new CachedRead(() => custodianStake(chain, account), cache);
    this.#challenges = new CachedRead(() => challengeRecord(chain, account), cache);
  }

  /** The stake field: null (with why) when the account is not a registered custodian. */
  async stake(): Promise<{ value: StakeField | ErrorBody | null; unavailable?: Unavailable }> {
    const read = await this.#stake.get();
    if (!read.ok) return { value: this.#errorOf(read, "custodianInfo") };
    const s = read.value;
    if (!s.registered) return { value: null, unavailable: { code: "NOT_A_CUSTODIAN", message: `${s.account} is not a registered custodian` } };
    return {
      value: {
        registered: true,
        active: s.active,
        bonded: s.stake.toString(),
        unbonding: s.unbonding.toString(),
        withdrawable: (s.withdrawable ? s.unbonding : 0n).toString(),
        withdrawableAt: s.unbondAt,
        minStake: s.minStake.toString(),
        openChallenges: s.openChallenges,
        asOf: read.at,
      },
    };
  }

  /** What the chain records of the account's storage challenges, with the responder's own count since start. */
  async challenges(responder: ResponderRecord | null): Promise<(ChallengesField | ErrorBody) & { responder: ResponderRecord | null }> {
    const read = await this.#challenges.get();
    if (!read.ok) return { ...this.#errorOf(read, "challenges"), responder };
    const r = read.value;
    return {
      total: r.total, answered: r.answered, missed: r.missed, lapsed: r.lapsed, open: r.open,
      slashed: r.slashed.toString(), bondsEarned: r.bondsEarned.toString(), asOf: read.at, responder,
    };
  }

  #errorOf(read: Extract<Settled<unknown>, { ok: false }>, functionName: string): ErrorBody {
    const { error } = read;
    if (error instanceof ReadTimeoutError) return { error: { code: "CHAIN_TIMEOUT", message: `chain: ${error.message}` } };
    const typed = toErrorReply(error).body;
    // Not one of ours (a raw viem error from a contract read): typed here, without the RPC URL's secrets.
    return typed.error.code === "INTERNAL" ? toErrorReply(chainFailure(this.#chain)(error, functionName)).body : typed;
  }
}
