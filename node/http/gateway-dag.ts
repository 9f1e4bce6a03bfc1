/**
 * The DAG side of the trustless gateway: reads from the local blockstore only (never a peer),
 * UnixFS path resolution, and the export strategies that pick a CAR's blocks for @helia/car.
 *
 * Our strategies walk depth-first and lazily: a block is read only when the CAR writer has
 * taken the one before (plus a small read-ahead), so a slow client holds a few blocks in
 * memory, not the DAG. @helia/car's own UnixFSExporter and SubgraphExporter run their walk on
 * a queue that does not wait for the consumer (the whole DAG is read into memory as fast as
 * the disk goes), SubgraphExporter walks breadth-first, and UnixFSExporter's offset/length
 * compares file offsets with offsets relative to each interior node (wrong below two levels).
 */
import { BlockExporter, type ExportStrategy } from "@helia/car";
import type { CodecLoader } from "@helia/interface";
import * as dagPb from "@ipld/dag-pb";
import { UnixFS } from "ipfs-unixfs";
import { createUnsafe } from "multiformats/block";
import type { BlockView } from "multiformats/block/interface";
import type { CID } from "multiformats/cid";
import { ContentMismatchError } from "../errors.js";
import { readLocal, type LocalBlockstore } from "../storage/local-blockstore.js";
import { ApiError } from "./errors.js";
import type { CarVariant, EntityBytes } from "./gateway-request.js";

type Blockstore = LocalBlockstore;
type Block = BlockView<unknown, number, number, 0 | 1>;

const RAW_CODE = 0x55;
/** Leaves read ahead of the CAR writer, per interior node being walked. */
const READ_AHEAD = 4;

/** A child block went missing from the local blockstore during a CAR export. */
class MissingBlockError extends Error {
  constructor(cid: CID) {
    super(`${cid} is not in the local blockstore`);
    this.name = "MissingBlockError";
  }
}

async function readOrThrow(store: Blockstore, cid: CID, signal: AbortSignal): Promise<Uint8Array> {
  const bytes = await readLocal(store, cid, signal);
  if (bytes === undefined) throw new MissingBlockError(cid);
  return bytes;
}

const notFound = (message: string) => new ApiError(404, "NOT_FOUND", message);

function decodePb(cid: CID, bytes: Uint8Array): { node: dagPb.PBNode; unixfs?: UnixFS } {
  try {
    const node = dagPb.decode(bytes);
    return node.Data === undefined ? { node } : { node, unixfs: UnixFS.unmarshal(node.Data) };
  } catch (error) {
    throw new ContentMismatchError(`stored block ${cid} is not valid dag-pb/UnixFS: ${(error as Error).message}`);
  }
}

/**
 * The CIDs from `root` (known to be local) down `path` through UnixFS directories, root first
 * and the target last, all local. 404 for a missing entry or block, 501 for a HAMT-sharded directory.
 */
export async function resolvePath(store: Blockstore, root: CID, path: string[], signal: AbortSignal): Promise<CID[]> {
  const cids = [root];
  let current = root;
  for (const [index, name] of path.entries()) {
    const here = `/${path.slice(0, index).join("/")}`;
    if (current.code !== dagPb.code) throw notFound(`${here} is not a UnixFS directory`);
    const bytes = await readLocal(store, current, signal);
    if (bytes === undefined) throw notFound(`block ${current} at ${here} is not in the local blockstore`);
    const { node, unixfs } = decodePb(current, bytes);
    if (unixfs?.type === "hamt-sharded-directory") {
      throw new ApiError(501, "NOT_IMPLEMENTED", `${here} is a HAMT-sharded directory: paths through sharded directories are not served`);
    }
    if (unixfs?.type !== "directory") throw notFound(`${here} is not a UnixFS directory`);
    const link = node.Links.find((candidate) => candidate.Name === name);
    if (link === undefined) throw notFound(`no entry ${JSON.stringify(name)} in ${here}`);
    current = link.Hash;
    cids.push(current);
  }
  if (path.length > 0 && !(await store.has(current, { signal }))) throw notFound(`${current} at /${path.join("/")} is not in the local blockstore`);
  return cids;
}

interface Child {
  cid: CID;
  /** Offset of the child's first byte in the file (UnixFS files only; 0 elsewhere). */
  offset: number;
}

/** Which links of `block` the walk descends into, in link order. */
type Expand = (block: Block, offset: number) => Child[];

/** Every link, whatever the codec: the contiguous DAG (a manifest's link into its content too). */
const allLinks: Expand = (block) => Array.from(block.links(), ([, cid]) => ({ cid, offset: 0 }));

/**
 * The UnixFS entity at the root: all of a file (or the leaves that hold bytes `range.from` to
 * `range.to`, inclusive, plus the interior nodes above them), a HAMT directory's shards, or
 * the block alone (a plain directory, or anything not UnixFS).
 */
function unixfsEntity(range?: { from: number; to: number }): Expand {
  return (block, offset) => {
    if (block.cid.code !== dagPb.code) return [];
    const node = block.value as dagPb.PBNode;
    if (node.Data === undefined) return [];
    const unixfs = UnixFS.unmarshal(node.Data);
    if (unixfs.type === "hamt-sharded-directory") {
      // Sub-shard links are named by their bucket alone (2 hex digits at fanout 256).
      const width = (Number(unixfs.fanout ?? 256n) - 1).toString(16).length;
      return node.Links.filter((link) => link.Name?.length === width).map((link) => ({ cid: link.Hash, offset: 0 }));
    }
    if (unixfs.type !== "file" && unixfs.type !== "raw") return [];
    if (unixfs.blockSizes.length !== node.Links.length) {
      throw new ContentMismatchError(`UnixFS file node ${block.cid} has ${node.Links.length} links but ${unixfs.blockSizes.length} block sizes`);
    }
    const children: Child[] = [];
    let start = offset + (unixfs.data?.length ?? 0);
    for (const [index, link] of node.Links.entries()) {
      const size = Number(unixfs.blockSizes[index]);
      if (range === undefined || (start <= range.to && start + size > range.from)) children.push({ cid: link.Hash, offset: start });
      start += size;
    }
    return children;
  };
}

/**
 * Walks depth-first in link order (pre-order), one level of `READ_AHEAD` siblings read ahead,
 * each block read only as the CAR writer asks for the next. Checks the signal at every block.
 */
class DfsExporter implements ExportStrategy {
  readonly #expand: Expand;

  constructor(expand: Expand) {
    this.#expand = expand;
  }

  async *export(cid: CID, blockstore: Blockstore, getCodec: CodecLoader, options?: { signal?: AbortSignal }): AsyncGenerator<Block, void, undefined> {
    const signal = options?.signal ?? new AbortController().signal;
    yield* this.#visit({ cid, offset: 0 }, readOrThrow(blockstore, cid, signal), blockstore, getCodec, signal);
  }

  async *#visit(at: Child, bytes: Promise<Uint8Array>, store: Blockstore, getCodec: CodecLoader, signal: AbortSignal): AsyncGenerator<Block, void, undefined> {
    const block = createUnsafe({ cid: at.cid, bytes: await bytes, codec: await getCodec(at.cid.code) }) as Block;
    signal.throwIfAborted();
    yield block;
    const children = this.#expand(block, at.offset);
    const pending: Array<Promise<Uint8Array>> = [];
    let next = 0;
    const fill = () => {
      while (next < children.length && pending.length < READ_AHEAD) {
        const read = readOrThrow(store, children[next++]!.cid, signal);
        read.catch(() => {}); // awaited in order below; no unhandled rejection if we stop first
        pending.push(read);
      }
    };
    fill();
    for (const child of children) {
      signal.throwIfAborted();
      const read = pending.shift()!;
      fill();
      yield* this.#visit(child, read, store, getCodec, signal);
    }
  }
}

/** The size of the UnixFS file (or raw block) at `cid`, or undefined when it is not a file. */
async function entitySize(store: Blockstore, cid: CID, signal: AbortSignal): Promise<number | undefined> {
  if (cid.code !== RAW_CODE && cid.code !== dagPb.code) return undefined;
  const bytes = await readLocal(store, cid, signal);
  if (bytes === undefined) throw notFound(`${cid} is not in the local blockstore`);
  if (cid.code === RAW_CODE) return bytes.length;
  const { unixfs } = decodePb(cid, bytes);
  return unixfs?.type === "file" || unixfs?.type === "raw" ? Number(unixfs.fileSize()) : undefined;
}

/**
 * entity-bytes against an entity of `size` bytes: the inclusive byte range, or undefined when
 * it is empty (the response is then the root block alone). A range wholly past the end is 400.
 */
export function resolveEntityBytes(bytes: EntityBytes, size: number): { from: number; to: number } | undefined {
  if (size === 0) return undefined;
  const from = bytes.from >= 0 ? bytes.from : Math.max(0, size + bytes.from);
  if (from >= size) {
    throw new ApiError(400, "ENTITY_BYTES_OUT_OF_RANGE", `entity-bytes=${bytes.from}:${bytes.to} starts past the end of the ${size}-byte entity`);
  }
  const to = bytes.to === "*" ? size - 1 : bytes.to >= 0 ? Math.min(bytes.to, size - 1) : size + bytes.to;
  return to < from ? undefined : { from, to };
}

/** The export strategy for a CAR of `target` in the variant asked. */
export async function exportStrategy(store: Blockstore, target: CID, variant: CarVariant, signal: AbortSignal): Promise<ExportStrategy> {
  if (variant.scope === "block") return new BlockExporter();
  if (variant.scope === "all") return new DfsExporter(allLinks);
  if (variant.bytes === undefined) return new DfsExporter(unixfsEntity());
  const size = await entitySize(store, target, signal);
  if (size === undefined) return new DfsExporter(unixfsEntity()); // not a file: entity-bytes does not apply
  const range = resolveEntityBytes(variant.bytes, size);
  return range === undefined ? new BlockExporter() : new DfsExporter(unixfsEntity(range));
}
