/** Where a CLI run reads and writes: the real process by default, buffers in tests. */
import { SingleBar } from "cli-progress";
import { UsageError } from "./usage-error.js";

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  /** Terminal for progress bars; none (no bar) when undefined or not a TTY. */
  progressStream?: NodeJS.WriteStream;
  /** Stops a long-running command (`node start`) like SIGINT does. */
  signal?: AbortSignal;
  /** Whether `node start` listens for SIGINT/SIGTERM itself (the bin: yes; in-process tests: no). */
  handleSignals?: boolean;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, progressStream: process.stderr, handleSignals: true };
}

export interface Progress {
  /** Bytes done so far; `detail` names what is being worked on (a file of a directory). */
  update(value: number, detail?: { file?: string }): void;
  stop(): void;
}

/** How a long command reports progress: a bar on a terminal, JSON lines on stderr, or nothing. */
export type ProgressMode = "bar" | "json" | "none";

export interface ProgressOptions {
  json?: boolean;
  /** --progress: "bar" (default on a terminal), "json" (lines on stderr), "none". */
  progress?: string;
}

const NO_PROGRESS: Progress = { update() {}, stop() {} };
/** JSON progress lines at most this often (and always the last one). */
const JSON_PROGRESS_INTERVAL_MS = 250;

export function progressModeOf(options: ProgressOptions): ProgressMode | undefined {
  const mode = options.progress;
  if (mode === undefined) return undefined;
  if (mode !== "bar" && mode !== "json" && mode !== "none") throw new UsageError(`--progress is bar, json or none, got ${JSON.stringify(mode.slice(0, 40))}`);
  return mode;
}

/**
 * Progress of a long command. `--progress json` writes one line per update to stderr (at most
 * every 250 ms, plus the final one), so scripts can follow without a terminal:
 * `{"progress":"fetch","bytes":N,"totalBytes":M,"file":"model-00001-of-00002.safetensors"}`.
 * Without --progress, a bar on a terminal and nothing otherwise (or with --json).
 */
export function progressBar(io: CliIo, options: ProgressOptions, label: string, total: number): Progress {
  const mode = progressModeOf(options) ?? (options.json !== true && io.progressStream?.isTTY === true ? "bar" : "none");
  if (mode === "json") return jsonProgress(io, label, total);
  const stream = io.progressStream;
  if (mode === "none" || stream === undefined) return NO_PROGRESS;
  const bar = new SingleBar({
    stream,
    format: `${label} [{bar}] {percentage}% | {done}/{size} MiB | {speed} MiB/s`,
    hideCursor: true,
    clearOnComplete: false,
  });
  const mib = (n: number) => (n / 2 ** 20).toFixed(1);
  const started = Date.now();
  bar.start(total, 0, { done: mib(0), size: mib(total), speed: "0.0" });
  return {
    update(value) {
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      bar.update(value, { done: mib(value), size: mib(total), speed: mib(value / seconds) });
    },
    stop() {
      bar.stop();
    },
  };
}

function jsonProgress(io: CliIo, label: string, total: number): Progress {
  let last = { bytes: 0, file: undefined as string | undefined };
  let written = -1;
  let lastAt = 0;
  const write = () => {
    written = last.bytes;
    lastAt = Date.now();
    const line = { progress: label, bytes: last.bytes, totalBytes: total, ...(last.file === undefined ? {} : { file: last.file }) };
    io.stderr.write(JSON.stringify(line) + "\n");
  };
  return {
    update(value, detail) {
      last = { bytes: value, file: detail?.file ?? last.file };
      if (Date.now() - lastAt >= JSON_PROGRESS_INTERVAL_MS) write();
    },
    stop() {
      if (written !== last.bytes) write();
    },
  };
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(JSON.stringify(value) + "\n");
}

/** A byte count for people: B, KiB, MiB or GiB. */
export const sizeOf = (bytes: number) =>
  bytes < 1024 ? `${bytes} B` : bytes < 2 ** 20 ? `${(bytes / 1024).toFixed(1)} KiB` : bytes < 2 ** 30 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${(bytes / 2 ** 30).toFixed(2)} GiB`;

export function printLines(io: CliIo, rows: [string, string][]): void {
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) io.stdout.write(`${label.padEnd(width)}  ${value}\n`);
}
