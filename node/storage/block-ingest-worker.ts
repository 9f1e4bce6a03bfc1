/**
 * Worker-thread body of block-ingest.ts: checks a fetched block against its CID (sha2-256) and
 * writes it into the blockstore, so neither costs the main thread. The block's buffer is moved
 * here and moved back with the answer.
 */
import { hash } from "node:crypto";
import { CID } from "multiformats/cid";
import { putBlockFileSync } from "./blockstore.js";
import { serveRequests } from "./worker-thread.js";
import type { IngestAnswer, IngestRequest } from "./block-ingest.js";

const shards = new Set<string>();

serveRequests(
  (request: IngestRequest): IngestAnswer => {
    const bytes = new Uint8Array(request.buffer);
    const cid = CID.decode(request.cid);
    if (request.verify && !hash("sha256", bytes, "buffer").equals(cid.multihash.digest)) return { matches: false, buffer: request.buffer };
    if (request.store !== undefined) putBlockFileSync(request.store, cid, bytes, shards);
    return { matches: true, buffer: request.buffer };
  },
  (answer) => [answer.buffer],
);
