/**
 * Publish sessions of wallet-owned models (wallet-publish.ts): the node seals and stores, the
 * owner's wallet signs. A session lives in memory only, is bounded in number and lifetime, and
 * when it ends (expiry, completion, node stop) its content key and wrapped shares are wiped and
 * the `onExpire` hook releases what it pinned. Ended sessions leave a small tombstone, so a late
 * or repeated call hears SESSION_EXPIRED or SESSION_USED instead of UNKNOWN_SESSION.
 */
import { randomBytes } from "node:crypto";
import { NodeError } from "../errors.js";

export type SessionErrorCode =
  | "UNKNOWN_SESSION"
  | "SESSION_EXPIRED"
  | "SESSION_USED"
  | "SESSION_BUSY"
  | "SESSION_STAGE"
  | "TOO_MANY_SESSIONS"
  | "INVALID_SIGNATURE"
  | "WRONG_SIGNER";

export const SESSION_ERROR_STATUS: Record<SessionErrorCode, number> = {
  UNKNOWN_SESSION: 404,
  SESSION_EXPIRED: 410,
  SESSION_USED: 409,
  SESSION_BUSY: 409,
  SESSION_STAGE: 409,
  TOO_MANY_SESSIONS: 429,
  INVALID_SIGNATURE: 400,
  WRONG_SIGNER: 422,
};

/** A publish session refused the call; the message names the session's state, never its key. */
export class PublishSessionError extends NodeError {
  declare readonly code: SessionErrorCode;
  constructor(code: SessionErrorCode, message: string) {
    super(code, message);
  }
}

export const DEFAULT_SESSION_LIMITS = { maxSessions: 8, lifetimeMs: 15 * 60_000 } as const;
export type SessionLimits = { maxSessions: number; lifetimeMs: number };

/** Ended sessions remembered, for typed answers to late calls. */
const TOMBSTONES = 1024;

interface Entry<S> {
  state: S;
  expiresAt: number;
  timer: NodeJS.Timeout;
  /** A call is working on the session: a concurrent one gets SESSION_BUSY. */
  busy: boolean;
}

export class SessionStore<S> {
  readonly limits: SessionLimits;
  readonly #open = new Map<string, Entry<S>>();
  readonly #ended = new Map<string, { why: "expired" | "used"; outcome?: unknown }>();
  readonly #onEnd: (state: S, why: "expired" | "used" | "closed") => Promise<void>;

  /** `onEnd` wipes and unpins what the session holds; its failure is the operator's (a warning), never the caller's. */
  constructor(limits: Partial<SessionLimits>, onEnd: (state: S, why: "expired" | "used" | "closed") => Promise<void>) {
    this.limits = { ...DEFAULT_SESSION_LIMITS, ...limits };
    this.#onEnd = onEnd;
  }

  /** Refuses before any work when the store is full. */
  reserve(): void {
    if (this.#open.size >= this.limits.maxSessions) {
      throw new PublishSessionError("TOO_MANY_SESSIONS", `${this.#open.size} publish sessions are open (the limit): finish or let one expire first`);
    }
  }

  open(state: S): { id: string; expiresAt: number } {
    this.reserve();
    const id = randomBytes(16).toString("hex");
    const expiresAt = Date.now() + this.limits.lifetimeMs;
    const timer = setTimeout(() => void this.end(id, "expired"), this.limits.lifetimeMs);
    timer.unref();
    this.#open.set(id, { state, expiresAt, timer, busy: false });
    return { id, expiresAt };
  }

  /** Runs `step` on the open session, one call at a time; `step` may end it ("used"). */
  async use<T>(id: string, step: (state: S, expiresAt: number) => Promise<T>): Promise<T> {
    const entry = this.#open.get(id);
    if (entry === undefined) {
      const ended = this.#ended.get(id)?.why;
      if (ended === "expired") throw new PublishSessionError("SESSION_EXPIRED", `publish session ${id} expired: its uploads were unpinned; publish again`);
      if (ended === "used") throw new PublishSessionError("SESSION_USED", `publish session ${id} is complete: it takes no more signatures`);
      throw new PublishSessionError("UNKNOWN_SESSION", `no publish session ${id} (sessions do not survive a node restart)`);
    }
    if (entry.busy) throw new PublishSessionError("SESSION_BUSY", `publish session ${id} is handling another call`);
    entry.busy = true;
    try {
      return await step(entry.state, entry.expiresAt);
    } finally {
      entry.busy = false;
    }
  }

  /** What a completed session answered (kept with its tombstone: a lost answer can be read again). */
  outcome(id: string): unknown {
    return this.#ended.get(id)?.outcome;
  }

  /** Ends the session: its state goes to `onEnd`, its id (and a completed one's outcome) to the tombstones. */
  async end(id: string, why: "expired" | "used", outcome?: unknown): Promise<void> {
    const entry = this.#open.get(id);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.#open.delete(id);
    this.#ended.set(id, { why, outcome });
    if (this.#ended.size > TOMBSTONES) this.#ended.delete(this.#ended.keys().next().value!);
    await this.#onEnd(entry.state, why).catch((error: unknown) => {
      process.emitWarning(`modelvault publish session ${id}: cleanup failed: ${(error as Error)?.message ?? String(error)}`);
    });
  }

  get size(): number {
    return this.#open.size;
  }

  /** Ends every open session (the node stops). */
  async close(): Promise<void> {
    for (const [id, entry] of [...this.#open]) {
      clearTimeout(entry.timer);
      this.#open.delete(id);
      await this.#onEnd(entry.state, "closed").catch(() => {});
    }
  }
}
