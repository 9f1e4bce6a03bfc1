/**
 * blockstore-fs with whole-file reads. Its get() streams a block in 64 KiB pieces through a
 * file handle; one readFile per block is about 3x faster for our 1 MiB frames.
 */
import { FsBlockstore } from "blockstore-fs";
import { NextToLast } from "blockstore-fs/sharding";
import { NotFoundError } from "interface-store";
import type { CID } from "multiformats/cid";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

export class FastFsBlockstore extends FsBlockstore {
  readonly #sharding: NextToLast;

  constructor(location: string) {
    const sharding = new NextToLast();
    super(location, { shardingStrategy: sharding });
    this.#sharding = sharding;
  }

  override async *get(key: CID, options?: { signal?: AbortSignal }): AsyncGenerator<Uint8Array> {
    const { dir, file } = this.#sharding.encode(key);
    options?.signal?.throwIfAborted();
    let bytes: Buffer;
    try {
      bytes = await readFile(join(this.path, dir, file), { signal: options?.signal });
    } catch (error) {
      if ((error as Error).name === "AbortError") throw error;
      throw new NotFoundError(String(error));
    }
    yield bytes;
  }
}
