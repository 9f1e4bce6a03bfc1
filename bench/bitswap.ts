/**
 * npm run bench:bitswap — bitswap between two processes on 127.0.0.1, the pristine
 * @helia/bitswap against the one patched by patches/@helia+bitswap+*.patch, side by side.
 *
 * The same transfer for each variant and window: MIB random raw blocks of 1 MiB + 16 bytes (the
 * size of a sealed 1 MiB frame) in a data dir served by a peer in one process, fetched by a peer
 * in another with WINDOW requests in flight (a sliding window over the leaf CIDs, one connected
 * peer, both sides on the same variant). Each phase starts fresh processes (so the serving
 * process's peak RSS, VmHWM, is that phase's) and is timed after `sync`. Reported: MB/s, the
 * serving process's peak RSS, CPU time per MB of each process, and stalls (a transfer with no
 * block for 15 s is abandoned and run again; the stock package loses blocks when a js-libp2p
 * receiver resets a stream that buffered more than 4 MiB, and never sends them again).
 *
 * The pristine package is a copy of node_modules/@helia/bitswap with the patches reversed, in
 * node_modules/.modelvault-bench/node_modules/@helia/bitswap; its own dependencies resolve from
 * the project's node_modules by walking up.
 *
 *   node --import tsx bench/bitswap.ts [--mib 256] [--rounds 3] [--windows 16,64,256]
 *     [--variants pristine,patched] [--client want|blockstore] [--options JSON] [--cpu-prof DIR]
 *
 * --client want (default) asks the bitswap block broker (one hash per block, nothing stored);
 * blockstore calls helia.blockstore.get (Helia hashes again and stores each block). --options
 * are bitswap options for both sides. A variant may also be the directory of another copy of the
 * package, to try a change. MV_BENCH_LOGS=DIR writes each child's stderr (e.g. DEBUG output)
 * to DIR.
 *
 * Run it under `flock /tmp/mv-bench.lock` on a shared machine.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { cpSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { Readable, Writable } from "node:stream";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { FastFsBlockstore } from "../node/storage/blockstore.js";

const MiB = 1 << 20;
const BLOCK = MiB + 16;
const { values } = parseArgs({
  options: {
    mib: { type: "string", default: "256" },
    rounds: { type: "string", default: "3" },
    windows: { type: "string", default: "16,64,256" },
    variants: { type: "string", default: "pristine,patched" },
    client: { type: "string", default: "want" },
    options: { type: "string", default: "{}" },
    "cpu-prof": { type: "string" },
  },
});
const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const installed = join(root, "node_modules/@helia/bitswap");
const pristine = join(root, "node_modules/.modelvault-bench/node_modules/@helia/bitswap");
const peerScript = fileURLToPath(new URL("./bitswap/peer.ts", import.meta.url));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Copies the installed (patched) package and reverses its patches in the copy, last first
 * (patch-package names a sequence @helia+bitswap+VERSION+001+name.patch, ...).
 */
function preparePristine(): void {
  const patchDir = join(root, "patches");
  const patches = existsSync(patchDir) ? readdirSync(patchDir).filter((f) => f.startsWith("@helia+bitswap+")).sort().reverse() : [];
  if (patches.length === 0) throw new Error("no patches/@helia+bitswap+*.patch");
  rmSync(pristine, { recursive: true, force: true });
  mkdirSync(join(pristine, ".."), { recursive: true });
  cpSync(installed, pristine, { recursive: true });
  for (const patch of patches) {
    // patch-package writes a/node_modules/@helia/bitswap/<file>: strip 4 components
    const args = ["-R", "-p4", "-s", "-f", "-d", pristine, "-i", join(patchDir, patch)];
    try {
      execFileSync("patch", ["--dry-run", ...args]);
    } catch {
      throw new Error(`cannot reverse ${patch} on node_modules/@helia/bitswap: is it applied? (npx patch-package)`);
    }
    execFileSync("patch", ["--no-backup-if-mismatch", ...args]);
  }
}

const label = (variant: string) => (variant === "patched" || variant === "pristine" ? variant : basename(resolve(variant)));

/** "patched" (installed), "pristine", or the directory of another copy of the package (experiments). */
function variantUrl(variant: string): string {
  if (variant === "patched") return pathToFileURL(join(installed, "dist/src/index.js")).href;
  if (variant === "pristine") return pathToFileURL(join(pristine, "dist/src/index.js")).href;
  const dir = resolve(variant);
  if (!existsSync(join(dir, "dist/src/index.js"))) throw new Error(`unknown variant ${variant}`);
  return pathToFileURL(join(dir, "dist/src/index.js")).href;
}

/** One warm-up block of 1 KiB, then `count` random blocks of BLOCK bytes; returns the CIDs file. */
async function makeBlocks(dataDir: string, count: number): Promise<string> {
  const store = new FastFsBlockstore(join(dataDir, "blocks"));
  await store.open();
  const cids: CID[] = [];
  const buffer = Buffer.allocUnsafe(BLOCK);
  for (let i = 0; i <= count; i++) {
    const bytes = i === 0 ? randomFillSync(Buffer.allocUnsafe(1024)) : randomFillSync(buffer);
    const cid = CID.createV1(raw.code, await sha256.digest(bytes));
    await store.put(cid, bytes);
    cids.push(cid);
  }
  await store.close();
  const file = join(dataDir, "cids.txt");
  writeFileSync(file, cids.map(String).join("\n") + "\n");
  return file;
}

interface Child {
  process: ChildProcess & { stdin: Writable; stdout: Readable };
  lines: Interface;
  next: () => Promise<Record<string, unknown>>;
}

function child(args: string[], name: string): Child {
  const prof = values["cpu-prof"] === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", values["cpu-prof"], "--cpu-prof-name", `${name}-${Date.now()}.cpuprofile`];
  // MV_BENCH_LOGS=DIR: each child's stderr (e.g. DEBUG=helia:bitswap* output) to DIR/NAME.log
  const logs = process.env.MV_BENCH_LOGS;
  const stderr = logs === undefined ? ("inherit" as const) : openSync(join(logs, `${name}.log`), "w");
  const proc = spawn(process.execPath, [...process.execArgv, ...prof, peerScript, ...args], { stdio: ["pipe", "pipe", stderr] }) as Child["process"];
  const lines = createInterface({ input: proc.stdout });
  const queue: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  let exited: Error | undefined;
  lines.on("line", (line) => {
    if (!line.startsWith("{")) return;
    const w = waiting.shift();
    if (w !== undefined) w(line);
    else queue.push(line);
  });
  proc.once("exit", (code) => {
    exited = new Error(`${name} exited with ${code}`);
  });
  const next = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const line = queue.shift();
      if (line !== undefined) return resolve(JSON.parse(line));
      if (exited !== undefined) return reject(exited);
      waiting.push((l) => resolve(JSON.parse(l)));
      proc.once("exit", () => setImmediate(() => reject(exited)));
    });
  return { process: proc, lines, next };
}

/** Resolves when the child has exited (at most 20 s). */
const exited = (c: Child) =>
  new Promise<void>((resolve) => {
    if (c.process.exitCode !== null || c.process.signalCode !== null) return resolve();
    const timer = setTimeout(resolve, 20_000);
    c.process.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });

interface Phase {
  mbps: number;
  serverPeakRssMiB: number;
  serverCpuMs: number;
  fetcherCpuMs: number;
}

async function phase(variant: string, window: number, servedDir: string, cidsFile: string, bytes: number): Promise<Phase | { stalledAfter: number }> {
  const url = variantUrl(variant);
  const server = child(["serve", url, servedDir, values.options], `serve-${label(variant)}-${window}`);
  const { addresses } = (await server.next()) as { addresses: string[] };
  const fetchDir = await mkdtemp(join(tmpdir(), "mv-bench-bitswap-fetch-"));
  const fetcher = child(["fetch", url, fetchDir, addresses[0]!, cidsFile, String(window), values.options, values.client], `fetch-${label(variant)}-${window}`);
  try {
    await fetcher.next(); // ready
    execFileSync("sync");
    server.process.stdin.write("mark\n");
    fetcher.process.stdin.write("go\n");
    const result = (await fetcher.next()) as { ms: number; bytes: number; cpuMs: number; stalled?: true; blocks?: number };
    if (result.stalled === true) return { stalledAfter: result.blocks! };
    if (result.bytes !== bytes) throw new Error(`fetched ${result.bytes} bytes, expected ${bytes}`);
    fetcher.process.stdin.end();
    await exited(fetcher);
    server.process.stdin.end();
    const { peakRssMiB, cpuMs } = (await server.next()) as { peakRssMiB: number; cpuMs: number };
    await exited(server); // a CPU profile is written on exit
    return { mbps: bytes / 1e6 / (result.ms / 1000), serverPeakRssMiB: peakRssMiB, serverCpuMs: cpuMs, fetcherCpuMs: result.cpuMs };
  } finally {
    fetcher.process.kill();
    server.process.kill();
    await rm(fetchDir, { recursive: true, force: true });
  }
}

async function main() {
  const mib = Number(values.mib);
  const rounds = Number(values.rounds);
  const windows = values.windows.split(",").map(Number);
  const variants = values.variants.split(",");
  if (variants.includes("pristine")) preparePristine();
  const servedDir = await mkdtemp(join(tmpdir(), "mv-bench-bitswap-serve-"));
  try {
    const cidsFile = await makeBlocks(servedDir, mib);
    const bytes = mib * BLOCK;
    const results = new Map<string, Phase[]>();
    const stalls = new Map<string, number>();
    for (let r = 0; r < rounds; r++) {
      for (const window of windows) {
        // the variants take turns going first
        const order = r % 2 === 0 ? variants : [...variants].reverse();
        for (const variant of order) {
          const key = `${variant}/${window}`;
          // a stalled transfer (no block for 15 s) is counted and run again, up to 3 attempts a round
          for (let attempt = 1; ; attempt++) {
            const p = await phase(variant, window, servedDir, cidsFile, bytes);
            if ("stalledAfter" in p) {
              stalls.set(key, (stalls.get(key) ?? 0) + 1);
              console.error(`round ${r + 1} window ${window} ${label(variant)}: STALLED after ${p.stalledAfter} of ${mib} blocks (attempt ${attempt})`);
              if (attempt < 3) continue;
              break; // this round has no figures for the key
            }
            console.error(`round ${r + 1} window ${window} ${label(variant)}: ${p.mbps.toFixed(1)} MB/s, server peak RSS ${p.serverPeakRssMiB} MiB`);
            results.set(key, [...(results.get(key) ?? []), p]);
            break;
          }
        }
      }
    }

    const figure = (variant: string, window: number) => {
      const ps = results.get(`${variant}/${window}`) ?? [];
      if (ps.length === 0) return { mbps: 0, serverPeakRssMiB: 0, serverCpuMsPerMB: 0, fetcherCpuMsPerMB: 0, stalls: stalls.get(`${variant}/${window}`) ?? 0, rounds: 0 };
      return {
        mbps: Number(median(ps.map((p) => p.mbps)).toFixed(1)),
        serverPeakRssMiB: median(ps.map((p) => p.serverPeakRssMiB)),
        serverCpuMsPerMB: Number(median(ps.map((p) => p.serverCpuMs / (bytes / 1e6))).toFixed(2)),
        fetcherCpuMsPerMB: Number(median(ps.map((p) => p.fetcherCpuMs / (bytes / 1e6))).toFixed(2)),
        stalls: stalls.get(`${variant}/${window}`) ?? 0,
        rounds: ps.length,
      };
    };
    console.log(`\nbitswap, 2 processes on 127.0.0.1: ${mib} blocks of 1 MiB + 16 B (MB = 10^6 B), client ${values.client}, median of ${rounds} rounds\n`);
    const pad = (x: string | number, n: number) => String(x).padStart(n);
    const head = (v: string) => `${pad(v, 9)} MB/s  RSS MiB  cpu ms/MB${pad("stalls", 7)}`;
    console.log(`window ${variants.map((v) => head(label(v))).join("  |")}${variants.length === 2 ? "  | speedup" : ""}`);
    const json: Record<string, unknown> = { mib, rounds, client: values.client, options: JSON.parse(values.options) };
    for (const window of windows) {
      const fs = variants.map((v) => figure(v, window));
      const cells = fs.map((f) => `${pad(f.mbps.toFixed(1), 14)}  ${pad(f.serverPeakRssMiB, 7)}  ${pad(`${f.serverCpuMsPerMB.toFixed(1)}+${f.fetcherCpuMsPerMB.toFixed(1)}`, 9)}${pad(f.stalls, 7)}`);
      const ratio = fs.length === 2 && fs[0]!.mbps > 0 ? `${(fs[1]!.mbps / fs[0]!.mbps).toFixed(2)}x` : "-";
      const speedup = fs.length === 2 ? `  | ${pad(ratio, 7)}` : "";
      console.log(`${pad(window, 6)} ${cells.join("  |")}${speedup}`);
      variants.forEach((v, i) => (json[`${label(v)}${window}`] = fs[i]));
    }
    console.log(
      "\nRSS: the serving process's peak (VmHWM). cpu: CPU time of the serving + the fetching process per MB moved." +
        "\nstalls: transfers abandoned after 15 s without a block (then run again, up to 3 attempts a round); not in the medians.\n",
    );
    console.log(JSON.stringify(json));
  } finally {
    await rm(servedDir, { recursive: true, force: true });
  }
}

await main();
