/**
 * A custodian's shares on disk, one JSON file per manifest under <dataDir>/custody/shares.
 * A share is kept exactly as deposited: ECIES-wrapped to this custodian's key, so the files are
 * encrypted at rest and useless without the node's keystore. Writes are atomic (temp file,
 * fsync, rename), so a crash leaves the old file or the new one, never half of either.
 * Redemptions (one release per ticket) are files created with O_EXCL: the filesystem decides a
 * race between two requests for the same ticket, and the record survives restarts.
 */
import { open, mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { Address, Hex } from "viem";
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

async function writeAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const file = await open(temp, "w", 0o600);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, path);
}

export class ShareStore {
  readonly #sharesDir: string;
  readonly #redeemedDir: string;
  readonly #shares = new Map<string, StoredShare>();

  private constructor(dir: string) {
    this.#sharesDir = join(dir, "shares");
    this.#redeemedDir = join(dir, "redeemed");
  }

  /** Opens (creating) the store under `dir`, e.g. <dataDir>/custody. */
  static async open(dir: string): Promise<ShareStore> {
    const store = new ShareStore(dir);
    await mkdir(store.#sharesDir, { recursive: true, mode: 0o700 });
    await mkdir(store.#redeemedDir, { recursive: true, mode: 0o700 });
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
    await writeAtomic(this.#path(share.manifestCid), JSON.stringify(share));
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
    try {
      // No fsync: losing this record in a crash only lets the same share go to the same
      // recipient key again, which reveals nothing new; an fsync per release would cost ~8 ms.
      await (await open(join(this.#redeemedDir, name), "wx", 0o600)).close();
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw error;
    }
  }
}
