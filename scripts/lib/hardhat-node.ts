/**
 * Runs `hardhat node` as a child process on 127.0.0.1 for tests that need a chain over real
 * HTTP (and for multi-process end-to-end runs). The CLI's JS file is run with this very node
 * binary, never through npx: a wrapper would survive its own kill and keep the port.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdir, readFile, readlink } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const OUTPUT_LIMIT = 64 * 1024;

export interface HardhatNode {
  /** http://127.0.0.1:<port> */
  rpcUrl: string;
  port: number;
  /** The node's process id (it owns the port: no wrapper in between). */
  pid: number;
  /** The chain's id as the node reports it (31337 unless configured otherwise). */
  chainId: number;
  /** The last 64 KiB of the node's stdout and stderr, for failure messages. */
  output(): string;
  /** Ends the node (the process that owns the port and its process group) and waits for it. */
  stop(): Promise<void>;
}

export interface StartHardhatNodeOptions {
  /** How long start-up may take before it counts as failed. */
  startTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL. */
  stopTimeoutMs?: number;
  /** Extra arguments for `hardhat node`. */
  args?: string[];
  /** A fixed port (e.g. 8545); a free one by default. */
  port?: number;
}

export class HardhatNodeError extends Error {
  constructor(message: string, output: string) {
    super(output.trim() === "" ? message : `${message}\n--- hardhat node output (tail) ---\n${output.trimEnd()}`);
    this.name = "HardhatNodeError";
  }
}

function hardhatCli(): string {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve("hardhat/package.json");
  const { bin } = require(packageJson) as { bin: Record<string, string> };
  return join(dirname(packageJson), bin.hardhat!);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ready, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", ready);
  });
  const address = server.address();
  await new Promise<void>((closed) => server.close(() => closed()));
  if (address === null || typeof address === "string") throw new Error("could not allocate a port");
  return address.port;
}

function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

async function chainIdOf(rpcUrl: string): Promise<number | undefined> {
  try {
    const response = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(2_000),
    });
    const body = (await response.json()) as { result?: string };
    return typeof body.result === "string" ? Number.parseInt(body.result, 16) : undefined;
  } catch {
    return undefined;
  }
}

/** Linux: pids in process group `group` holding a listening TCP socket on `port`. */
async function portOwners(port: number, group: number): Promise<number[]> {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = await readFile(table, "utf8");
    } catch {
      continue; // not Linux, or no IPv6
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      // State 0A = LISTEN; the local address ends in :<port as 4 hex digits>.
      if (local !== undefined && fields[3] === "0A" && Number.parseInt(local.split(":")[1] ?? "", 16) === port) {
        inodes.add(fields[9]!);
      }
    }
  }
  if (inodes.size === 0) return [];
  const owners: number[] = [];
  for (const entry of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    // Only processes of our own group: never end anything this helper did not start.
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
    if (pgrp !== group) continue;
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (inode !== undefined && inodes.has(inode)) {
        owners.push(pid);
        break;
      }
    }
  }
  return owners;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function startOnce(port: number, options: StartHardhatNodeOptions): Promise<HardhatNode> {
  const startTimeoutMs = options.startTimeoutMs ?? 90_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  const rpcUrl = `http://127.0.0.1:${port}`;
  // Its own process group, so stop() reaches anything it spawns and nothing else.
  const child = spawn(process.execPath, [hardhatCli(), "node", "--hostname", "127.0.0.1", "--port", String(port), ...(options.args ?? [])], {
    cwd: ROOT,
    env: process.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const keep = (part: Buffer) => {
    output = (output + part.toString("utf8")).slice(-OUTPUT_LIMIT);
  };
  // Always drain both pipes: a full pipe would block the node on its next log line.
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  let spawnError: Error | undefined;
  child.once("error", (error) => (spawnError = error));
  const group = child.pid;
  // If the test process ends without stop(), do not leave a chain running.
  const killOnExit = () => {
    if (group !== undefined && !exited(child)) signal(-group, "SIGKILL");
  };
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));

  /** Done when the child has exited and no process of its group still holds the port. */
  async function gone(): Promise<boolean> {
    return exited(child) && (group === undefined || (await portOwners(port, group)).length === 0);
  }

  async function stop(): Promise<void> {
    if (group === undefined || (await gone())) return;
    for (const pid of await portOwners(port, group)) signal(pid, "SIGTERM");
    if (!exited(child)) signal(-group, "SIGTERM");
    let deadline = Date.now() + stopTimeoutMs;
    while (Date.now() < deadline && !(await gone())) await delay(100);
    if (await gone()) return;
    for (const pid of await portOwners(port, group)) signal(pid, "SIGKILL");
    if (!exited(child)) signal(-group, "SIGKILL");
    deadline = Date.now() + stopTimeoutMs;
    while (Date.now() < deadline && !(await gone())) await delay(100);
    if (!(await gone())) throw new HardhatNodeError(`hardhat node (pid ${group}) did not exit`, output);
  }

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (spawnError !== undefined) throw new HardhatNodeError(`could not start hardhat node: ${spawnError.message}`, output);
    if (exited(child)) {
      throw new HardhatNodeError(`hardhat node exited with ${child.exitCode ?? child.signalCode} before answering on ${rpcUrl}`, output);
    }
    const chainId = await chainIdOf(rpcUrl);
    if (chainId !== undefined) {
      return { rpcUrl, port, pid: group!, chainId, output: () => output, stop };
    }
    if (Date.now() > deadline) {
      await stop().catch(() => undefined);
      throw new HardhatNodeError(`hardhat node did not answer eth_chainId on ${rpcUrl} within ${startTimeoutMs} ms`, output);
    }
    await delay(250);
  }
}

/** Starts `hardhat node` on a free (or the given) 127.0.0.1 port; resolves once it answers eth_chainId. */
export async function startHardhatNode(options: StartHardhatNodeOptions = {}): Promise<HardhatNode> {
  if (options.port !== undefined) return startOnce(options.port, options);
  // Between freePort() and the node's bind another process may take the port: try again then.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(await freePort(), options);
    } catch (error) {
      if (attempt >= 3 || !(error instanceof HardhatNodeError) || !/EADDRINUSE/.test(error.message)) throw error;
    }
  }
}
