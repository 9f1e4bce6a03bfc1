/** Where a CLI run reads and writes: the real process by default, buffers in tests. */
import { SingleBar } from "cli-progress";

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
  update(value: number): void;
  stop(): void;
}

const NO_PROGRESS: Progress = { update() {}, stop() {} };

/** A byte progress bar on the terminal; a no-op in --json mode or without a TTY. */
export function progressBar(io: CliIo, json: boolean, label: string, total: number): Progress {
  const stream = io.progressStream;
  if (json || stream?.isTTY !== true) return NO_PROGRESS;
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

export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(JSON.stringify(value) + "\n");
}

export function printLines(io: CliIo, rows: [string, string][]): void {
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) io.stdout.write(`${label.padEnd(width)}  ${value}\n`);
}
