/**
 * Bytes this peer moved over the network, by direction (in: fetched from others; out: served to
 * others) and route (bitswap, trustless gateway): today's totals (UTC day), totals since start,
 * and rates over the last 10 s and 60 s. Recording is O(1) (one-second buckets in a ring of 60),
 * so it sits on the block path; a snapshot costs 60 additions per direction.
 */

export type TransferDirection = "in" | "out";
export type TransferRoute = "bitswap" | "gateway";

const WINDOW_S = 60;

export interface RouteBytes {
  bitswap: number;
  gateway: number;
  total: number;
}

export interface TransferSnapshot {
  /** UTC date (YYYY-MM-DD) of `today`. */
  day: string;
  today: Record<TransferDirection, RouteBytes>;
  sinceStart: Record<TransferDirection, RouteBytes>;
  /** Bytes per second, averaged over the window that ends now. */
  rates: Record<TransferDirection, { last10s: number; last60s: number }>;
}

const zero = (): RouteBytes => ({ bitswap: 0, gateway: 0, total: 0 });
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

class SecondRing {
  readonly #bytes = new Float64Array(WINDOW_S);
  readonly #second = new Float64Array(WINDOW_S).fill(-1);

  add(second: number, bytes: number): void {
    const slot = second % WINDOW_S;
    if (this.#second[slot] !== second) {
      this.#second[slot] = second;
      this.#bytes[slot] = 0;
    }
    this.#bytes[slot]! += bytes;
  }

  /** Bytes recorded in the `seconds` seconds up to and including `now`'s second. */
  sum(now: number, seconds: number): number {
    let sum = 0;
    for (let slot = 0; slot < WINDOW_S; slot++) {
      const second = this.#second[slot]!;
      if (second <= now && second > now - seconds) sum += this.#bytes[slot]!;
    }
    return sum;
  }
}

export class TransferMeter {
  readonly #now: () => number;
  readonly #rings: Record<TransferDirection, SecondRing> = { in: new SecondRing(), out: new SecondRing() };
  readonly #sinceStart: Record<TransferDirection, RouteBytes> = { in: zero(), out: zero() };
  #today: Record<TransferDirection, RouteBytes> = { in: zero(), out: zero() };
  #day: string;

  /** `now`: milliseconds since the epoch (a test's clock). */
  constructor(now: () => number = Date.now) {
    this.#now = now;
    this.#day = utcDay(now());
  }

  record(direction: TransferDirection, route: TransferRoute, bytes: number): void {
    if (!(bytes > 0)) return;
    const ms = this.#now();
    this.#rollDay(ms);
    this.#rings[direction].add(Math.floor(ms / 1000), bytes);
    for (const totals of [this.#today[direction], this.#sinceStart[direction]]) {
      totals[route] += bytes;
      totals.total += bytes;
    }
  }

  snapshot(): TransferSnapshot {
    const ms = this.#now();
    this.#rollDay(ms);
    const second = Math.floor(ms / 1000);
    const rate = (direction: TransferDirection) => ({
      last10s: this.#rings[direction].sum(second, 10) / 10,
      last60s: this.#rings[direction].sum(second, 60) / 60,
    });
    return {
      day: this.#day,
      today: structuredClone(this.#today),
      sinceStart: structuredClone(this.#sinceStart),
      rates: { in: rate("in"), out: rate("out") },
    };
  }

  #rollDay(ms: number): void {
    const day = utcDay(ms);
    if (day === this.#day) return;
    this.#day = day;
    this.#today = { in: zero(), out: zero() };
  }
}
