import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StoragePeer, type StoragePeerOptions } from "../../node/storage/storage-peer.js";

/** Temporary data dirs and running peers, all cleaned up by `cleanup()`. */
export class PeerFixture {
  readonly #dirs: string[] = [];
  readonly #peers = new Set<StoragePeer>();

  async dataDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "mv-peer-"));
    this.#dirs.push(dir);
    return dir;
  }

  async start(options: Partial<StoragePeerOptions> = {}): Promise<StoragePeer> {
    const peer = await StoragePeer.start({ dataDir: options.dataDir ?? (await this.dataDir()), ...options });
    this.#peers.add(peer);
    return peer;
  }

  async stop(peer: StoragePeer): Promise<void> {
    this.#peers.delete(peer);
    await peer.stop();
  }

  async cleanup(): Promise<void> {
    await Promise.all([...this.#peers].map((p) => p.stop()));
    this.#peers.clear();
    await Promise.all(this.#dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}
