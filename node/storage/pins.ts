/** Pins of a storage peer: what gc() must keep. Thin, typed wrappers over Helia's pins. */
import { CID } from "multiformats/cid";
import { ContentNotFoundError, InvalidManifestError } from "../errors.js";
import { withIdleTimeout } from "../idle-timeout.js";
import { prefetchDag } from "./dag-prefetch.js";
import { leafAwareWalker } from "./pin-walker.js";
import type { StoragePeer } from "./storage-peer.js";

export interface PinInfo {
  cid: string;
  depth: number;
  metadata: Record<string, string | number | boolean>;
}

export function parseCid(text: string): CID {
  try {
    return CID.parse(text);
  } catch (error) {
    throw new InvalidManifestError(`not a CID: ${JSON.stringify(String(text).slice(0, 100))}`, { cause: error });
  }
}

export async function listPins(peer: StoragePeer, signal?: AbortSignal): Promise<PinInfo[]> {
  const pins: PinInfo[] = [];
  for await (const pin of peer.helia.pins.ls({ signal })) {
    pins.push({ cid: pin.cid.toString(), depth: pin.depth, metadata: pin.metadata });
  }
  return pins;
}

export interface AddPinOptions {
  /** Give up when no block arrives for this long (default: only `signal` ends it). */
  idleTimeoutMs?: number;
}

/**
 * Brings every missing block of the DAG under `cid` into the blockstore, many at once from every
 * source the peer knows (prefetchDag), so that pinning it afterwards is a local walk.
 */
export async function fetchDag(peer: StoragePeer, cid: CID, signal: AbortSignal, options: AddPinOptions = {}): Promise<void> {
  const session = peer.session();
  try {
    const ms = options.idleTimeoutMs ?? 2 ** 31 - 1;
    const blocks = withIdleTimeout((inner) => prefetchDag(peer, session, cid, { signal: inner }), ms, () => new ContentNotFoundError(cid.toString(), ms), signal);
    for await (const _ of blocks) {
      // each yielded CID is one block now in the blockstore
    }
  } finally {
    session.close();
  }
}

/** Pins a DAG (recursively), fetching what is missing first. Idempotent. */
export async function addPin(
  peer: StoragePeer,
  cid: CID,
  signal: AbortSignal = new AbortController().signal,
  metadata: PinInfo["metadata"] = {},
  options: AddPinOptions = {},
): Promise<void> {
  if (await peer.helia.pins.isPinned(cid, { signal })) return;
  await fetchDag(peer, cid, signal, options);
  for await (const _ of peer.helia.pins.add(cid, { signal, metadata, walker: leafAwareWalker() })) {
    // drain: yields each pinned block
  }
}

/** Unpins; the blocks stay until the next gc(). Idempotent. */
export async function removePin(peer: StoragePeer, cid: CID, signal?: AbortSignal): Promise<void> {
  if (!(await peer.helia.pins.isPinned(cid, { signal }))) return;
  for await (const _ of peer.helia.pins.rm(cid, { signal, walker: leafAwareWalker() })) {
    // drain
  }
}
