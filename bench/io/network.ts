/**
 * The network phases of bench:io, every peer its own process on 127.0.0.1: one serving process
 * (bitswap, or its trustless gateway), three at once, one behind a delaying proxy, a fetching
 * process killed at 50 % and restarted, and peak RSS of both sides.
 */
import { execFileSync } from "node:child_process";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BenchChild, type ChildEvent } from "./child.js";

export interface Served {
  dataDir: string;
  manifest: string;
  key: `0x${string}`;
  plainBytes: number;
  sealedBytes: number;
}

export interface FetchFigures {
  mbps: number;
  firstByteMs: number;
  fetchRssMiB: number;
  serveRssMiB: number;
  stats: { sources: Record<string, { blocks: number }> };
}

const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);
const dirs: string[] = [];
async function tempDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `mv-bench-${name}-`));
  dirs.push(dir);
  return dir;
}
export async function cleanupNetwork(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true, maxRetries: 5 })));
}

interface Server {
  child: BenchChild;
  addresses: string[];
  api: string;
  peerId: string;
}

async function serve(dataDir: string): Promise<Server> {
  const child = new BenchChild("./serve-peer.ts", { dataDir });
  const ready = await child.next("ready", 60_000);
  return { child, addresses: ready.addresses as string[], api: ready.api as string, peerId: ready.peerId as string };
}

async function serverStats(server: Server): Promise<{ peakRssMiB: number; servedBytes: number }> {
  server.child.send("stats");
  const stats = await server.child.next("stats");
  return { peakRssMiB: stats.peakRssMiB as number, servedBytes: stats.servedBytes as number };
}

/** A copy of a served data dir with its own peer identity (the peer key is made anew). */
export async function copyOf(served: Served): Promise<Served> {
  const dataDir = await tempDir("copy");
  await cp(served.dataDir, dataDir, { recursive: true });
  await rm(join(dataDir, "peer.key"), { force: true });
  return { ...served, dataDir };
}

interface FetchSetup {
  peers?: string[];
  gateways?: string[];
  dataDir?: string;
  output?: string;
  /** Called with each progress event; may kill the child. */
  onProgress?: (event: ChildEvent, child: BenchChild) => void;
}

/** Starts a fetching process, waits until it is connected, syncs, says go, returns its "done". */
async function fetchWith(served: Served, setup: FetchSetup): Promise<{ done: ChildEvent | undefined; child: BenchChild }> {
  const child = new BenchChild("./fetch-peer.ts", {
    dataDir: setup.dataDir ?? (await tempDir("fetch")),
    peers: setup.peers ?? [],
    gateways: setup.gateways ?? [],
    manifest: served.manifest,
    key: served.key,
    ...(setup.output === undefined ? {} : { output: setup.output }),
  });
  await child.next("ready", 60_000);
  execFileSync("sync");
  child.send("go");
  for (;;) {
    let event: ChildEvent;
    try {
      event = await child.next(["progress", "done", "error"]);
    } catch (error) {
      if (child.child.signalCode !== null) return { done: undefined, child }; // killed by onProgress
      throw error;
    }
    if (event.event === "error") throw new Error(`fetch failed: ${String(event.message)}`);
    if (event.event === "done") return { done: event, child };
    setup.onProgress?.(event, child);
  }
}

async function measured(served: Served, servers: Server[], setup: FetchSetup): Promise<FetchFigures> {
  for (const server of servers) server.child.send("reset");
  const { done, child } = await fetchWith(served, setup);
  await child.stop();
  if (done === undefined) throw new Error("fetch did not finish");
  if (done.bytes !== served.plainBytes) throw new Error(`fetched ${String(done.bytes)} bytes, expected ${served.plainBytes}`);
  const serveRss = Math.max(...(await Promise.all(servers.map(serverStats))).map((s) => s.peakRssMiB));
  return {
    mbps: mbps(served.plainBytes, done.ms as number),
    firstByteMs: done.firstByteMs as number,
    fetchRssMiB: done.peakRssMiB as number,
    serveRssMiB: serveRss,
    stats: done.stats as FetchFigures["stats"],
  };
}

/** One serving process, fetched from over bitswap. */
export async function bitswapFetch(served: Served): Promise<FetchFigures> {
  const server = await serve(served.dataDir);
  try {
    return await measured(served, [server], { peers: server.addresses });
  } finally {
    await server.child.stop();
  }
}

/** One serving process, fetched from through its trustless gateway only (no libp2p peers). */
export async function gatewayFetch(served: Served): Promise<FetchFigures> {
  const server = await serve(served.dataDir);
  try {
    return await measured(served, [server], { gateways: [server.api] });
  } finally {
    await server.child.stop();
  }
}

/** Three serving processes holding copies; the fetcher may use their bitswap, their gateways, or both. */
export async function multiSourceFetch(copies: Served[], routes: "all" | "bitswap" | "gateways" = "all"): Promise<FetchFigures> {
  const servers = await Promise.all(copies.map((copy) => serve(copy.dataDir)));
  try {
    return await measured(copies[0]!, servers, {
      peers: routes === "gateways" ? [] : servers.map((s) => s.addresses[0]!),
      gateways: routes === "bitswap" ? [] : servers.map((s) => s.api),
    });
  } finally {
    await Promise.all(servers.map((s) => s.child.stop()));
  }
}

/** One serving process behind a proxy that delays each direction by `delayMs`. */
export async function delayedFetch(served: Served, delayMs: number): Promise<FetchFigures> {
  const server = await serve(served.dataDir);
  const [address] = server.addresses;
  const port = address!.split("/tcp/")[1]!.split("/")[0]!;
  const proxy = new BenchChild("./delay-proxy.ts", { target: `127.0.0.1:${port}`, delayMs });
  try {
    const { port: proxyPort } = await proxy.next("ready", 30_000);
    return await measured(served, [server], { peers: [`/ip4/127.0.0.1/tcp/${String(proxyPort)}/p2p/${server.peerId}`] });
  } finally {
    await proxy.stop();
    await server.child.stop();
  }
}

/**
 * kill -9 of the fetching process at 50 %, restart on its data dir, fetch again. Returns the MiB
 * the server sent beyond one copy of the model (what the kill made it send twice).
 */
export async function resumeAfterKill(served: Served): Promise<{ refetchedMiB: number; servedMiB: number }> {
  const server = await serve(served.dataDir);
  const dataDir = await tempDir("resume");
  const output = join(await tempDir("resume-out"), "model.bin");
  try {
    server.child.send("reset");
    await fetchWith(served, {
      peers: server.addresses,
      dataDir,
      output,
      onProgress: (event, child) => {
        if ((event.plaintextBytes as number) >= served.plainBytes / 2) void child.kill("SIGKILL");
      },
    });
    const { done, child } = await fetchWith(served, { peers: server.addresses, dataDir, output });
    await child.stop();
    if (done?.bytes !== served.plainBytes) throw new Error("resumed fetch did not finish");
    const { servedBytes } = await serverStats(server);
    // One copy is the sealed bytes plus the small manifest and root blocks (< 1 MiB together).
    const extra = Math.max(0, servedBytes - served.sealedBytes);
    return { refetchedMiB: Math.round((extra / 2 ** 20) * 10) / 10, servedMiB: servedBytes / 2 ** 20 };
  } finally {
    await server.child.stop();
  }
}
