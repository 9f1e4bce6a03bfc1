/**
 * Brings every block of a DAG into the blockstore, many at once through a FetchSession, before
 * it is pinned: Helia's pin walk fetches one block at a time (one round trip per leaf), so
 * pinning a remote model this way first turns a serial download into a parallel one and leaves
 * the pin walk all-local. Any codec Helia knows (dag-pb, raw, dag-json manifests) is followed.
 */
import { createUnsafe } from "multiformats/block";
import type { CID } from "multiformats/cid";
import type { FetchSession } from "./block-fetcher.js";
import type { StoragePeer } from "./storage-peer.js";

const RAW_CODE = 0x55;
export const DEFAULT_PREFETCH_CONCURRENCY = 32;

/** Yields each block's CID once it is in the blockstore (an idle timeout can watch the pace). */
export async function* prefetchDag(
  peer: StoragePeer,
  session: FetchSession,
  root: CID,
  options: { signal: AbortSignal; concurrency?: number },
): AsyncGenerator<CID, void, undefined> {
  const concurrency = options.concurrency ?? DEFAULT_PREFETCH_CONCURRENCY;
  const controller = new AbortController();
  const stop = () => controller.abort(options.signal.reason);
  options.signal.addEventListener("abort", stop, { once: true });
  if (options.signal.aborted) stop();
  const { signal } = controller;
  const { blockstore } = peer.helia;

  const stack: CID[] = [root];
  const seen = new Set<string>([root.toString()]);
  const done: CID[] = [];
  let running = 0;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };

  const visit = async (cid: CID) => {
    // A local leaf has no links: nothing to read.
    if (cid.code === RAW_CODE && (await blockstore.has(cid, { signal }))) return;
    const bytes = await session.get(cid, signal);
    if (cid.code === RAW_CODE) return;
    const block = createUnsafe({ cid, bytes, codec: await peer.helia.getCodec(cid.code) });
    const children = [...block.links()].map(([, child]) => child).filter((child) => !seen.has(child.toString()));
    for (const child of children) seen.add(child.toString());
    stack.push(...children.reverse()); // depth first, left to right
  };
  const start = (cid: CID) => {
    running++;
    visit(cid).then(
      () => done.push(cid),
      (error: unknown) => (failure ??= { error }),
    ).finally(() => {
      running--;
      notify();
    });
  };

  try {
    while (true) {
      while (failure === undefined && running < concurrency && stack.length > 0) start(stack.pop()!);
      if (failure === undefined && running === 0 && stack.length === 0 && done.length === 0) return;
      if (done.length === 0 && failure === undefined) await new Promise<void>((resolve) => (wake = resolve));
      while (done.length > 0) yield done.shift()!;
      if (failure !== undefined) throw failure.error;
    }
  } finally {
    controller.abort(new Error("prefetch ended"));
    options.signal.removeEventListener("abort", stop);
  }
}
