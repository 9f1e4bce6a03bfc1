/**
 * The blockstore under Helia's network layer: reads that never reach a peer (the trustless
 * gateway serves only what the node holds) and writes without the network layer's second
 * existence check (a fetch session stores what it fetched and announces it itself).
 */
import type { CarComponents } from "@helia/car";
import type { CID } from "multiformats/cid";
import type { HeliaPeer } from "./storage-peer.js";

export type LocalBlockstore = CarComponents["blockstore"];

/**
 * Helia's blockstore below its network layer. helia.blockstore is BlockStorage (the GC lock)
 * over NetworkedStorage (which asks the block brokers, bitswap, for a missing block unless told
 * `offline`) over IdentityBlockstore (inline identity CIDs) over our FastFsBlockstore. Each
 * wrapper has unwrap() (not in the interface type); the innermost store has none and has no
 * way to reach a peer. Throws when the layering is not what we expect, rather than risk
 * serving through the network layer.
 */
export function localBlockstore(helia: HeliaPeer): LocalBlockstore {
  let store: unknown = helia.blockstore;
  for (let depth = 0; depth < 2; depth++) {
    const unwrap = (store as { unwrap?: unknown }).unwrap;
    if (typeof unwrap !== "function") throw new Error("Helia's blockstore layering changed: cannot reach the local blockstore");
    store = unwrap.call(store);
  }
  const local = store as Partial<LocalBlockstore> & { unwrap?: unknown; blockBrokers?: unknown };
  if (typeof local.get !== "function" || typeof local.has !== "function" || local.unwrap !== undefined || local.blockBrokers !== undefined) {
    throw new Error("Helia's blockstore layering changed: cannot reach the local blockstore");
  }
  return local as LocalBlockstore;
}

/** A block from the local blockstore, or undefined when it is not there. */
export async function readLocal(store: LocalBlockstore, cid: CID, signal?: AbortSignal): Promise<Uint8Array | undefined> {
  const parts: Uint8Array[] = [];
  try {
    for await (const part of store.get(cid, { signal })) parts.push(part);
  } catch (error) {
    if ((error as Error).name === "NotFoundError") return undefined;
    throw error;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

