/**
 * blockstore-fs with whole-file reads and leaner writes. Its get() streams a block in 64 KiB
 * pieces through a file handle; one readFile per block is about 3x faster for our 1 MiB frames.
 * Its put() makes the shard directory for every block and writes in 512 KiB pieces through a
 * file handle; here a shard is made once per process and a block is one write. Both write a
 * temp file and rename it into place, so a crash never leaves a partial block under a CID.
 */
import { FsBlockstore } from "blockstore-fs";
import { NextToLast } from "blockstore-fs/sharding";
import { NotFoundError, PutFailedError } from "interface-store";
import type { CID } from "multiformats/cid";
import { existsSync, mkdirSync, renameSync, rmSync, writeFile as writeFileCallback, writeFileSync } from "node:fs";
import { mkdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { threadId } from "node:worker_threads";

// The callback writeFile issues a single write() for the whole block (fs/promises' splits it).
const writeWhole = (path: string, bytes: Uint8Array, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => writeFileCallback(path, bytes, { signal }, (error) => (error ? reject(error) : resolve())));

const SHARDING = new NextToLast();
let tempCounter = 0;

/** A block's file under a blockstore at `location` (blockstore-fs's NextToLast layout). */
function blockFile(location: string, key: CID): { shard: string; file: string; path: string } {
  const { dir, file } = SHARDING.encode(key);
  const shard = join(location, dir);
  return { shard, file, path: join(shard, file) };
}

/** A temp name of its own to write a block to first: unique per process, thread and put, so two
 * puts of one block never write the same file, and a crash never leaves a partial block file. */
const tempFile = (shard: string, file: string) => join(shard, `.${file}.${process.pid}-${threadId}-${tempCounter++}.tmp`);

/**
 * FastFsBlockstore.put, synchronously, for a worker thread that takes block writes off the main
 * one (block-ingest.ts). `shards` remembers the shard directories already made.
 */
export function putBlockFileSync(location: string, key: CID, bytes: Uint8Array, shards: Set<string>): void {
  const { shard, file, path } = blockFile(location, key);
  const temp = tempFile(shard, file);
  try {
    if (!shards.has(shard)) {
      mkdirSync(shard, { recursive: true });
      shards.add(shard);
    }
    try {
      writeFileSync(temp, bytes);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      mkdirSync(shard, { recursive: true }); // removed behind our back: make it again
      writeFileSync(temp, bytes);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new PutFailedError(String(error));
  }
}

export class FastFsBlockstore extends FsBlockstore {
  readonly #shards = new Set<string>();

  constructor(location: string) {
    super(location, { shardingStrategy: SHARDING });
  }

  /**
   * A stat that does not throw: a miss through fs/promises (access, open) is an exception with a
   * stack trace, ~50 us alone and several times that under load, and Helia asks has() of every
   * block it puts, pins or serves; this is ~0.5 us on the shard directories' cached entries.
   */
  override async has(key: CID): Promise<boolean> {
    return existsSync(blockFile(this.path, key).path);
  }

  override async *get(key: CID, options?: { signal?: AbortSignal }): AsyncGenerator<Uint8Array> {
    const { path } = blockFile(this.path, key);
    options?.signal?.throwIfAborted();
    if (!existsSync(path)) throw new NotFoundError(`${key} is not in the blockstore`); // see has()
    let bytes: Buffer;
    try {
      bytes = await readFile(path, { signal: options?.signal });
    } catch (error) {
      if ((error as Error).name === "AbortError") throw error;
      throw new NotFoundError(String(error));
    }
    yield bytes;
  }

  override async put(key: CID, val: Parameters<FsBlockstore["put"]>[1], options?: { signal?: AbortSignal }): Promise<CID> {
    if (!(val instanceof Uint8Array)) return super.put(key, val, options);
    options?.signal?.throwIfAborted();
    const { shard, file, path } = blockFile(this.path, key);
    const temp = tempFile(shard, file);
    try {
      await this.#writeInShard(shard, temp, val, options?.signal);
      await rename(temp, path);
      return key;
    } catch (error) {
      await rm(temp, { force: true }).catch(() => {});
      if (options?.signal?.aborted) throw options.signal.reason; // as race-signal does for the other calls
      throw new PutFailedError(String(error));
    }
  }

  async #writeInShard(shard: string, path: string, bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
    if (this.#shards.has(shard)) {
      try {
        return await writeWhole(path, bytes, signal);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        this.#shards.delete(shard); // removed behind our back: make it again
      }
    }
    await mkdir(shard, { recursive: true });
    this.#shards.add(shard);
    await writeWhole(path, bytes, signal);
  }
}
