/**
 * Bytes the blockstore and the datastore take on disk, for an operator's status page that polls
 * every few seconds. A measurement walks the directories (one stat per file, a few at a time),
 * which on a multi-GB store takes a while: so it is cached, an answer never waits for a walk once
 * one finished (an older value is returned and a new walk starts in the background when it is
 * older than the TTL), and at most one walk runs at a time.
 */
import { opendir, stat, statfs } from "node:fs/promises";
import { join } from "node:path";

export const DEFAULT_DISK_USAGE_TTL_MS = 30_000;

/** Stats in flight at once during a walk: enough to keep the disk busy, few enough to leave the loop free. */
const STAT_CONCURRENCY = 16;

export interface DirectoryUsage {
  bytes: number;
  files: number;
}

export interface DiskUsageSnapshot {
  blockstore: DirectoryUsage;
  datastore: DirectoryUsage;
  /** The filesystem holding the data dir: its size and what is still free for this user. */
  filesystem: { sizeBytes: number; freeBytes: number } | null;
  /** Unix milliseconds the walk that measured this finished. */
  measuredAt: number;
}

/** Sum of the sizes of the regular files under `dir` (0 when it does not exist). */
export async function directoryUsage(dir: string): Promise<DirectoryUsage> {
  const usage: DirectoryUsage = { bytes: 0, files: 0 };
  let entries;
  try {
    entries = await opendir(dir, { recursive: true, bufferSize: 256 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return usage;
    throw error;
  }
  const pending = new Set<Promise<void>>();
  for await (const entry of entries) {
    if (!entry.isFile()) continue;
    const counted: Promise<void> = stat(join(entry.parentPath, entry.name))
      .then((s) => {
        usage.bytes += s.size;
        usage.files++;
      })
      .catch(() => {}) // removed since it was listed (a gc, a temp file renamed)
      .finally(() => pending.delete(counted));
    pending.add(counted);
    if (pending.size >= STAT_CONCURRENCY) await Promise.race(pending);
  }
  await Promise.all(pending);
  return usage;
}

export class DiskUsage {
  readonly #dataDir: string;
  readonly #ttlMs: number;
  #last: DiskUsageSnapshot | undefined;
  #walking: Promise<DiskUsageSnapshot> | undefined;

  constructor(dataDir: string, options: { ttlMs?: number } = {}) {
    this.#dataDir = dataDir;
    this.#ttlMs = options.ttlMs ?? DEFAULT_DISK_USAGE_TTL_MS;
  }

  /** The latest measurement; waits only for the very first one. */
  async snapshot(): Promise<DiskUsageSnapshot> {
    const last = this.#last;
    if (last === undefined) return this.#measure();
    if (Date.now() - last.measuredAt >= this.#ttlMs) void this.#measure().catch(() => {}); // the next answer has it
    return last;
  }

  #measure(): Promise<DiskUsageSnapshot> {
    this.#walking ??= (async () => {
      const [blockstore, datastore, filesystem] = await Promise.all([
        directoryUsage(join(this.#dataDir, "blocks")),
        directoryUsage(join(this.#dataDir, "datastore")),
        statfs(this.#dataDir).then((s) => ({ sizeBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize }), () => null),
      ]);
      return (this.#last = { blockstore, datastore, filesystem, measuredAt: Date.now() });
    })().finally(() => (this.#walking = undefined));
    return this.#walking;
  }
}
