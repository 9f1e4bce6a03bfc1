/**
 * A fetching peer in its own process: waits for "go", then fetches and decrypts a model from its
 * peers and gateways (draining the plaintext, or to a file) and reports how it went.
 *   node --import tsx bench/io/fetch-peer.ts '{"dataDir", "peers": [], "gateways": [], "manifest", "key", "output"?}'
 * Events: ready (connected to every peer), progress (every ~5 %), done {ms, firstByteMs, bytes,
 * peakRssMiB, stats}. Exits when stdin closes.
 */
import { hexToBytes } from "viem";
import { fetchModel, fetchModelToFile } from "../../node/models/fetch.js";
import { StoragePeer } from "../../node/storage/storage-peer.js";
import { commands, emit, rssSampler } from "./child.js";

interface Config {
  dataDir: string;
  peers?: string[];
  gateways?: string[];
  manifest: string;
  key: `0x${string}`;
  output?: string;
  readAhead?: number;
}
const config = JSON.parse(process.argv[2]!) as Config;
const rss = rssSampler();
const peers = config.peers ?? [];
const peer = await StoragePeer.start({ dataDir: config.dataDir, peers, gateways: config.gateways ?? [], onDialError: () => {} });
const connected = () => new Set(peer.helia.libp2p.getConnections().map((c) => c.remotePeer.toString())).size;
const deadline = Date.now() + 15_000;
while (connected() < peers.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));

async function run(): Promise<void> {
  const session = peer.session();
  const key = hexToBytes(config.key);
  const start = performance.now();
  let firstByteMs: number | undefined;
  let nextReport = 0;
  const onProgress = ({ plaintextBytes, totalBytes }: { plaintextBytes: number; totalBytes: number }) => {
    firstByteMs ??= performance.now() - start;
    if (plaintextBytes >= nextReport) {
      emit("progress", { plaintextBytes, totalBytes, networkBytes: session.stats.networkBytes });
      nextReport += totalBytes / 20;
    }
  };
  let bytes = 0;
  const options = { key, session, onProgress, timeoutMs: 60_000, ...(config.readAhead === undefined ? {} : { readAhead: config.readAhead }) };
  if (config.output !== undefined) {
    const { signed } = await fetchModelToFile(peer, config.manifest, config.output, options);
    bytes = signed.manifest.plaintextSize;
  } else {
    for await (const chunk of fetchModel(peer, config.manifest, options)) bytes += chunk.length;
  }
  const ms = performance.now() - start;
  emit("done", { ms, firstByteMs, bytes, peakRssMiB: rss.peakMiB(), stats: session.stats });
  session.close();
}

/** MV_BENCH_PROFILE=DIR: a CPU profile of the fetch alone (not of the start) goes to DIR. */
async function profiled(fn: () => Promise<void>): Promise<void> {
  const dir = process.env.MV_BENCH_PROFILE;
  if (dir === undefined) return fn();
  const { Session } = await import("node:inspector/promises");
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  try {
    await fn();
  } finally {
    const { profile } = await session.post("Profiler.stop");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(`${dir}/fetch-${process.pid}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  }
}

emit("ready", { connected: connected(), peakRssMiB: rss.peakMiB() });
await commands(async (line) => {
  if (line !== "go") return;
  rss.reset();
  await profiled(run).catch((error: Error) => emit("error", { message: error.message }));
});
await peer.stop();
process.exit(0);
