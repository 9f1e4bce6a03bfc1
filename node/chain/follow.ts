/**
 * A log follower that polls block ranges (eth_getLogs), never filters: eth_newFilter state is
 * lost when a node restarts and its results are not reorg-safe. A log is delivered once its
 * block has the required confirmations, in chain order, and the cursor only moves past a range
 * after onLogs for it has returned, so a follower resumed from its cursor misses nothing.
 */

/** The position of a log in the chain. */
export interface LogPosition {
  blockNumber: bigint;
  logIndex: number;
}

export interface LogSource<L extends LogPosition> {
  /** The current head block number. */
  head(): Promise<bigint>;
  /** The logs in [fromBlock, toBlock], both inclusive. */
  fetch(fromBlock: bigint, toBlock: bigint): Promise<L[]>;
}

export interface FollowLogsOptions<L extends LogPosition> {
  /** First block to scan. */
  fromBlock: bigint;
  /** Confirmations a block needs before its logs are delivered (1 = the head block counts). */
  confirmations: number;
  /** Pause between polls once caught up. */
  pollingIntervalMs: number;
  /** Largest block range asked for at once (RPC providers cap eth_getLogs ranges). */
  maxBlockRange: number;
  /**
   * Receives each batch of logs (never empty), in order. Awaited before the cursor moves on; if
   * it throws, the error goes to onError and the same range is delivered again after a backoff.
   */
  onLogs(logs: L[]): void | Promise<void>;
  /** Told about each failed poll (RPC errors are retried with backoff, never thrown). */
  onError?: ((error: Error) => void) | undefined;
  /** Aborting stops the follower, like stop(). */
  signal?: AbortSignal | undefined;
  /** Turns raw errors into the typed ones onError receives. */
  mapError?: ((error: unknown) => Error) | undefined;
}

export interface EventFollower {
  /** Stops polling; resolves once no onLogs call is running or will be made. */
  stop(): Promise<void>;
  /** The next block to scan: pass it as fromBlock to resume after a restart. */
  readonly cursor: bigint;
}

/** Longest wait between retries after failures. */
export const MAX_BACKOFF_MS = 30_000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

function byPosition(a: LogPosition, b: LogPosition): number {
  if (a.blockNumber !== b.blockNumber) return a.blockNumber < b.blockNumber ? -1 : 1;
  return a.logIndex - b.logIndex;
}

export function followLogs<L extends LogPosition>(source: LogSource<L>, options: FollowLogsOptions<L>): EventFollower {
  const { onLogs, onError, mapError, signal } = options;
  const range = BigInt(Math.max(1, Math.floor(options.maxBlockRange)));
  // 0 and 1 both mean "the head block may be delivered".
  const lag = BigInt(Math.max(1, options.confirmations) - 1);
  const controller = new AbortController();
  const abort = () => controller.abort();
  signal?.addEventListener("abort", abort, { once: true });
  if (signal?.aborted) abort();
  const stopped = () => controller.signal.aborted;

  let cursor = options.fromBlock;
  let failures = 0;

  function report(error: unknown): void {
    if (onError === undefined) return;
    try {
      onError(mapError === undefined ? (error instanceof Error ? error : new Error(String(error))) : mapError(error));
    } catch {
      // A throwing error handler must not end the follower.
    }
  }

  const done = (async () => {
    while (!stopped()) {
      try {
        const safeHead = (await source.head()) - lag;
        while (!stopped() && cursor <= safeHead) {
          const last = cursor + range - 1n < safeHead ? cursor + range - 1n : safeHead;
          const logs = await source.fetch(cursor, last);
          if (stopped()) return;
          if (logs.length > 0) await onLogs([...logs].sort(byPosition));
          cursor = last + 1n;
          failures = 0;
        }
        await sleep(options.pollingIntervalMs, controller.signal);
      } catch (error) {
        failures++;
        report(error);
        const backoff = Math.min(MAX_BACKOFF_MS, options.pollingIntervalMs * 2 ** Math.min(failures, 16));
        await sleep(backoff, controller.signal);
      }
    }
  })();

  return {
    async stop() {
      abort();
      await done;
      signal?.removeEventListener("abort", abort);
    },
    get cursor() {
      return cursor;
    },
  };
}
