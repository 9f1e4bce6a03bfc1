/**
 * Fairness for release requests: token buckets per client address (every request, before its
 * body is read) and per licensee (requests that passed the signature check, so nobody can spend
 * another licensee's allowance with its public ticket ids). A request over either limit is
 * refused with RATE_LIMITED (HTTP 429) and the seconds until a token is back (Retry-After), at
 * the cost of a map lookup: a flood costs the flooder its own requests, not the others' latency.
 *
 * Memory is bounded: at most `maxTracked` buckets per kind; past that the least recently used
 * leaves (it comes back full, so evicting can only be generous, never refuse anyone).
 */
import { CustodyRefusedError } from "./errors.js";

export interface RateLimit {
  /** Sustained requests per second. 0 turns the limit off. */
  perSecond: number;
  /** Requests allowed at once on top of the rate (the bucket's size). */
  burst: number;
}

export interface ReleaseLimitsConfig {
  /** Per licensee address (the ticket's licensee), counted after the request's signature checked out. */
  licensee: RateLimit;
  /** Per client IP address, counted for every release request. */
  client: RateLimit;
}

/** A licensee needs one request per custodian per key; a client address may be a NAT of many. */
export const DEFAULT_RELEASE_LIMITS: ReleaseLimitsConfig = {
  licensee: { perSecond: 20, burst: 40 },
  client: { perSecond: 500, burst: 1000 },
};
const DEFAULT_MAX_TRACKED = 100_000;

/** Refused for going over a limit; retryAfterS is when the next request would pass. */
export class RateLimitedError extends CustodyRefusedError {
  constructor(readonly retryAfterS: number, who: string) {
    super("RATE_LIMITED", `too many release requests from this ${who}; retry in ${retryAfterS} s`);
  }
}

interface Bucket {
  tokens: number;
  /** ms clock of the last refill. */
  at: number;
}

export class TokenBuckets {
  readonly #limit: RateLimit;
  readonly #maxTracked: number;
  readonly #now: () => number;
  /** Insertion order = recency: a used bucket is moved to the end. */
  readonly #buckets = new Map<string, Bucket>();

  constructor(limit: RateLimit, options: { maxTracked?: number; now?: () => number } = {}) {
    this.#limit = limit;
    this.#maxTracked = options.maxTracked ?? DEFAULT_MAX_TRACKED;
    this.#now = options.now ?? (() => performance.now());
  }

  get size(): number {
    return this.#buckets.size;
  }

  /** Takes a token for `key`: 0 if it had one, else the whole seconds until it will. */
  take(key: string): number {
    const { perSecond, burst } = this.#limit;
    if (perSecond <= 0) return 0;
    const now = this.#now();
    const capacity = Math.max(1, burst);
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: capacity, at: now };
      if (this.#buckets.size >= this.#maxTracked) this.#buckets.delete(this.#buckets.keys().next().value!);
    } else {
      this.#buckets.delete(key);
      bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
      bucket.at = now;
    }
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
  }
}

/** The two kinds of limits of a custodian's release route. */
export class ReleaseLimits {
  readonly #licensees: TokenBuckets;
  readonly #clients: TokenBuckets;

  constructor(config: ReleaseLimitsConfig = DEFAULT_RELEASE_LIMITS, options: { maxTracked?: number; now?: () => number } = {}) {
    this.#licensees = new TokenBuckets(config.licensee, options);
    this.#clients = new TokenBuckets(config.client, options);
  }

  /** Throws RateLimitedError if the client address is over its limit. */
  client(address: string): void {
    const wait = this.#clients.take(address);
    if (wait > 0) throw new RateLimitedError(wait, "client address");
  }

  /** Throws RateLimitedError if the licensee is over its limit. */
  licensee(address: string): void {
    const wait = this.#licensees.take(address.toLowerCase());
    if (wait > 0) throw new RateLimitedError(wait, "licensee");
  }
}
