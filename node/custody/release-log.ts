/**
 * A custodian's releases, one record per ticket: the answer it gave (its share wrapped to the
 * ticket's recipient key), so a repeated request gets the same bytes back instead of a refusal.
 * A replay then reveals nothing new and costs the licensee nothing (docs/PROTOCOL.md, "Access
 * tickets and releases").
 *
 * The record is made synchronously (two concurrent requests for one ticket get one wrap) and
 * appended to the log, one line per record, before the answer leaves:
 *   <ticketId> <expiresAt> <recipientKey> <wrappedShare>\n     (lowercase 0x-hex, decimal seconds)
 * The log is read back at open, so the answer survives restarts. Lines that are torn (a crash
 * mid-append), unreadable (the older one-id-per-line format) or for tickets expired more than
 * RETAIN_AFTER_EXPIRY_S ago are dropped and the file rewritten (temp file, fsync, rename); while
 * running, expired records leave memory once a minute and the file is rewritten when most of it
 * is dead. An expired ticket is refused before its record is looked at, so the live set is what
 * one ticket TTL (plus that margin) of paid tickets released.
 */
import { open, readdir, readFile, rm, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Hex } from "viem";
import { writeFileAtomic } from "../atomic-file.js";
import { NodeError } from "../errors.js";

export interface ReleaseRecord {
  ticketId: Hex;
  /** The ticket's expiry on chain, Unix seconds. */
  expiresAt: number;
  /** 33-byte compressed key the share was wrapped to. */
  recipientKey: Hex;
  wrappedShare: Hex;
}

/** Records are kept this long past their ticket's expiry: slack for a chain clock behind ours. */
export const RETAIN_AFTER_EXPIRY_S = 3600;
const SWEEP_EVERY_S = 60;
/** The file is rewritten when it holds at least this many dead lines, and more dead than live. */
const COMPACT_MIN_DEAD = 1024;
const LINE = /^(0x[0-9a-f]{64}) ([0-9]{1,15}) (0x0[23][0-9a-f]{64}) (0x(?:[0-9a-f]{2}){1,512})$/;

export class ReleaseLogError extends NodeError {
  constructor(message: string, options?: ErrorOptions) {
    super("SHARE_STORE", message, options);
  }
}

interface Entry {
  record: ReleaseRecord;
  /** Settles once the record's line is written (or failed to be). */
  written: Promise<void>;
  onDisk: boolean;
}

const lineOf = (r: ReleaseRecord) => `${r.ticketId} ${r.expiresAt} ${r.recipientKey} ${r.wrappedShare}\n`;

function parseLine(line: string): ReleaseRecord | undefined {
  const m = LINE.exec(line);
  if (m === null) return undefined;
  return { ticketId: m[1] as Hex, expiresAt: Number(m[2]), recipientKey: m[3] as Hex, wrappedShare: m[4] as Hex };
}

export class ReleaseLog {
  readonly #path: string;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  /** File operations in order, one at a time. */
  #queue: Promise<void> = Promise.resolve();
  #file: Promise<FileHandle> | undefined;
  /** Complete lines in the file. */
  #lines = 0;
  #lastSweep: number;

  private constructor(path: string, now: () => number) {
    this.#path = path;
    this.#now = now;
    this.#lastSweep = now();
  }

  /** Opens (creating) the log at `path`; `now` is Unix seconds (a test's clock). */
  static async open(path: string, options: { now?: () => number } = {}): Promise<ReleaseLog> {
    const log = new ReleaseLog(path, options.now ?? (() => Math.floor(Date.now() / 1000)));
    let text = "";
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new ReleaseLogError(`unreadable ${path}`, { cause: error });
    }
    const stale = `${basename(path)}.tmp-`; // an interrupted rewrite
    for (const name of await readdir(dirname(path))) if (name.startsWith(stale)) await rm(join(dirname(path), name), { force: true });

    const lines = text.split("\n");
    let dropped = lines.pop() === "" ? 0 : 1; // a last line without its newline is torn
    const now = log.#now();
    for (const line of lines) {
      const record = parseLine(line);
      if (record === undefined || log.#expired(record, now)) {
        dropped++;
        continue;
      }
      if (log.#entries.has(record.ticketId)) dropped++; // a duplicate: the later line wins
      log.#entries.set(record.ticketId, { record, written: Promise.resolve(), onDisk: true });
    }
    log.#lines = lines.length;
    // A clean file, so the next append cannot join a torn tail.
    if (dropped > 0) await log.#rewrite();
    return log;
  }

  #expired(record: ReleaseRecord, now: number): boolean {
    return now > record.expiresAt + RETAIN_AFTER_EXPIRY_S;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(ticketId: Hex): ReleaseRecord | undefined {
    return this.#entries.get(ticketId.toLowerCase())?.record;
  }

  /**
   * The release record of `ticketId`: the one made before if there is one (whatever `terms` say:
   * the caller compares), else a new one holding `wrap()`'s bytes. Either way the record is on
   * disk before this returns; `wrap` is called at most once per ticket, however many concurrent
   * callers.
   */
  async releaseOnce(ticketId: Hex, terms: { recipientKey: Hex; expiresAt: number }, wrap: () => Hex): Promise<ReleaseRecord> {
    const id = ticketId.toLowerCase() as Hex;
    let entry = this.#entries.get(id);
    if (entry === undefined) {
      const record: ReleaseRecord = {
        ticketId: id,
        expiresAt: terms.expiresAt,
        recipientKey: terms.recipientKey.toLowerCase() as Hex,
        wrappedShare: wrap().toLowerCase() as Hex,
      };
      const line = lineOf(record);
      if (!LINE.test(line.slice(0, -1))) throw new ReleaseLogError("a release record is a ticket id, an expiry, a compressed key and a wrapped share");
      const created: Entry = { record, written: Promise.resolve(), onDisk: false };
      this.#entries.set(id, created); // before any await: the check and the claim are one step
      created.written = this.#enqueue(async () => {
        await (await this.#handle()).appendFile(line); // the whole line, however many write(2)s
        this.#lines++;
        created.onDisk = true;
      }).catch((error: unknown) => {
        // Nothing left with this wrap: the next request makes a new one.
        if (this.#entries.get(id) === created) this.#entries.delete(id);
        this.#dropHandle();
        throw new ReleaseLogError("cannot record the release", { cause: error });
      });
      entry = created;
      this.#sweep();
    }
    await entry.written;
    return entry.record;
  }

  /** Expired records leave memory; a mostly dead file is rewritten (after the queued appends). */
  #sweep(): void {
    const now = this.#now();
    if (now - this.#lastSweep < SWEEP_EVERY_S) return;
    this.#lastSweep = now;
    for (const [id, entry] of this.#entries) if (entry.onDisk && this.#expired(entry.record, now)) this.#entries.delete(id);
    const dead = this.#lines - this.#entries.size;
    if (dead >= COMPACT_MIN_DEAD && dead > this.#entries.size) this.#enqueue(() => this.#rewrite()).catch(() => {}); // retried at the next sweep
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => {});
    return run;
  }

  #handle(): Promise<FileHandle> {
    this.#file ??= open(this.#path, "a", 0o600);
    return this.#file;
  }

  #dropHandle(): void {
    const file = this.#file;
    this.#file = undefined; // reopened by the next append
    void file?.then((f) => f.close()).catch(() => {});
  }

  /** Only the records already written: a pending one is appended after this, by its own task. */
  async #rewrite(): Promise<void> {
    const kept = [...this.#entries.values()].filter((e) => e.onDisk).map((e) => lineOf(e.record));
    // The append handle points at the old file, which the rename replaces.
    await this.#closeHandle();
    await writeFileAtomic(this.#path, kept.join(""));
    this.#lines = kept.length;
  }

  async #closeHandle(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    await (await file?.catch(() => undefined))?.close();
  }

  /** Waits for the queued writes and closes the file. */
  async close(): Promise<void> {
    await this.#queue;
    await this.#closeHandle();
  }
}
