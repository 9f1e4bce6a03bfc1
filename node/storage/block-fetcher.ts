/**
 * One read's blocks from many sources at once. Each block this peer lacks is asked of ONE
 * source (not raced everywhere), chosen by expected completion time, with a cap on what each
 * source has in flight, so several peers and gateways holding a model serve different leaves
 * in parallel and faster sources take more. A request that outlives a few times its source's
 * usual latency is hedged to another source; the loser is cancelled and marked slow. A source
 * that fails cools down (doubling backoff); one that sends a wrong block is dropped for the rest
 * of this fetch; a DONT_HAVE only steers that block elsewhere. With no usable source a request
 * waits for one (a peer reconnecting, a cooldown ending) until the caller's deadline.
 * Every block fetched is stored in the blockstore before it is handed out, so an interrupted
 * fetch resumes from what it already has.
 */
import type { CID } from "multiformats/cid";
import { BlockNotLocalError } from "../errors.js";
import { SourceFailure, type BlockSource } from "./block-sources.js";
import { localBlockstore, readLocal, type LocalBlockstore } from "./local-blockstore.js";
import type { SourceDirectory } from "./source-directory.js";
import type { HeliaPeer } from "./storage-peer.js";

/** Blocks one source may have in flight for one fetch. */
export const SOURCE_CONCURRENCY = { bitswap: 16, gateway: 16 } as const;
/** Hedge after this many times the source's smoothed latency... */
const HEDGE_FACTOR = 4;
/** ...but never sooner than this, and before any sample, after HEDGE_INITIAL_MS. */
const HEDGE_MIN_MS = 250;
const HEDGE_INITIAL_MS = 1_000;
/**
 * An attempt that delivers nothing for this long (or 8x its source's usual latency, if longer) is
 * given up and asked again, the same source included: @helia/bitswap silently drops a want for a
 * block it sent in the last 5 s, so a re-asked block can otherwise wait forever.
 */
const ATTEMPT_TIMEOUT_MS = 8_000;
/** Cooldown after a failure: doubles per consecutive failure up to the max. */
const COOLDOWN_MS = 250;
const COOLDOWN_MAX_MS = 4_000;
/** A DONT_HAVE steers a block elsewhere for this long (the peer may be fetching it itself). */
const MISSING_RETRY_MS = 1_000;
/** How often waiting requests look again for a source (cooldowns ending, DONT_HAVEs expiring). */
const RETRY_TICK_MS = 200;

export interface SourceStats {
  kind: BlockSource["kind"];
  blocks: number;
  bytes: number;
  failures: number;
  missing: number;
  /** Set once the source sent a block that did not match its CID. */
  dropped: boolean;
}

export interface FetchStats {
  /** Blocks and bytes that came over the network in this read. */
  networkBlocks: number;
  networkBytes: number;
  /** Blocks that were already in the blockstore. */
  localBlocks: number;
  localBytes: number;
  /** Hedged requests (a second source asked because the first was slow). */
  hedges: number;
  sources: Record<string, SourceStats>;
}

interface SourceState {
  source: BlockSource;
  limit: number;
  inFlight: number;
  ewmaMs: number | undefined;
  consecutiveFailures: number;
  coolUntil: number;
  dropped: boolean;
  stats: SourceStats;
}

interface Attempt {
  state: SourceState;
  controller: AbortController;
  startedAt: number;
  hedge: NodeJS.Timeout | undefined;
  giveUp: NodeJS.Timeout | undefined;
}

interface Request {
  cid: CID;
  attempts: Attempt[];
  /** Source id -> when it said DONT_HAVE. */
  lacking: Map<string, number>;
  /** A hedge timer fired: one more attempt on another source is due. */
  wantsHedge: boolean;
  settled: boolean;
  resolve(bytes: Uint8Array): void;
  reject(error: unknown): void;
}

export interface FetchSessionOptions {
  /** Gateways for this read only (e.g. the custodians of a model), besides the directory's. */
  gateways?: readonly string[];
  /** Local blocks only: a missing one is a BlockNotLocalError, never a network request. */
  offline?: boolean;
}

export class FetchSession {
  readonly #local: LocalBlockstore;
  readonly #directory: SourceDirectory;
  readonly #extra: BlockSource[];
  readonly #offline: boolean;
  readonly #states = new Map<string, SourceState>();
  readonly #waiting: Request[] = [];
  /** Requests with at least one attempt started and not yet settled. */
  readonly #running = new Set<Request>();
  readonly #unsubscribe: () => void;
  #tick: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #stats: FetchStats = { networkBlocks: 0, networkBytes: 0, localBlocks: 0, localBytes: 0, hedges: 0, sources: {} };

  constructor(helia: HeliaPeer, directory: SourceDirectory, options: FetchSessionOptions = {}) {
    this.#local = localBlockstore(helia);
    this.#directory = directory;
    this.#extra = (options.gateways ?? []).map((url) => directory.gatewaySource(url));
    this.#offline = options.offline === true;
    this.#unsubscribe = directory.onChange(() => this.#refresh());
    this.#refresh();
  }

  get stats(): FetchStats {
    return structuredClone(this.#stats);
  }

  /** The block: from the blockstore when present, else from the network (then stored). */
  async get(cid: CID, signal: AbortSignal): Promise<Uint8Array> {
    signal.throwIfAborted();
    // One read, no existence check first: a miss costs a failed open, a hit one stat less.
    const local = await readLocal(this.#local, cid, signal);
    if (local !== undefined) {
      this.#stats.localBlocks++;
      this.#stats.localBytes += local.length;
      this.#directory.totals.localBlocks++;
      this.#directory.totals.localBytes += local.length;
      return local;
    }
    if (this.#offline) throw new BlockNotLocalError(cid.toString());
    const fetched = await this.#fetch(cid, signal);
    // Stored before anyone reads it (resume needs it there), then announced: peers that want
    // it from us (a fetch chained through this node) get it now.
    const bytes = await this.#directory.ingest.store(cid, fetched, signal);
    await this.#directory.announce(cid);
    return bytes;
  }

  /** Stops every attempt still running; later get()s of missing blocks fail. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    clearInterval(this.#tick);
    const closed = new Error("fetch session closed");
    for (const request of [...this.#waiting, ...this.#running]) this.#settle(request, closed);
  }

  #fetch(cid: CID, signal: AbortSignal): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new Error("fetch session closed"));
    return new Promise<Uint8Array>((resolve, reject) => {
      const request: Request = { cid, attempts: [], lacking: new Map(), wantsHedge: false, settled: false, resolve, reject };
      const onAbort = () => this.#settle(request, signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      request.resolve = (bytes) => {
        signal.removeEventListener("abort", onAbort);
        resolve(bytes);
      };
      request.reject = (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      };
      this.#waiting.push(request);
      this.#pump();
    });
  }

  /** Syncs the per-source states with the sources usable now; attempts on vanished ones are retried elsewhere. */
  #refresh(): void {
    const current = new Map<string, BlockSource>();
    for (const source of [...this.#directory.current(), ...this.#extra]) current.set(source.id, source);
    for (const [id, state] of this.#states) {
      if (current.get(id) === state.source) continue;
      // Gone, or replaced (a peer that reconnected): its attempts start over elsewhere.
      this.#states.delete(id);
      for (const request of this.#running) {
        for (const attempt of request.attempts.filter((a) => a.state === state)) this.#dropAttempt(request, attempt);
      }
    }
    for (const [id, source] of current) {
      if (this.#states.has(id)) continue;
      const stats = (this.#stats.sources[id] ??= { kind: source.kind, blocks: 0, bytes: 0, failures: 0, missing: 0, dropped: false });
      this.#states.set(id, {
        source,
        limit: SOURCE_CONCURRENCY[source.kind],
        inFlight: 0,
        ewmaMs: undefined,
        consecutiveFailures: 0,
        coolUntil: 0,
        dropped: stats.dropped, // a source that lied stays dropped for this fetch, even after a reconnect
        stats,
      });
    }
    this.#pump();
  }

  /** Starts attempts while requests need one and sources have room. */
  #pump(): void {
    if (this.#closed) return;
    const now = Date.now();
    for (let i = 0; i < this.#waiting.length; ) {
      const request = this.#waiting[i]!;
      const state = this.#pick(request, now);
      if (state === undefined) {
        i++;
        continue;
      }
      this.#waiting.splice(i, 1);
      request.wantsHedge = false;
      this.#start(request, state);
    }
    // Requests left waiting look again on a timer: cooldowns end and DONT_HAVEs expire without an event.
    if (this.#waiting.length > 0 && this.#tick === undefined) {
      this.#tick = setInterval(() => this.#pump(), RETRY_TICK_MS);
      this.#tick.unref();
    } else if (this.#waiting.length === 0 && this.#tick !== undefined) {
      clearInterval(this.#tick);
      this.#tick = undefined;
    }
  }

  /** The source with room expected to deliver soonest; sources that lack the block go last. */
  #pick(request: Request, now: number): SourceState | undefined {
    let best: SourceState | undefined;
    let bestCost = Infinity;
    const known = [...this.#states.values()].map((s) => s.ewmaMs).filter((x): x is number => x !== undefined);
    const typical = known.length > 0 ? Math.min(...known) : 50;
    for (const state of this.#states.values()) {
      if (state.dropped || state.coolUntil > now || state.inFlight >= state.limit) continue;
      if (request.attempts.some((a) => a.state === state)) continue;
      const saidMissing = request.lacking.get(state.source.id);
      if (saidMissing !== undefined && now - saidMissing < MISSING_RETRY_MS) continue;
      // Expected time to finish: its queue ahead plus this block, at its own pace; a source that
      // mostly answers DONT_HAVE is tried after the others.
      const pace = state.ewmaMs ?? typical;
      const misses = state.stats.missing > state.stats.blocks ? 4 : 1;
      const cost = ((state.inFlight + 1) * pace * misses) / state.limit;
      if (cost < bestCost) {
        best = state;
        bestCost = cost;
      }
    }
    return best;
  }

  #start(request: Request, state: SourceState): void {
    const attempt: Attempt = { state, controller: new AbortController(), startedAt: Date.now(), hedge: undefined, giveUp: undefined };
    if (request.attempts.length > 0) this.#stats.hedges++;
    request.attempts.push(attempt);
    this.#running.add(request);
    state.inFlight++;
    const delay = state.ewmaMs === undefined ? HEDGE_INITIAL_MS : Math.max(HEDGE_MIN_MS, HEDGE_FACTOR * state.ewmaMs);
    attempt.hedge = setTimeout(() => {
      if (request.settled || request.wantsHedge || this.#waiting.includes(request)) return;
      request.wantsHedge = true;
      this.#waiting.unshift(request); // hedges go first: they unblock the reader
      this.#pump();
    }, delay);
    attempt.hedge.unref();
    const patience = Math.max(ATTEMPT_TIMEOUT_MS, 8 * (state.ewmaMs ?? 0));
    attempt.giveUp = setTimeout(() => attempt.controller.abort(new SourceFailure("failed", `${state.source.id} sent nothing for ${patience} ms`)), patience);
    attempt.giveUp.unref();
    state.source.get(request.cid, attempt.controller.signal).then(
      (bytes) => this.#succeeded(request, attempt, bytes),
      (error: unknown) => this.#failed(request, attempt, error),
    );
  }

  #finish(request: Request, attempt: Attempt): boolean {
    clearTimeout(attempt.hedge);
    clearTimeout(attempt.giveUp);
    const index = request.attempts.indexOf(attempt);
    if (index === -1) return false; // already dropped (its source vanished)
    request.attempts.splice(index, 1);
    attempt.state.inFlight = Math.max(0, attempt.state.inFlight - 1);
    return true;
  }

  #succeeded(request: Request, attempt: Attempt, bytes: Uint8Array): void {
    if (!this.#finish(request, attempt) || request.settled) return this.#pump();
    const { state } = attempt;
    const ms = Date.now() - attempt.startedAt;
    state.ewmaMs = state.ewmaMs === undefined ? ms : 0.8 * state.ewmaMs + 0.2 * ms;
    state.consecutiveFailures = 0;
    state.stats.blocks++;
    state.stats.bytes += bytes.length;
    this.#stats.networkBlocks++;
    this.#stats.networkBytes += bytes.length;
    this.#directory.totals.networkBlocks++;
    this.#directory.totals.networkBytes += bytes.length;
    this.#directory.transfer.record("in", state.source.kind, bytes.length);
    // Attempts that started before this one and lost are slow (or stalled): their sources cool down.
    for (const other of [...request.attempts]) {
      this.#finish(request, other);
      other.controller.abort(new Error("another source delivered first"));
      if (other.startedAt < attempt.startedAt) this.#cool(other.state);
    }
    this.#settle(request, undefined, bytes);
  }

  #failed(request: Request, attempt: Attempt, error: unknown): void {
    if (!this.#finish(request, attempt) || request.settled) return this.#pump();
    const { state } = attempt;
    const reason = error instanceof SourceFailure ? error.reason : "failed";
    if (reason === "missing") {
      state.stats.missing++;
      request.lacking.set(state.source.id, Date.now());
    } else if (reason === "corrupt") {
      state.dropped = state.stats.dropped = true;
      state.stats.failures++;
    } else {
      state.stats.failures++;
      this.#cool(state);
    }
    if (request.attempts.length === 0 && !this.#waiting.includes(request)) this.#waiting.unshift(request);
    this.#pump();
  }

  /** Cools a source down; failures while it is cooling already (its other attempts in flight) count as one. */
  #cool(state: SourceState): void {
    const now = Date.now();
    if (state.coolUntil > now) return;
    state.consecutiveFailures++;
    state.coolUntil = now + Math.min(COOLDOWN_MAX_MS, COOLDOWN_MS * 2 ** (state.consecutiveFailures - 1));
  }

  /** An attempt whose source vanished: cancelled, and the request goes back to the queue. */
  #dropAttempt(request: Request, attempt: Attempt): void {
    if (!this.#finish(request, attempt)) return;
    attempt.controller.abort(new Error("source went away"));
    if (!request.settled && request.attempts.length === 0 && !this.#waiting.includes(request)) this.#waiting.unshift(request);
  }

  #settle(request: Request, error: unknown, bytes?: Uint8Array): void {
    if (request.settled) return;
    request.settled = true;
    this.#running.delete(request);
    const index = this.#waiting.indexOf(request);
    if (index !== -1) this.#waiting.splice(index, 1);
    for (const attempt of request.attempts.splice(0)) {
      clearTimeout(attempt.hedge);
      clearTimeout(attempt.giveUp);
      attempt.state.inFlight = Math.max(0, attempt.state.inFlight - 1);
      attempt.controller.abort(error ?? new Error("request settled"));
    }
    if (bytes !== undefined) request.resolve(bytes);
    else request.reject(error);
    this.#pump();
  }
}
