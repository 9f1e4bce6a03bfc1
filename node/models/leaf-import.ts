/**
 * The UnixFS file over leaves that are already hashed and written (sealed-leaves.ts). The
 * stock importer still lays out the DAG (its balanced layout and reducer make and write the
 * interior nodes), so the root is the one a plain import of the same leaves gives; the leaves
 * only skip its hash-and-put, which would hash each frame a second time on the main thread.
 */
import type { AddOptions, UnixFS } from "@helia/unixfs";
import type { CID } from "multiformats/cid";
import type { Leaf } from "./sealed-leaves.js";

type BufferImporter = NonNullable<AddOptions["bufferImporter"]>;

// The importer reads a leaf's bytes only to inline a one-leaf file, which
// reduceSingleLeafToSelf: false rules out (and a sealed file has two leaves at least).
const NOT_KEPT = new Uint8Array(0);

export async function importLeaves(fs: UnixFS, leaves: AsyncIterable<Leaf>, signal?: AbortSignal): Promise<CID> {
  const bufferImporter: BufferImporter = async function* () {
    for await (const { cid, size } of leaves) yield async () => ({ cid, size: BigInt(size), block: NOT_KEPT });
  };
  // No content of its own: every leaf comes from bufferImporter.
  return fs.addByteStream([], { rawLeaves: true, reduceSingleLeafToSelf: false, bufferImporter, signal });
}
