/**
 * Makes publishing with custody idempotent across crashes. A client names each publish with an
 * idempotency key (the CLI: sha256 of the file and the publish parameters); the owner's node
 * records the manifest CID before it deposits shares or sends the registration, and the model
 * id once registered. A retry with the same key then returns the registered model instead of
 * publishing again, also when the node died between sending the transaction and recording it:
 * the chain is asked whether this owner registered that manifest. Records live in
 * <dataDir>/publish-journal, one small file per key, written atomically.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { isAddressEqual, type Address } from "viem";
import { z } from "zod";
import type { ChainClient } from "../chain/index.js";
import { writeFileAtomic } from "../atomic-file.js";

const entrySchema = z
  .object({
    manifestCid: z.string(),
    /** Set once the chain confirmed the model (or version). */
    modelId: z.string().regex(/^[0-9]+$/).optional(),
    version: z.number().int().optional(),
    /** The rotated model, for a rotation. */
    rotating: z.string().regex(/^[0-9]+$/).optional(),
  })
  .strict();
export type JournalEntry = z.infer<typeof entrySchema>;

export class PublishJournal {
  readonly #dir: string;

  private constructor(dir: string) {
    this.#dir = dir;
  }

  static async open(dataDir: string): Promise<PublishJournal> {
    const dir = join(dataDir, "publish-journal");
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return new PublishJournal(dir);
  }

  /** File name: a hash of the key, so any client string is safe on disk. */
  #path(idempotencyKey: string): string {
    return join(this.#dir, `${createHash("sha256").update(idempotencyKey).digest("hex")}.json`);
  }

  async get(idempotencyKey: string): Promise<JournalEntry | undefined> {
    try {
      return entrySchema.parse(JSON.parse(await readFile(this.#path(idempotencyKey), "utf8")));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  async put(idempotencyKey: string, entry: JournalEntry): Promise<void> {
    await writeFileAtomic(this.#path(idempotencyKey), JSON.stringify(entry));
  }
}

/**
 * Where `manifestCid` is registered by `owner`: a version of `rotating`, or version 1 of any
 * model the owner registered (ModelRegistered is indexed by owner). Undefined when nowhere.
 */
export async function findRegistration(
  chain: ChainClient,
  owner: Address,
  manifestCid: string,
  rotating?: bigint,
): Promise<{ modelId: bigint; version: number } | undefined> {
  const candidates =
    rotating !== undefined
      ? [rotating]
      : (
          await chain.publicClient.getContractEvents({
            address: chain.deployment.contracts.ModelVault,
            abi: chain.contracts.vault.abi,
            eventName: "ModelRegistered",
            args: { owner },
            fromBlock: chain.deploymentBlock,
          })
        ).map((log) => log.args.modelId!);
  for (const modelId of candidates) {
    const state = await chain.modelState(modelId);
    if (state === null || !isAddressEqual(state.owner, owner)) continue;
    for (let version = state.version; version >= 1; version--) {
      if ((await chain.version(modelId, version))?.manifestCid === manifestCid) return { modelId, version };
    }
  }
  return undefined;
}
