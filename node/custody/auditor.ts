/**
 * The auditor: challenges random (model, custodian) pairs of the models that are not retired
 * (StorageChallenges accepts active and paused ones), within a bond budget per rolling 24 hours,
 * reveals each salt once the seed block is mined, and slashes the custodians that did not answer
 * in the response window. Each open challenge (its salt included) is kept in a journal in the data
 * dir, written before the challenge is sent, so a restart still reveals and slashes; the bonds
 * spent are kept there too, so a restart does not reset the budget. A challenge is only lapsed
 * (bond to the pool, custodian released) when this auditor was away past its reveal window. Every
 * action is reported as one AuditAction; an error of one challenge is reported and never stops
 * the others, the loop or the node. Clock, randomness and salts are injectable for tests.
 */
import { randomInt as cryptoRandomInt } from "node:crypto";
import { join } from "node:path";
import { isAddressEqual, type Address, type Hex } from "viem";
import { challengeCommitment, randomChallengeSalt } from "../../contracts/challenge-seed.js";
import { ChainRevertError, type ChainClient } from "../chain/index.js";
import { AUDIT_JOURNAL, AuditError, loadJournal, saveJournal, type Journal, type JournalEntry } from "./audit-journal.js";

export { AUDIT_JOURNAL, AuditError };

export const DAY_MS = 24 * 3600_000;
/** Blocks after the seed block in which a reveal is accepted (StorageChallenges.REVEAL_WINDOW). */
const REVEAL_WINDOW = 256n;
/** Models looked at per round at most (a random sample of them when there are more). */
const MAX_MODELS_PER_ROUND = 256;

export type AuditActionKind = "challenged" | "revealed" | "answered" | "slashed" | "lapsed" | "closed" | "dropped" | "budget" | "idle" | "error";

export interface AuditAction {
  action: AuditActionKind;
  challengeId?: string;
  modelId?: string;
  version?: number;
  custodian?: Address;
  /** challenged: bond paid; slashed: stake slashed (wei, decimal). */
  amount?: string;
  segmentIndex?: string;
  /** revealed: last block the custodian can answer in; challenged: the seed block. */
  block?: string;
  txHash?: Hex;
  /** One line for a log. */
  message: string;
}

export interface AuditorOptions {
  /** A client with the auditor's account: it pays the bonds. */
  chain: ChainClient;
  /** Where the journal lives. */
  dataDir: string;
  /** Wei of bond spent per rolling 24 hours at most. */
  budgetPerDay: bigint;
  /** Challenges opened per round at most (default 1). */
  pairs?: number;
  onAction?: (action: AuditAction) => void;
  /** For tests: clock (ms), random integer in [0, n), salt source. */
  now?: () => number;
  randomInt?: (n: number) => number;
  randomSalt?: () => Hex;
}

export interface AuditLoopOptions {
  /** Between rounds that open challenges (default 1 hour). */
  intervalMs?: number;
  /** Between passes over the open challenges: reveals and slashes (default 5 s). */
  pollMs?: number;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class Auditor {
  readonly #options: AuditorOptions;
  readonly #me: Address;
  readonly #path: string;
  #journal: Journal = { version: 1, challenges: [], spent: [] };
  #bond: bigint | undefined;
  #busy: Promise<unknown> = Promise.resolve();
  #stop: AbortController | undefined;
  #loop: Promise<void> | undefined;

  private constructor(options: AuditorOptions, me: Address) {
    this.#options = options;
    this.#me = me;
    this.#path = join(options.dataDir, AUDIT_JOURNAL);
  }

  /** Loads the journal (or starts an empty one). */
  static async open(options: AuditorOptions): Promise<Auditor> {
    const me = options.chain.address;
    if (me === undefined) throw new AuditError("the auditor needs a chain client with an account (it pays the bonds)");
    if (options.budgetPerDay < 0n) throw new AuditError("the audit budget must be >= 0 wei");
    const auditor = new Auditor(options, me);
    auditor.#journal = await loadJournal(auditor.#path);
    return auditor;
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  /** Bond spent in the last 24 hours, wei. */
  spentToday(): bigint {
    const since = this.#now() - DAY_MS;
    return this.#journal.spent.filter((s) => s.at > since).reduce((sum, s) => sum + BigInt(s.bond), 0n);
  }

  /** The challenges this auditor still has to reveal or close. */
  openChallenges(): readonly Readonly<JournalEntry>[] {
    return this.#journal.challenges.map((entry) => ({ ...entry }));
  }

  async #save(): Promise<void> {
    const since = this.#now() - DAY_MS;
    this.#journal.spent = this.#journal.spent.filter((s) => s.at > since);
    await saveJournal(this.#path, this.#journal);
  }

  #report(actions: AuditAction[], action: AuditAction): void {
    actions.push(action);
    try {
      this.#options.onAction?.(action);
    } catch {
      // A logger that throws does not stop the audit.
    }
  }

  /** One pass: moves every open challenge on (reveal, slash, close), then opens up to `pairs` new ones. */
  round(): Promise<AuditAction[]> {
    return this.#exclusive(async () => [...(await this.#advance()), ...(await this.#openNew())]);
  }

  /** Moves the open challenges on only (reveals and slashes); opens nothing. */
  advance(): Promise<AuditAction[]> {
    return this.#exclusive(() => this.#advance());
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#busy.then(task, task);
    this.#busy = run.catch(() => undefined);
    return run;
  }

  async #advance(): Promise<AuditAction[]> {
    const actions: AuditAction[] = [];
    const { chain } = this.#options;
    let head: bigint;
    try {
      head = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
    } catch (error) {
      this.#report(actions, { action: "error", message: `audit: cannot read the chain head: ${errorText(error)}` });
      return actions;
    }
    for (const entry of [...this.#journal.challenges]) {
      try {
        const done = await this.#step(entry, head, actions);
        if (done) this.#journal.challenges = this.#journal.challenges.filter((e) => e !== entry);
        await this.#save();
      } catch (error) {
        const id = entry.challengeId;
        this.#report(actions, {
          action: "error", ...(id === undefined ? {} : { challengeId: id }), modelId: entry.modelId, custodian: entry.custodian,
          message: `audit: error on ${id === undefined ? `the challenge of ${entry.custodian} for model ${entry.modelId}` : `challenge ${id}`}: ${errorText(error)}`,
        });
      }
    }
    return actions;
  }

  /** One challenge's next step; true when it is closed (and leaves the journal). */
  async #step(entry: JournalEntry, head: bigint, actions: AuditAction[]): Promise<boolean> {
    const { chain } = this.#options;
    if (entry.state === "sending" && !(await this.#recover(entry, head, actions))) return false;
    const id = BigInt(entry.challengeId!);
    const info = await chain.challengeInfo(id);
    if (info === null) throw new Error(`challenge ${id} does not exist on chain`);
    const base = { challengeId: entry.challengeId!, modelId: entry.modelId, version: info.version, custodian: info.custodian };
    switch (info.state) {
      case "committed": {
        if (head > info.deadlineBlock) {
          const sent = await chain.lapseChallenge(id);
          this.#report(actions, { action: "lapsed", ...base, txHash: sent.txHash, message: `audit: challenge ${id} lapsed (its reveal window passed while this auditor was away): bond to the pool, ${info.custodian} released` });
          return true;
        }
        if (head <= info.seedBlock) return false;
        const revealed = await chain.revealChallenge(id, entry.salt);
        entry.state = "revealed";
        entry.deadlineBlock = revealed.deadlineBlock.toString();
        this.#report(actions, {
          action: "revealed", ...base, segmentIndex: revealed.segmentIndex.toString(), block: revealed.deadlineBlock.toString(), txHash: revealed.txHash,
          message: `audit: revealed challenge ${id}: ${info.custodian} must answer segment ${revealed.segmentIndex} of model ${entry.modelId} v${info.version} by block ${revealed.deadlineBlock}`,
        });
        return false;
      }
      case "revealed": {
        if (head <= info.deadlineBlock) return false;
        const sent = await chain.slashChallenge(id);
        this.#report(actions, {
          action: "slashed", ...base, amount: sent.slashed.toString(), txHash: sent.txHash,
          message: `audit: slashed ${info.custodian} on challenge ${id} (model ${entry.modelId} v${info.version}): ${sent.slashed} wei, no answer by block ${info.deadlineBlock}`,
        });
        return true;
      }
      case "answered":
        this.#report(actions, {
          action: "answered", ...base, ...(info.segmentIndex === null ? {} : { segmentIndex: info.segmentIndex.toString() }),
          message: `audit: challenge ${id} answered by ${info.custodian} (model ${entry.modelId} v${info.version}, segment ${info.segmentIndex}): it keeps its stake and the bond`,
        });
        return true;
      default:
        this.#report(actions, { action: "closed", ...base, message: `audit: challenge ${id} was already ${info.state}` });
        return true;
    }
  }

  /** A challenge written before its transaction: found on chain by its commitment, or dropped once it cannot land any more. */
  async #recover(entry: JournalEntry, head: bigint, actions: AuditAction[]): Promise<boolean> {
    const { chain } = this.#options;
    const from = BigInt(entry.sentAtBlock);
    const logs = await chain.contracts.challenges.getEvents.ChallengeOpened(
      { modelId: BigInt(entry.modelId), custodian: entry.custodian }, { fromBlock: from, toBlock: head, strict: true },
    );
    const commitment = challengeCommitment(this.#me, entry.salt);
    for (const log of logs) {
      const { challenger, challengeId } = log.args as { challenger: Address; challengeId: bigint };
      if (!isAddressEqual(challenger, this.#me)) continue;
      const info = await chain.challengeInfo(challengeId);
      if (info?.commitment !== commitment) continue;
      Object.assign(entry, { state: "committed", challengeId: challengeId.toString(), version: info.version, seedBlock: info.seedBlock.toString() });
      return true;
    }
    if (head > from + REVEAL_WINDOW) {
      this.#journal.challenges = this.#journal.challenges.filter((e) => e !== entry);
      this.#refund(entry);
      this.#report(actions, { action: "dropped", modelId: entry.modelId, custodian: entry.custodian, message: `audit: the challenge of ${entry.custodian} for model ${entry.modelId} sent at block ${from} never landed: dropped` });
    }
    return false;
  }

  #refund(entry: JournalEntry): void {
    const index = this.#journal.spent.findIndex((s) => s.bond === entry.bond && s.at === entry.openedAt);
    if (index >= 0) this.#journal.spent.splice(index, 1);
  }

  /** (model, custodian) pairs that can be challenged now: current custodian sets of models not retired, minus self and pairs already open. */
  async #candidates(): Promise<{ modelId: bigint; custodian: Address }[]> {
    const { chain } = this.#options;
    const count = await chain.contracts.vault.read.modelCount();
    let ids = Array.from({ length: Number(count) }, (_, i) => BigInt(i + 1));
    if (ids.length > MAX_MODELS_PER_ROUND) ids = this.#sample(ids, MAX_MODELS_PER_ROUND);
    const open = new Set(this.#journal.challenges.map((e) => `${e.modelId}:${e.custodian.toLowerCase()}`));
    const pairs: { modelId: bigint; custodian: Address }[] = [];
    for (const modelId of ids) {
      const state = await chain.modelState(modelId);
      if (state === null || state.status === "retired") continue;
      const version = await chain.version(modelId, state.version);
      for (const custodian of version?.custodians ?? []) {
        if (isAddressEqual(custodian, this.#me) || open.has(`${modelId}:${custodian.toLowerCase()}`)) continue;
        pairs.push({ modelId, custodian });
      }
    }
    return pairs;
  }

  #sample<T>(items: T[], n: number): T[] {
    const pool = [...items];
    const randomInt = this.#options.randomInt ?? cryptoRandomInt;
    const out: T[] = [];
    while (out.length < n && pool.length > 0) out.push(pool.splice(randomInt(pool.length), 1)[0]!);
    return out;
  }

  async #openNew(): Promise<AuditAction[]> {
    const actions: AuditAction[] = [];
    const { chain, budgetPerDay } = this.#options;
    const wanted = this.#options.pairs ?? 1;
    let picked: { modelId: bigint; custodian: Address }[];
    try {
      this.#bond ??= await chain.contracts.challenges.read.bond();
      picked = this.#sample(await this.#candidates(), wanted);
    } catch (error) {
      this.#report(actions, { action: "error", message: `audit: cannot list the custodian sets: ${errorText(error)}` });
      return actions;
    }
    const bond = this.#bond;
    if (picked.length === 0 && wanted > 0) this.#report(actions, { action: "idle", message: "audit: no (model, custodian) pair to challenge" });
    for (const { modelId, custodian } of picked) {
      const spent = this.spentToday();
      if (spent + bond > budgetPerDay) {
        this.#report(actions, { action: "budget", amount: spent.toString(), message: `audit: daily budget reached (${spent} of ${budgetPerDay} wei spent in 24 h, a bond is ${bond} wei): no more challenges for now` });
        break;
      }
      try {
        await this.#challenge(modelId, custodian, bond, actions);
      } catch (error) {
        this.#report(actions, { action: "error", modelId: modelId.toString(), custodian, message: `audit: cannot challenge ${custodian} on model ${modelId}: ${errorText(error)}` });
      }
    }
    return actions;
  }

  async #challenge(modelId: bigint, custodian: Address, bond: bigint, actions: AuditAction[]): Promise<void> {
    const { chain } = this.#options;
    const salt = (this.#options.randomSalt ?? randomChallengeSalt)();
    const openedAt = this.#now();
    const head = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
    // Journal first: a crash after sending must not lose the salt (nor forget the bond spent).
    const entry: JournalEntry = {
      state: "sending", modelId: modelId.toString(), custodian, salt, bond: bond.toString(), sentAtBlock: head.toString(), openedAt,
    };
    this.#journal.challenges.push(entry);
    this.#journal.spent.push({ at: openedAt, bond: bond.toString() });
    await this.#save();
    let opened;
    try {
      opened = await chain.challenge(modelId, custodian, { salt });
    } catch (error) {
      // A refused simulation sent nothing: forget it. Anything else may have been sent: kept for recovery.
      if (error instanceof ChainRevertError && error.txHash === undefined) {
        this.#journal.challenges = this.#journal.challenges.filter((e) => e !== entry);
        this.#refund(entry);
        await this.#save();
      }
      throw error;
    }
    Object.assign(entry, { state: "committed", challengeId: opened.challengeId.toString(), version: opened.version, seedBlock: opened.seedBlock.toString(), deadlineBlock: opened.deadlineBlock.toString() });
    await this.#save();
    this.#report(actions, {
      action: "challenged", challengeId: opened.challengeId.toString(), modelId: modelId.toString(), version: opened.version, custodian,
      amount: bond.toString(), block: opened.seedBlock.toString(), txHash: opened.txHash,
      message: `audit: challenged ${custodian} on model ${modelId} v${opened.version} (challenge ${opened.challengeId}, bond ${bond} wei, seed block ${opened.seedBlock})`,
    });
  }

  /** Runs rounds every `intervalMs` and passes over the open challenges every `pollMs` until stop(). Never throws. */
  start(options: AuditLoopOptions = {}): void {
    if (this.#loop !== undefined) return;
    const stop = (this.#stop = new AbortController());
    const intervalMs = options.intervalMs ?? 3600_000;
    const pollMs = options.pollMs ?? 5_000;
    const sleep = (ms: number) => new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      stop.signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
    });
    this.#loop = (async () => {
      let nextRound = 0;
      while (!stop.signal.aborted) {
        const now = this.#now();
        try {
          if (now >= nextRound) {
            nextRound = now + intervalMs;
            await this.round();
          } else await this.advance();
        } catch (error) {
          this.#options.onAction?.({ action: "error", message: `audit: ${errorText(error)}` });
        }
        await sleep(pollMs);
      }
    })();
  }

  /** Ends the loop after the step under way; the journal keeps what is still open. */
  async stop(): Promise<void> {
    this.#stop?.abort();
    await this.#loop;
    await this.#busy;
    this.#loop = undefined;
  }
}
