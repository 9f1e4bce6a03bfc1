/**
 * Streams the leaves of a UnixFS file in order, with a bounded read-ahead and backpressure.
 * The stock exporter (fs.cat) walks the DAG into an unbounded queue, so a fast local read of a
 * large model buffered the whole model in memory; here at most `readAhead` leaves are in
 * flight or waiting, and the next is requested only as the consumer pulls. Missing leaves come
 * over bitswap (up to `readAhead` wants at once, which keeps a peer's send queue busy).
 */
import * as dagPb from "@ipld/dag-pb";
import { UnixFS } from "ipfs-unixfs";
import type { CID } from "multiformats/cid";
import { ContentMismatchError } from "../errors.js";
import type { StoragePeer } from "./storage-peer.js";

const RAW_CODE = 0x55;

async function getBlock(peer: StoragePeer, cid: CID, signal: AbortSignal): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of peer.helia.blockstore.get(cid, { signal })) parts.push(part);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** The file's leaf CIDs in byte order (interior dag-pb nodes are small and read as needed). */
async function* leafCids(peer: StoragePeer, root: CID, signal: AbortSignal): AsyncGenerator<CID> {
  if (root.code === RAW_CODE) {
    yield root;
    return;
  }
  if (root.code !== dagPb.code) throw new ContentMismatchError(`content ${root} is not a UnixFS file`);
  const node = dagPb.decode(await getBlock(peer, root, signal));
  if (node.Data === undefined || UnixFS.unmarshal(node.Data).type !== "file") {
    throw new ContentMismatchError(`content ${root} is not a UnixFS file`);
  }
  for (const link of node.Links) yield* leafCids(peer, link.Hash, signal);
}

export async function* readLeaves(peer: StoragePeer, root: CID, readAhead: number, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  const pending: Array<Promise<Uint8Array>> = [];
  const cids = leafCids(peer, root, signal);
  let exhausted = false;
  const fill = async () => {
    while (!exhausted && pending.length < readAhead) {
      const next = await cids.next();
      if (next.done === true) exhausted = true;
      else {
        const read = getBlock(peer, next.value, signal);
        read.catch(() => {}); // awaited in order below; avoid an unhandled rejection meanwhile
        pending.push(read);
      }
    }
  };
  await fill();
  while (pending.length > 0) {
    const leaf = await pending.shift()!;
    await fill();
    yield leaf;
  }
}
