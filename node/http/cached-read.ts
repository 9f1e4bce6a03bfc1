/**
 * A read shared by every caller for a few seconds, for answers polled often (GET /v1/status):
 * at most one read runs at a time, its result (a failure too) is kept for `ttlMs`, and a caller
 * waits at most `waitMs` for a read in flight: past that it gets the last result, or a timeout
 * error when there is none yet. So a slow or dead RPC costs one read per TTL, never a slow answer.
 */

export type Settled<T> = { ok: true; value: T; at: number } | { ok: false; error: unknown; at: number };

export class ReadTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms (still waiting; a later request gets it)`);
    this.name = "ReadTimeoutError";
  }
}

export class CachedRead<T> {
  readonly #read: () => Promise<T>;
  readonly #ttlMs: number;
  readonly #waitMs: number;
  #last: Settled<T> | undefined;
  #running: Promise<Settled<T>> | undefined;

  constructor(read: () => Promise<T>, options: { ttlMs: number; waitMs: number }) {
    this.#read = read;
    this.#ttlMs = options.ttlMs;
    this.#waitMs = options.waitMs;
  }

  async get(): Promise<Settled<T>> {
    const last = this.#last;
    if (last !== undefined && Date.now() - last.at < this.#ttlMs) return last;
    const running = (this.#running ??= this.#start());
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), this.#waitMs)));
    try {
      const settled = await Promise.race([running, late]);
      return settled ?? this.#last ?? { ok: false, error: new ReadTimeoutError(this.#waitMs), at: Date.now() };
    } finally {
      clearTimeout(timer);
    }
  }

  #start(): Promise<Settled<T>> {
    return this.#read()
      .then((value): Settled<T> => ({ ok: true, value, at: Date.now() }), (error: unknown): Settled<T> => ({ ok: false, error, at: Date.now() }))
      .then((settled) => {
        this.#last = settled;
        this.#running = undefined;
        return settled;
      });
  }
}
