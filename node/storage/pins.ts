/** Pins of a storage peer: what gc() must keep. Thin, typed wrappers over Helia's pins. */
import { CID } from "multiformats/cid";
import { InvalidManifestError } from "../errors.js";
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

/** Pins a DAG (recursively); fetches missing blocks from peers. Idempotent. */
export async function addPin(peer: StoragePeer, cid: CID, signal?: AbortSignal, metadata: PinInfo["metadata"] = {}): Promise<void> {
  if (await peer.helia.pins.isPinned(cid, { signal })) return;
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
