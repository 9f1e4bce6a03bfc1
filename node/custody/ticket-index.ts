/**
 * A custodian's index of live access tickets, so that a release of a ticket it has seen needs no
 * chain read. It follows the vault's logs (node/chain/follow.ts: eth_getLogs over block ranges,
 * in chain order, each block once it has the custodian's `confirmations`) and keeps what
 * Licenses.ticket() computes a ticket's liveness from:
 *   KeyRequested                     the ticket: model, version, licensee, recipient key, expiry
 *   LicenseGranted/Purchased/Revoked the licence: issued (lifting a revocation) with an expiry, or revoked
 *   VersionPublished                 the model's current version (older tickets stop being live),
 *                                    its manifest and custodian set
 *   ModelRegistered/OwnershipTransferred the model's owner (a share is released only while the owner
 *                                    who deposited it owns the model)
 * (TermsUpdated and StatusChanged change no ticket's liveness: a ticket counted its use when it was
 * issued, and a retired model's tickets stay live on chain.)
 *
 * The index only ever vouches: vouch() answers a ticket it can show is live, confirmed, for this
 * custodian's model and unexpired with TIME_MARGIN_S to spare, and `undefined` for anything else
 * (unknown, refused, close to expiry, licence or model changed in a block not yet confirmed,
 * the follower behind), and the custodian then reads the chain as it did without an index. So a
 * refusal always comes from the chain, and the index can only be wrong in the direction of a
 * chain read: it is never the reason a share leaves that a chain read would have kept.
 *
 * Staleness: the index answers only while its follower has reached the head it saw at most
 * `maxLagMs` ago (default 5 s; it polls every pollingIntervalMs, 1 s by default), so a revocation
 * or version rotation stops fast releases within one poll of its block. With confirmations > 1 a
 * second follower reads licence and model events at the head and marks what they touch as
 * unsettled until the confirmed follower has passed that block, so a change waiting for its
 * confirmations also sends its tickets to the chain. Times are the chain's (the head block's
 * timestamp plus the time since it was read) or the local clock, whichever is later.
 *
 * The index is saved to `<file>` (atomically, at most every SAVE_EVERY_MS and at stop) with its
 * cursor; a restarted custodian loads it and catches up from the cursor, answering nothing until
 * it has. Memory: tickets leave once expired (their releases stay in the release log); licences
 * are kept only for models this custodian holds a share set of.
 */
import { readFile } from "node:fs/promises";
import { getAbiItem, isAddressEqual, type AbiEvent, type Hex } from "viem";
import { modelVaultAbi } from "../../contracts/abi/index.js";
import type { ChainClient, TicketView } from "../chain/index.js";
import { chainFailure } from "../chain/log-scan.js";
import { followLogs } from "../chain/follow.js";
import { writeFileAtomic } from "../atomic-file.js";
import { ChainReorganisedError, HeadTracker } from "./head-tracker.js";

/** A ticket this close to its (or its licence's) expiry is left to the chain read. */
export const TIME_MARGIN_S = 5;
export const DEFAULT_MAX_LAG_MS = 5_000;
const SAVE_EVERY_MS = 2_000;
const FORMAT = 1;

const FOLLOWED = ["KeyRequested", "LicenseGranted", "LicensePurchased", "LicenseRevoked", "VersionPublished", "ModelRegistered", "OwnershipTransferred"] as const;
/** Events that change a licence or a model: the ones the head follower marks unsettled. */
const CHANGES = FOLLOWED.filter((name) => name !== "KeyRequested");
const eventsOf = (names: readonly string[]) => names.map((name) => getAbiItem({ abi: modelVaultAbi, name: name as never }) as AbiEvent);

interface IndexedTicket {
  modelId: bigint;
  version: number;
  licensee: Hex;
  recipientKey: Hex;
  expiresAt: bigint;
}
interface Licence {
  revoked: boolean;
  /** Unix seconds, 0 = none. */
  expiresAt: number;
}
interface Model {
  owner?: Hex;
  version?: number;
  /** Whether this custodian is in some version's set (only then are licences and tickets kept). */
  mine?: boolean;
  versions?: Record<number, { manifestCid: string; custodians: Hex[] }>;
}

/** What the custodian needs of a vouched ticket: the chain's TicketView and the model's facts. */
export interface VouchedTicket {
  ticket: TicketView;
  owner: Hex;
  manifestCid: string;
  custodians: readonly Hex[];
}

export interface TicketIndexOptions {
  chain: Pick<ChainClient, "publicClient" | "deployment" | "deploymentBlock" | "chainId">;
  /** This custodian. */
  custodian: Hex;
  confirmations: number;
  /** Where the index is saved. */
  file: string;
  pollingIntervalMs?: number;
  maxBlockRange?: number;
  maxLagMs?: number;
  onError?: (error: Error) => void;
  /** Unix seconds and ms clock (tests). */
  now?: () => number;
}

type DecodedLog = { eventName: string; args: Record<string, unknown>; blockNumber: bigint; logIndex: number };
const licenceKey = (modelId: bigint, licensee: Hex) => `${modelId}/${licensee.toLowerCase()}`;

export class TicketIndex {
  readonly #options: TicketIndexOptions;
  readonly #tickets = new Map<string, IndexedTicket>();
  readonly #licences = new Map<string, Licence>();
  readonly #models = new Map<string, Model>();
  /** Licence and model keys changed in a block the confirmed follower has not reached yet. */
  readonly #unsettled = new Map<string, bigint>();
  #confirmed: HeadTracker;
  #head: HeadTracker | undefined;
  readonly #maxLagMs: number;
  #fromBlock: bigint;
  #dirty = false;
  #saver: NodeJS.Timeout | undefined;
  #saving: Promise<void> = Promise.resolve();

  private constructor(options: TicketIndexOptions, fromBlock: bigint) {
    this.#options = options;
    this.#fromBlock = fromBlock;
    const lag = BigInt(Math.max(1, options.confirmations) - 1);
    this.#confirmed = new HeadTracker(lag);
    this.#head = lag > 0n ? new HeadTracker(0n) : undefined;
    this.#maxLagMs = options.maxLagMs ?? DEFAULT_MAX_LAG_MS;
  }

  /** Loads the saved index (if it is for this chain, vault and custodian) and starts following. */
  static async start(options: TicketIndexOptions): Promise<TicketIndex> {
    const index = new TicketIndex(options, options.chain.deploymentBlock);
    await index.#load();
    index.#follow();
    index.#saver = setInterval(() => void index.#save(), SAVE_EVERY_MS);
    index.#saver.unref();
    return index;
  }

  #now(): number {
    const local = this.#options.now?.() ?? Date.now() / 1000;
    const head = this.#confirmed.headTime;
    return head === undefined ? local : Math.max(local, head.timestamp + (Date.now() - head.at) / 1000);
  }

  #follow(): void {
    const { chain } = this.#options;
    const fail = chainFailure(chain as ChainClient);
    const vault = chain.deployment.contracts.ModelVault;
    const start = (tracker: HeadTracker, names: readonly string[], onLogs: (logs: DecodedLog[]) => void) => {
      const events = eventsOf(names);
      tracker.follower = followLogs<DecodedLog>(
        {
          head: async () => {
            try {
              return await tracker.head(chain.publicClient);
            } catch (error) {
              if (error instanceof ChainReorganisedError) void this.#rebuild();
              throw error;
            }
          },
          fetch: async (fromBlock, toBlock) =>
            (await chain.publicClient.getLogs({ address: vault, events, fromBlock, toBlock, strict: true })) as unknown as DecodedLog[],
        },
        {
          fromBlock: this.#fromBlock,
          confirmations: Number(tracker.lag) + 1,
          pollingIntervalMs: this.#options.pollingIntervalMs ?? 1_000,
          maxBlockRange: this.#options.maxBlockRange ?? 10_000,
          onLogs,
          onError: this.#options.onError,
          mapError: (error) => fail(error, "eth_getLogs"),
        },
      );
    };
    start(this.#confirmed, FOLLOWED, (logs) => {
      for (const log of logs) this.#apply(log);
      this.#dirty = true;
    });
    if (this.#head !== undefined) {
      start(this.#head, CHANGES, (logs) => {
        for (const log of logs) for (const key of this.#keysTouched(log)) this.#unsettled.set(key, log.blockNumber);
      });
    }
  }

  /** Forgets everything and follows again from the deployment block (after a reorganisation). */
  async #rebuild(): Promise<void> {
    if (this.#rebuilding) return;
    this.#rebuilding = true;
    try {
      await Promise.all([this.#head?.follower?.stop(), this.#confirmed.follower?.stop()]);
      if (this.#stopped) return;
      this.#tickets.clear();
      this.#licences.clear();
      this.#models.clear();
      this.#unsettled.clear();
      this.#confirmed = new HeadTracker(this.#confirmed.lag);
      this.#head = this.#head === undefined ? undefined : new HeadTracker(0n);
      this.#fromBlock = this.#options.chain.deploymentBlock;
      this.#dirty = true;
      this.#follow();
    } finally {
      this.#rebuilding = false;
    }
  }

  #rebuilding = false;
  #stopped = false;

  #keysTouched(log: DecodedLog): string[] {
    const modelId = log.args.modelId as bigint;
    const licensee = log.args.licensee as Hex | undefined;
    return licensee === undefined ? [`model/${modelId}`] : [licenceKey(modelId, licensee)];
  }

  #model(modelId: bigint): Model {
    const key = modelId.toString();
    let model = this.#models.get(key);
    if (model === undefined) this.#models.set(key, (model = {}));
    return model;
  }

  #apply(log: DecodedLog): void {
    const a = log.args;
    const modelId = a.modelId as bigint;
    const model = this.#model(modelId);
    switch (log.eventName) {
      case "ModelRegistered":
        model.owner = a.owner as Hex;
        break;
      case "OwnershipTransferred":
        model.owner = a.to as Hex;
        break;
      case "VersionPublished": {
        const custodians = a.custodians as Hex[];
        model.version = a.version as number;
        if (custodians.some((c) => isAddressEqual(c, this.#options.custodian))) {
          model.mine = true;
          (model.versions ??= {})[model.version] = { manifestCid: a.manifestCid as string, custodians };
        }
        break;
      }
      case "LicenseGranted":
      case "LicensePurchased":
        if (model.mine === true) this.#licences.set(licenceKey(modelId, a.licensee as Hex), { revoked: false, expiresAt: Number(a.expiresAt) });
        break;
      case "LicenseRevoked": {
        const licence = this.#licences.get(licenceKey(modelId, a.licensee as Hex));
        if (licence !== undefined) licence.revoked = true;
        break;
      }
      case "KeyRequested":
        if (model.mine === true) {
          this.#tickets.set((a.ticketId as Hex).toLowerCase(), {
            modelId, version: a.version as number, licensee: a.licensee as Hex, recipientKey: a.recipientKey as Hex, expiresAt: a.expiresAt as bigint,
          });
        }
        break;
    }
  }

  /** Whether both followers have reached a head seen within maxLagMs. */
  get fresh(): boolean {
    const horizon = Date.now() - this.#maxLagMs;
    return this.#confirmed.synced() >= horizon && (this.#head === undefined || this.#head.synced() >= horizon);
  }

  #settled(key: string): boolean {
    const block = this.#unsettled.get(key);
    if (block === undefined) return true;
    const cursor = this.#confirmed.follower?.cursor ?? 0n;
    if (cursor <= block) return false;
    this.#unsettled.delete(key);
    return true;
  }

  /** The ticket as Licenses.ticket() would show it, if the index can show it is live; else undefined. */
  vouch(ticketId: Hex): VouchedTicket | undefined {
    const ticket = this.#tickets.get(ticketId.toLowerCase());
    if (ticket === undefined || !this.fresh) return undefined;
    const key = licenceKey(ticket.modelId, ticket.licensee);
    const licence = this.#licences.get(key);
    const model = this.#models.get(ticket.modelId.toString());
    const version = model?.versions?.[ticket.version];
    if (licence === undefined || model?.owner === undefined || version === undefined || licence.revoked) return undefined;
    if (model.version !== ticket.version || !this.#settled(key) || !this.#settled(`model/${ticket.modelId}`)) return undefined;
    const until = this.#now() + TIME_MARGIN_S;
    if (until >= Number(ticket.expiresAt) || (licence.expiresAt !== 0 && until >= licence.expiresAt)) return undefined;
    return {
      ticket: { ...ticket, licenceLive: true, valid: true },
      owner: model.owner,
      manifestCid: version.manifestCid,
      custodians: version.custodians,
    };
  }

  /** Resolves once the index has followed the chain to head block `head` (as far as its confirmations let it) and is fresh. */
  async caughtUp(head: bigint, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const reached = (t: HeadTracker | undefined) => t === undefined || (t.follower?.cursor ?? 0n) > head - t.lag;
    while (!(reached(this.#confirmed) && reached(this.#head) && this.fresh)) {
      if (Date.now() > deadline) throw new Error(`the ticket index did not reach block ${head} in ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  get size(): number {
    return this.#tickets.size;
  }

  async #load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.#options.file, "utf8");
    } catch {
      return; // none yet: follow from the deployment block
    }
    try {
      const saved = JSON.parse(text, (_key, value: unknown) => (typeof value === "string" && /^[0-9]+n$/.test(value) ? BigInt(value.slice(0, -1)) : value)) as Saved;
      const { chain, custodian } = this.#options;
      if (saved.format !== FORMAT || saved.chainId !== chain.chainId || !isAddressEqual(saved.vault, chain.deployment.contracts.ModelVault) || !isAddressEqual(saved.custodian, custodian)) return;
      for (const [id, t] of saved.tickets) this.#tickets.set(id, t);
      for (const [key, l] of saved.licences) this.#licences.set(key, l);
      for (const [key, m] of saved.models) this.#models.set(key, m);
      this.#fromBlock = saved.cursor;
    } catch (error) {
      this.#options.onError?.(new Error(`ignoring an unreadable ticket index ${this.#options.file}`, { cause: error }));
    }
  }

  /** Writes the index with the confirmed follower's cursor (state and cursor agree between batches). */
  #save(): Promise<void> {
    this.#saving = this.#saving.then(async () => {
      const cursor = this.#confirmed.follower?.cursor ?? this.#fromBlock;
      if (!this.#dirty && cursor === this.#savedCursor) return;
      const now = this.#now();
      for (const [id, t] of this.#tickets) if (Number(t.expiresAt) < now) this.#tickets.delete(id);
      for (const [key, block] of this.#unsettled) if (block < cursor) this.#unsettled.delete(key); // settled: bounded by one confirmation window
      this.#dirty = false;
      const { chain, custodian } = this.#options;
      const saved: Saved = {
        format: FORMAT, chainId: chain.chainId, vault: chain.deployment.contracts.ModelVault, custodian, cursor,
        tickets: [...this.#tickets], licences: [...this.#licences], models: [...this.#models],
      };
      try {
        await writeFileAtomic(this.#options.file, JSON.stringify(saved, (_key, value: unknown) => (typeof value === "bigint" ? `${value}n` : value)));
        this.#savedCursor = cursor;
      } catch (error) {
        this.#dirty = true;
        this.#options.onError?.(new Error(`cannot save the ticket index: ${(error as Error).message}`));
      }
    });
    return this.#saving;
  }

  #savedCursor: bigint | undefined;

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#saver);
    await this.#head?.follower?.stop();
    await this.#confirmed.follower?.stop();
    await this.#save();
  }
}

interface Saved {
  format: number;
  chainId: number;
  vault: Hex;
  custodian: Hex;
  cursor: bigint;
  tickets: [string, IndexedTicket][];
  licences: [string, Licence][];
  models: [string, Model][];
}
