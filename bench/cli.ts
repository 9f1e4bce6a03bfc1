/**
 * CLI cold start, the built package against the checkout's tsx launcher in the same run:
 *   - `modelvault --version`: from spawn to exit (median of --rounds);
 *   - `modelvault node start`: from spawn until GET /health answers 200 (a fresh data dir with
 *     an identity made by `node init` at the default scrypt cost, API and libp2p on 127.0.0.1,
 *     no chain), then SIGTERM and a clean exit.
 * Builds the package first when dist/package is missing or older than the sources.
 *
 *   node --import tsx bench/cli.ts [--rounds 9] [--start-rounds 5]
 * On a shared machine: flock /tmp/mv-bench.lock npm run bench:cli
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildPackage, PACKAGE_DIR, ROOT } from "../scripts/build-package.js";
import { BIN, ProcessFixture } from "../scripts/lib/processes.js";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "9" }, "start-rounds": { type: "string", default: "5" } } });
const rounds = Number(values.rounds);
const startRounds = Number(values["start-rounds"]);
const PASSWORD = "bench-cli-password";

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** The newest modification time of the package's sources (and of what the build copies). */
function newestSource(): number {
  let newest = statSync(join(ROOT, "package.json")).mtimeMs;
  for (const dir of ["crypto", "sdk", "node", "contracts", "zkp", "bin"]) {
    for (const file of readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })) {
      if (file.endsWith(".ts") || file.endsWith(".js")) newest = Math.max(newest, statSync(join(ROOT, dir, file)).mtimeMs);
    }
  }
  return newest;
}

async function timeVersion(bin: string): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [bin, "--version"], { stdio: ["ignore", "pipe", "inherit"] });
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`${bin} --version exited with ${code}`);
  return performance.now() - started;
}

async function waitForHealth(api: string): Promise<void> {
  for (;;) {
    const answer = await fetch(`${api}/health`).catch(() => undefined);
    if (answer?.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function timeNodeStart(bin: string, dataDir: string): Promise<number> {
  const fixture = new ProcessFixture({ MODELVAULT_PASSWORD: PASSWORD }, { bin, cwd: tmpdir() });
  try {
    const started = performance.now();
    const node = await fixture.start(["--data-dir", dataDir, "--api-port", "0", "--listen", "/ip4/127.0.0.1/tcp/0"]);
    await waitForHealth(node.started.api);
    const ms = performance.now() - started;
    const code = await node.stop("SIGTERM");
    if (code !== 0) throw new Error(`node start (${bin}) exited with ${code} on SIGTERM: ${node.stderr()}`);
    return ms;
  } finally {
    await fixture.cleanup();
  }
}

async function measure(bin: string): Promise<{ versionMs: number; nodeStartMs: number }> {
  await timeVersion(bin); // warms the OS file cache (and tsx's transform cache): cold start of the process, not of the disk
  const version: number[] = [];
  for (let i = 0; i < rounds; i++) version.push(await timeVersion(bin));
  const dataDir = await mkdtemp(join(tmpdir(), "mv-bench-cli-"));
  try {
    const init = await new ProcessFixture({ MODELVAULT_PASSWORD: PASSWORD }, { bin }).run(["node", "init", "--data-dir", dataDir]);
    if (init.code !== 0) throw new Error(`node init failed: ${init.stderr}`);
    await timeNodeStart(bin, dataDir); // warm-up, as above
    const start: number[] = [];
    for (let i = 0; i < startRounds; i++) start.push(await timeNodeStart(bin, dataDir));
    return { versionMs: median(version), nodeStartMs: median(start) };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

const builtBin = join(PACKAGE_DIR, "bin", "modelvault.js");
if (!existsSync(join(PACKAGE_DIR, "node", "cli", "index.js")) || statSync(builtBin).mtimeMs < newestSource()) {
  console.log("building the package (npm run build)...");
  buildPackage();
}

const built = await measure(builtBin);
const checkout = await measure(BIN);
const r = (x: number) => Math.round(x);
console.log(`\nCLI cold start, median of ${rounds} (--version) and ${startRounds} (node start) runs\n`);
console.log("launcher                       --version ms   node start -> /health ms");
console.log(`built package (dist/package)   ${String(r(built.versionMs)).padStart(12)}   ${String(r(built.nodeStartMs)).padStart(24)}`);
console.log(`checkout (tsx)                 ${String(r(checkout.versionMs)).padStart(12)}   ${String(r(checkout.nodeStartMs)).padStart(24)}`);
console.log(`ratio checkout / built         ${(checkout.versionMs / built.versionMs).toFixed(2).padStart(12)}   ${(checkout.nodeStartMs / built.nodeStartMs).toFixed(2).padStart(24)}`);
console.log("goals: --version <= 300 ms, node start <= 2000 ms (built package)\n");
console.log(
  JSON.stringify({
    versionMs: r(built.versionMs),
    nodeStartMs: r(built.nodeStartMs),
    checkoutVersionMs: r(checkout.versionMs),
    checkoutNodeStartMs: r(checkout.nodeStartMs),
    rounds,
    startRounds,
  }),
);
