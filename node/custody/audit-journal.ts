/**
 * The auditor's journal, <dataDir>/audit-journal.json (mode 0600, replaced atomically): every
 * challenge it still has to reveal or close, with its secret salt (written before the challenge
 * is sent), and the bonds it spent in the last 24 hours.
 */
import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Address, Hex } from "viem";
import { writeFileAtomic } from "../atomic-file.js";
import { NodeError } from "../errors.js";

export const AUDIT_JOURNAL = "audit-journal.json";

export interface JournalEntry {
  /** "sending": written before the challenge transaction (its id is not known yet). */
  state: "sending" | "committed" | "revealed";
  modelId: string;
  custodian: Address;
  salt: Hex;
  bond: string;
  /** Head when the challenge was sent: where a restart looks for it. */
  sentAtBlock: string;
  /** ms timestamp of the spend it recorded. */
  openedAt: number;
  challengeId?: string;
  version?: number;
  seedBlock?: string;
  /** Last block of the current step (reveal, then response). */
  deadlineBlock?: string;
}

export interface Journal {
  version: 1;
  challenges: JournalEntry[];
  /** Bonds paid: ms timestamp and wei. */
  spent: { at: number; bond: string }[];
}

/** The audit journal is unreadable, or the auditor was started without an account. */
export class AuditError extends NodeError {
  constructor(message: string, options?: ErrorOptions) {
    super("AUDIT_FAILED", message, options);
  }
}

/** The journal at `path`, or an empty one when there is none. */
export async function loadJournal(path: string): Promise<Journal> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, challenges: [], spent: [] };
    throw new AuditError(`cannot read ${path}`, { cause: error });
  }
  try {
    const parsed = JSON.parse(text) as Journal;
    if (parsed.version !== 1 || !Array.isArray(parsed.challenges) || !Array.isArray(parsed.spent)) throw new Error("unknown shape");
    return parsed;
  } catch (error) {
    throw new AuditError(`the audit journal ${path} is corrupt: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

export async function saveJournal(path: string, journal: Journal): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, JSON.stringify(journal, null, 2) + "\n");
}
