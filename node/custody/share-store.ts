/**
 * A custodian's shares on disk, one JSON file per manifest under <dataDir>/custody/shares.
 * A share is kept exactly as deposited: ECIES-wrapped to this custodian's key, so the files are
 * encrypted at rest and useless without the node's keystore. Writes are atomic (temp file,
 * fsync, rename), so a crash leaves the old file or the new one, never half of either.
 * Redemptions (one release per ticket) are a set in memory, decided synchronously (so two
 * concurrent requests for one ticket cannot both pass), and appended to redeemed.log, which is
 * read back at open: the record survives restarts.
 */
import { open, mkdir, readdir, readFile, rm, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { Address, Hex } from "viem";
import { writeFileAtomic } from "../atomic-file.js";
import { NodeError } from "../errors.js";

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
  readonly #redeemedLog: string;
  readonly #redeemed = new Set<string>();
  /** Appends in order, one at a time. */
  #appending: Promise<void> = Promise.resolve();
  #log: Promise<FileHandle> | undefined;
  readonly #shares = new Map<string, StoredShare>();

  private constructor(dir: string) {
    this.#sharesDir = join(dir, "shares");
    this.#redeemedLog = join(dir, "redeemed.log");
  }

  /** Opens (creating) the store under `dir`, e.g. <dataDir>/custody. */
  static async open(dir: string): Promise<ShareStore> {
    const store = new ShareStore(dir);
    await mkdir(store.#sharesDir, { recursive: true, mode: 0o700 });
    try {
      // One ticket id per line; a torn last line (crash mid-append) is not a ticket id and is skipped.
      for (const line of (await readFile(store.#redeemedLog, "utf8")).split("\n")) {
        if (/^0x[0-9a-f]{64}$/.test(line)) store.#redeemed.add(line);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new ShareStoreError(`unreadable ${store.#redeemedLog}`, { cause: error });
    }
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

  /** Records the one release of `ticketId`; false when it was already redeemed. */
  async redeem(ticketId: Hex): Promise<boolean> {
    const name = ticketId.toLowerCase();
    if (!/^0x[0-9a-f]{64}$/.test(name)) throw new ShareStoreError("a ticket id is 32 bytes of hex");
    if (this.#redeemed.has(name)) return false;
    this.#redeemed.add(name); // before any await: the check and the claim are one step
    // No fsync: losing the last lines in a crash only lets the same share go to the same recipient
    // key again, which reveals nothing new; an fsync per release would cost milliseconds.
    this.#log ??= open(this.#redeemedLog, "a", 0o600);
    const log = this.#log;
    const appended = this.#appending.then(async () => void (await (await log).write(`${name}\n`)));
    this.#appending = appended.catch(() => {});
    try {
      await appended;
    } catch (error) {
      this.#redeemed.delete(name);
      this.#log = undefined; // reopen on the next release
      throw new ShareStoreError("cannot record the redemption", { cause: error });
    }
    return true;
  }

  /** Closes the redemption log. */
  async close(): Promise<void> {
    await this.#appending;
    await (await this.#log)?.close();
  }
}
