/**
 * A custodian's shares on disk, one JSON file per manifest under <dataDir>/custody/shares.
 * A share is kept exactly as deposited: ECIES-wrapped to this custodian's key, so the files are
 * encrypted at rest and useless without the node's keystore. Writes are atomic (temp file,
 * fsync, rename), so a crash leaves the old file or the new one, never half of either.
 * Releases (one per ticket, and the answer given) are kept in redeemed.log by release-log.ts.
 */
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { Address, Hex } from "viem";
import { writeFileAtomic } from "../atomic-file.js";
import { NodeError } from "../errors.js";
import { ReleaseLog, type ReleaseRecord } from "./release-log.js";

const storedShareSchema = z
  .object({
    manifestCid: z.string(),
    contentCid: z.string(),
    owner: z.string().transform((s) => s as Address),
    wrappedShare: z.string().transform((s) => s as Hex),
    signature: z.string().transform((s) => s as Hex),
    depositedAt: z.number().int(),
    /** The registered model and version, once the chain published this manifest. */
    modelId: z.string().regex(/^[0-9]+$/).optional(),
    version: z.number().int().optional(),
    /** Unix time a newer version of the model was seen: the grace period runs from here. */
    supersededAt: z.number().int().optional(),
  })
  .strict();
export type StoredShare = z.infer<typeof storedShareSchema>;

export class ShareStoreError extends NodeError {
  constructor(message: string, options?: ErrorOptions) {
    super("SHARE_STORE", message, options);
  }
}

const SAFE_NAME = /^[a-zA-Z0-9]+$/;

export class ShareStore {
  readonly #sharesDir: string;
  readonly #shares = new Map<string, StoredShare>();
  #releases!: ReleaseLog;

  private constructor(dir: string) {
    this.#sharesDir = join(dir, "shares");
  }

  /** Opens (creating) the store under `dir`, e.g. <dataDir>/custody; `now` (Unix seconds) is a test's clock. */
  static async open(dir: string, options: { now?: () => number } = {}): Promise<ShareStore> {
    const store = new ShareStore(dir);
    await mkdir(store.#sharesDir, { recursive: true, mode: 0o700 });
    store.#releases = await ReleaseLog.open(join(dir, "redeemed.log"), options);
    for (const name of await readdir(store.#sharesDir)) {
      if (!name.endsWith(".json")) continue; // a temp file from a crash mid-write
      const path = join(store.#sharesDir, name);
      let share: StoredShare;
      try {
        share = storedShareSchema.parse(JSON.parse(await readFile(path, "utf8")));
      } catch (error) {
        throw new ShareStoreError(`unreadable share file ${path}`, { cause: error });
      }
      store.#shares.set(share.manifestCid, share);
    }
    return store;
  }

  #path(manifestCid: string): string {
    if (!SAFE_NAME.test(manifestCid)) throw new ShareStoreError("a manifest CID is alphanumeric");
    return join(this.#sharesDir, `${manifestCid}.json`);
  }

  get(manifestCid: string): StoredShare | undefined {
    return this.#shares.get(manifestCid);
  }

  list(): StoredShare[] {
    return [...this.#shares.values()];
  }

  async put(share: StoredShare): Promise<void> {
    await writeFileAtomic(this.#path(share.manifestCid), JSON.stringify(share));
    this.#shares.set(share.manifestCid, share);
  }

  async delete(manifestCid: string): Promise<void> {
    await rm(this.#path(manifestCid), { force: true });
    this.#shares.delete(manifestCid);
  }

  /**
   * The one release of `ticketId` here: the record made before, or a new one with `wrap()`'s bytes
   * (called at most once per ticket, even for concurrent requests), on disk before this returns.
   */
  releaseOnce(ticketId: Hex, terms: { recipientKey: Hex; expiresAt: number }, wrap: () => Hex): Promise<ReleaseRecord> {
    if (!/^0x[0-9a-fA-F]{64}$/.test(ticketId)) return Promise.reject(new ShareStoreError("a ticket id is 32 bytes of hex"));
    return this.#releases.releaseOnce(ticketId, terms, wrap);
  }

  /** What was released for `ticketId`, if anything (and not yet pruned). */
  released(ticketId: Hex): ReleaseRecord | undefined {
    return this.#releases.get(ticketId);
  }

  /** Closes the release log. */
  async close(): Promise<void> {
    await this.#releases.close();
  }
}
