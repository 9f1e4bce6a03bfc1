/**
 * Deadlines for network reads. A missing CID makes Helia wait forever, so every fetch runs
 * under a signal: aborted by the caller, or by `ms` without progress (an idle timeout, not a
 * total one: a large model may take long, but never stall).
 */
class IdleTimeout extends Error {}

/** Runs `make(signal)` and yields its items; throws `onTimeout()` after `ms` without an item. */
export async function* withIdleTimeout<T>(
  make: (signal: AbortSignal) => AsyncIterable<T>,
  ms: number,
  onTimeout: () => Error,
  outer?: AbortSignal,
): AsyncGenerator<T, void, undefined> {
  const controller = new AbortController();
  const forward = () => controller.abort(outer?.reason);
  outer?.addEventListener("abort", forward, { once: true });
  if (outer?.aborted) forward();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => (timer = setTimeout(() => controller.abort(new IdleTimeout()), ms));
  try {
    arm();
    for await (const item of make(controller.signal)) {
      clearTimeout(timer);
      yield item; // the consumer's own time does not count as idle
      arm();
    }
  } catch (error) {
    if (controller.signal.reason instanceof IdleTimeout) throw onTimeout();
    throw error;
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener("abort", forward);
  }
}

/** Collects an async iterable of byte chunks under an idle timeout. */
export async function collectWithin(
  make: (signal: AbortSignal) => AsyncIterable<Uint8Array>,
  ms: number,
  onTimeout: () => Error,
  outer?: AbortSignal,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of withIdleTimeout(make, ms, onTimeout, outer)) parts.push(part);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
