/**
 * Where fetched blocks are checked and stored: on a worker thread when the block's bytes own
 * their whole buffer (then the buffer moves there and back, no copy), on the main thread
 * otherwise. The fetching main thread runs the transport, the exporter and the decryption; a
 * SHA-256 and a file write per 1 MiB block were a third of its time on a gateway fetch, while
 * the other core had room.
 */
import { sha256 } from "multiformats/hashes/sha2";
import type { CID } from "multiformats/cid";
import type { LocalBlockstore } from "./local-blockstore.js";
import { sharedWorker, siblingModule } from "./worker-thread.js";

export interface IngestRequest {
  cid: Uint8Array;
  buffer: ArrayBuffer;
  verify: boolean;
  /** The blockstore's location to write the block into, or undefined to only check it. */
  store: string | undefined;
}
export interface IngestAnswer {
  matches: boolean;
  buffer: ArrayBuffer;
}

/** Blocks smaller than this are cheaper to handle here than to send to the worker and back. */
const WORKER_MIN_BYTES = 64 * 1024;
const worker = sharedWorker(siblingModule(import.meta.url, "block-ingest-worker"));

/** Bytes that may move to another thread: a plain buffer of exactly their size. */
function movable(bytes: Uint8Array): bytes is Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.length >= WORKER_MIN_BYTES;
}

export class BlockIngest {
  readonly #local: LocalBlockstore;
  /** The FastFsBlockstore's directory, when the worker may write there. */
  readonly #location: string | undefined;
  readonly #verifyHere: (cid: CID, bytes: Uint8Array) => Promise<boolean>;

  constructor(local: LocalBlockstore, location: string | undefined, verifyHere: (cid: CID, bytes: Uint8Array) => Promise<boolean>) {
    this.#local = local;
    this.#location = location;
    this.#verifyHere = verifyHere;
  }

  /** True when `bytes` hash to `cid`. `bytes` may be moved away: use the returned ones. */
  async verify(cid: CID, bytes: Uint8Array): Promise<{ matches: boolean; bytes: Uint8Array }> {
    if (!movable(bytes) || cid.multihash.code !== sha256.code) return { matches: await this.#verifyHere(cid, bytes), bytes };
    const answer = await worker().call<IngestAnswer>({ cid: cid.bytes, buffer: bytes.buffer, verify: true, store: undefined } satisfies IngestRequest, [bytes.buffer]);
    return { matches: answer.matches, bytes: new Uint8Array(answer.buffer) };
  }

  /** Stores a checked block. `bytes` may be moved away: use the returned ones. */
  async store(cid: CID, bytes: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
    if (this.#location === undefined || !movable(bytes)) {
      await this.#local.put(cid, bytes, { signal });
      return bytes;
    }
    const answer = await worker().call<IngestAnswer>({ cid: cid.bytes, buffer: bytes.buffer, verify: false, store: this.#location } satisfies IngestRequest, [bytes.buffer]);
    return new Uint8Array(answer.buffer);
  }
}
