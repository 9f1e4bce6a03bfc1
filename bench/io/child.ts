/**
 * Benchmark child processes that talk in JSON lines: each prints {"event": ...} objects on stdout
 * and takes commands as lines on stdin. A child samples its own peak RSS every 20 ms.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";

export interface ChildEvent {
  event: string;
  [key: string]: unknown;
}

export class BenchChild {
  readonly child: ChildProcessWithoutNullStreams;
  readonly #events: ChildEvent[] = [];
  #waiters: Array<() => void> = [];
  #exit: Promise<number | null>;
  stderr = "";

  constructor(script: string, config: unknown) {
    this.child = spawn(process.execPath, [...process.execArgv, new URL(script, import.meta.url).pathname, JSON.stringify(config)], { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stderr.on("data", (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-20_000)));
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      try {
        this.#events.push(JSON.parse(line) as ChildEvent);
      } catch {
        return; // not ours (a library printing to stdout)
      }
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.#exit = new Promise((resolve) => this.child.once("exit", (code) => {
      resolve(code);
      for (const wake of this.#waiters.splice(0)) wake();
    }));
  }

  /** The next event named `name` (or one of `name`); rejects if the child exits first. */
  async next(name: string | string[], timeoutMs = 600_000): Promise<ChildEvent> {
    const deadline = Date.now() + timeoutMs;
    const names = typeof name === "string" ? [name] : name;
    for (;;) {
      const index = this.#events.findIndex((e) => names.includes(e.event));
      if (index !== -1) return this.#events.splice(0, index + 1).pop()!;
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`child exited (${this.child.exitCode ?? this.child.signalCode}) before "${name}": ${this.stderr.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`no "${name}" from child within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.#waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
  }

  send(command: string): void {
    this.child.stdin.write(`${command}\n`);
  }

  /** Closes stdin (the child's cue to stop) and waits for it to exit. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.stdin.end();
    return this.#exit;
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.#exit;
  }
}

/** In a child: the peak RSS since start (or since the last reset), sampled every 20 ms. */
export function rssSampler(): { peakMiB(): number; reset(): void } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  timer.unref();
  return {
    peakMiB: () => Math.round(Math.max(peak, process.memoryUsage.rss()) / 2 ** 20),
    reset: () => (peak = process.memoryUsage.rss()),
  };
}

/** In a child: prints one event line. */
export function emit(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
}

/** In a child: calls `handler` for each stdin line; resolves when stdin closes. */
export function commands(handler: (line: string) => void | Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin });
    lines.on("line", (line) => void handler(line.trim()));
    lines.once("close", () => resolve());
  });
}
