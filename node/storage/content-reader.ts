/**
 * Reads a UnixFS file (or a byte range of it) in order, with a bounded read-ahead: at most
 * `readAhead` leaves are in flight or waiting for the consumer, and the next is asked for only as
 * the consumer pulls, so memory is bounded whatever the file's size. Only the leaves that overlap
 * the range are touched (the parents' blockSizes say where each child starts). Blocks come
 * through a FetchSession: local ones from the blockstore, missing ones from many sources at once.
 * Every failure is a rejection of this read — nothing is left running or unhandled behind it.
 */
import * as dagPb from "@ipld/dag-pb";
import { UnixFS } from "ipfs-unixfs";
import type { CID } from "multiformats/cid";
import { ContentMismatchError, NotAFileError } from "../errors.js";
import type { FetchSession } from "./block-fetcher.js";

const RAW_CODE = 0x55;
/** Leaves (1 MiB frames for our content) read ahead of the consumer. */
export const DEFAULT_READ_AHEAD = 32;
/** Deeper than any balanced UnixFS DAG of a file that fits in 2^53 bytes. */
const MAX_DEPTH = 32;

export interface ContentReadOptions {
  /** First byte (default 0). */
  offset?: number;
  /** Bytes to read (default: to the end). */
  length?: number;
  readAhead?: number;
  signal: AbortSignal;
}

export type ContentStat = { type: "file"; size: number } | { type: "directory" };

/** A piece of the file in order: bytes already known, or a raw leaf to fetch and slice. */
type Piece = { bytes: Uint8Array } | { cid: CID; size: number; start: number; end: number };

/** The dag-pb node and its UnixFS data; a root that is neither is not a file, an inner node that is neither is broken content. */
function unixfsOf(cid: CID, block: Uint8Array, root = false): { node: dagPb.PBNode; unixfs: UnixFS } {
  let node: dagPb.PBNode;
  let unixfs: UnixFS;
  try {
    node = dagPb.decode(block);
    if (node.Data === undefined) throw new Error("no UnixFS data");
    unixfs = UnixFS.unmarshal(node.Data);
  } catch {
    throw root ? new NotAFileError(`${cid} is not a UnixFS file`) : new ContentMismatchError(`${cid} is not a UnixFS node`);
  }
  return { node, unixfs };
}

/** The file's type and size, from its root block. */
export async function statContent(session: FetchSession, root: CID, signal: AbortSignal): Promise<ContentStat> {
  const block = await session.get(root, signal);
  if (root.code === RAW_CODE) return { type: "file", size: block.length };
  if (root.code !== dagPb.code) throw new NotAFileError(`${root} is not UnixFS content (codec 0x${root.code.toString(16)})`);
  const { unixfs } = unixfsOf(root, block, true);
  if (unixfs.type === "directory" || unixfs.type === "hamt-sharded-directory") return { type: "directory" };
  if (unixfs.type !== "file" && unixfs.type !== "raw") throw new NotAFileError(`${root} is a UnixFS ${unixfs.type}, not a file`);
  return { type: "file", size: Number(unixfs.fileSize()) };
}

/**
 * The pieces of the file under `cid` that overlap [from, to) of it, in order. Interior nodes are
 * fetched here as the walk reaches them (they are small); raw leaves are left to the reader.
 */
async function* pieces(session: FetchSession, cid: CID, size: number | undefined, from: number, to: number, signal: AbortSignal, depth = 0): AsyncGenerator<Piece> {
  if (cid.code === RAW_CODE && size !== undefined) {
    yield { cid, size, start: from, end: to };
    return;
  }
  if (depth > MAX_DEPTH) throw new ContentMismatchError(`content is nested deeper than ${MAX_DEPTH} levels`);
  const block = await session.get(cid, signal);
  if (cid.code === RAW_CODE) {
    yield { bytes: block.subarray(from, to) };
    return;
  }
  if (cid.code !== dagPb.code) throw new ContentMismatchError(`${cid} is not UnixFS content`);
  const { node, unixfs } = unixfsOf(cid, block);
  if (unixfs.type !== "file" && unixfs.type !== "raw") throw new ContentMismatchError(`${cid} is a UnixFS ${unixfs.type}, not a file`);
  const data = unixfs.data ?? new Uint8Array(0);
  const sizes = unixfs.blockSizes.map(Number);
  const total = data.length + sizes.reduce((a, b) => a + b, 0);
  if (sizes.length !== node.Links.length || total !== Number(unixfs.fileSize()) || (size !== undefined && total !== size)) {
    throw new ContentMismatchError(`${cid}: its sizes do not add up`);
  }
  // A node's own data comes first, then its children in order (the UnixFS file layout).
  if (from < data.length) yield { bytes: data.subarray(from, Math.min(to, data.length)) };
  let offset = data.length;
  for (let i = 0; i < node.Links.length && offset < to; i++) {
    const childSize = sizes[i]!;
    const childEnd = offset + childSize;
    if (childEnd > from && childSize > 0) {
      yield* pieces(session, node.Links[i]!.Hash, childSize, Math.max(0, from - offset), Math.min(childSize, to - offset), signal, depth + 1);
    }
    offset = childEnd;
  }
}

/** Streams bytes [offset, offset + length) of the UnixFS file `root`. */
export async function* readContent(session: FetchSession, root: CID, options: ContentReadOptions): AsyncGenerator<Uint8Array, void, undefined> {
  const readAhead = options.readAhead ?? DEFAULT_READ_AHEAD;
  const stat = await statContent(session, root, options.signal);
  if (stat.type !== "file") throw new NotAFileError(`${root} is a directory, not a file`);
  const from = Math.min(options.offset ?? 0, stat.size);
  const to = Math.min(stat.size, from + (options.length ?? stat.size));
  if (to <= from) return;

  // One controller for everything this read started: ending the read early cancels the rest.
  const controller = new AbortController();
  const stop = () => controller.abort(options.signal.reason);
  options.signal.addEventListener("abort", stop, { once: true });
  if (options.signal.aborted) stop();
  const { signal } = controller;
  const walk = pieces(session, root, stat.size, from, to, signal);
  const pending: Array<Promise<Uint8Array>> = [];
  let walked = false;

  const leaf = async (piece: Extract<Piece, { cid: CID }>): Promise<Uint8Array> => {
    const bytes = await session.get(piece.cid, signal);
    if (bytes.length !== piece.size) throw new ContentMismatchError(`leaf ${piece.cid} has ${bytes.length} bytes, its parent says ${piece.size}`);
    return piece.start === 0 && piece.end === bytes.length ? bytes : bytes.subarray(piece.start, piece.end);
  };
  const fill = async () => {
    while (!walked && pending.length < readAhead) {
      const next = await walk.next();
      if (next.done === true) {
        walked = true;
        break;
      }
      const piece = next.value;
      const read = "bytes" in piece ? Promise.resolve(piece.bytes) : leaf(piece);
      read.catch(() => {}); // awaited in order below; this only keeps it from counting as unhandled meanwhile
      pending.push(read);
    }
  };
  try {
    await fill();
    while (pending.length > 0) {
      const bytes = await pending.shift()!;
      await fill();
      if (bytes.length > 0) yield bytes;
    }
  } finally {
    controller.abort(new Error("read ended"));
    options.signal.removeEventListener("abort", stop);
    await walk.return(undefined).catch(() => {});
  }
}
