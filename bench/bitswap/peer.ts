/**
 * One side of the bitswap benchmark, in its own process (see bench/bitswap.ts).
 *
 *   node --import tsx bench/bitswap/peer.ts serve BITSWAP_MODULE DATA_DIR [OPTIONS_JSON]
 *     serves DATA_DIR; prints {"addresses": [...]}; on the stdin line "mark" remembers its CPU
 *     time; when stdin closes prints {"peakRssMiB", "cpuMs"} (CPU since the mark) and exits.
 *   node --import tsx bench/bitswap/peer.ts fetch BITSWAP_MODULE DATA_DIR ADDRESS CIDS_FILE WINDOW [OPTIONS_JSON] [CLIENT]
 *     connects to ADDRESS, fetches the first CID of CIDS_FILE (warm-up), prints {"ready": true};
 *     on the stdin line "go" fetches the other CIDs with WINDOW requests in flight (a sliding
 *     window: a new request starts as soon as any one completes) and prints {"ms", "bytes", "cpuMs"},
 *     or {"stalled": true, "blocks"} when no request completed for 15 s.
 *     CLIENT "want" (default) asks the bitswap block broker directly (one hash per block, nothing
 *     stored); "blockstore" calls helia.blockstore.get (Helia verifies again and stores the block).
 *
 * BITSWAP_MODULE is the file URL of the @helia/bitswap entry point to use, so one run can compare
 * the pristine package with the patched one. The peer is built like node/storage/storage-peer.ts
 * (TCP, TLS first then noise, yamux, identify, FastFsBlockstore) - which always imports the
 * installed package - only withBitswap comes from BITSWAP_MODULE.
 */
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import type { withBitswap as WithBitswap } from "@helia/bitswap";
import type { BlockBroker } from "@helia/interface";
import { withLibp2pLight } from "@helia/libp2p";
import * as dagJson from "@ipld/dag-json";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { identify } from "@libp2p/identify";
import type { Libp2p } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { tls } from "@libp2p/tls";
import { multiaddr } from "@multiformats/multiaddr";
import { FsDatastore } from "datastore-fs";
import { createHeliaLight, type Helia } from "helia";
import { CID } from "multiformats/cid";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { FastFsBlockstore } from "../../node/storage/blockstore.js";

type Options = Parameters<typeof WithBitswap>[1];
const STALL_MS = 15_000;
type Peer = Helia & { libp2p: Libp2p; blockBrokers: BlockBroker[] };

async function startPeer(moduleUrl: string, dataDir: string, options: Options): Promise<Peer> {
  const { withBitswap } = (await import(moduleUrl)) as { withBitswap: typeof WithBitswap };
  const blockstore = new FastFsBlockstore(join(dataDir, "blocks"));
  const datastore = new FsDatastore(join(dataDir, "datastore"));
  await blockstore.open();
  await datastore.open();
  const light = createHeliaLight({ blockstore, datastore, codecs: [dagJson] });
  const withNet = withLibp2pLight(light, {
    privateKey: await generateKeyPair("Ed25519"),
    datastore,
    addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
    transports: [tcp()],
    connectionEncrypters: [tls(), noise()],
    streamMuxers: [yamux()],
    peerDiscovery: [],
    services: { identify: identify() },
  });
  const helia = withBitswap(withNet, options) as unknown as Peer;
  await helia.start();
  return helia;
}

/** The peak resident set size of this process (VmHWM), in MiB. */
function peakRssMiB(): number {
  const line = readFileSync("/proc/self/status", "utf8").split("\n").find((l) => l.startsWith("VmHWM:"));
  if (line === undefined) return Math.round(process.memoryUsage.rss() / (1 << 20));
  return Math.round(Number(line.split(/\s+/)[1]) / 1024);
}

const cpuMs = (since?: NodeJS.CpuUsage) => {
  const { user, system } = process.cpuUsage(since);
  return Math.round((user + system) / 1000);
};

const lines = createInterface({ input: process.stdin });
const print = (value: unknown) => console.log(JSON.stringify(value));

async function serve(moduleUrl: string, dataDir: string, options: Options) {
  const helia = await startPeer(moduleUrl, dataDir, options);
  let mark: NodeJS.CpuUsage | undefined;
  lines.on("line", (line) => {
    if (line === "mark") mark = process.cpuUsage();
  });
  lines.once("close", async () => {
    const figures = { peakRssMiB: peakRssMiB(), cpuMs: cpuMs(mark) };
    await helia.stop();
    print(figures);
    process.exit(0);
  });
  print({ addresses: helia.libp2p.getMultiaddrs().map(String) });
}

async function fetch(moduleUrl: string, dataDir: string, address: string, cidsFile: string, window: number, options: Options, client: string) {
  const helia = await startPeer(moduleUrl, dataDir, options);
  await helia.libp2p.dial(multiaddr(address), { signal: AbortSignal.timeout(10_000) });
  const broker = helia.blockBrokers.find((b) => b.name === "bitswap");
  if (broker?.retrieve === undefined) throw new Error("no bitswap block broker");
  const get = async (cid: CID, signal: AbortSignal): Promise<number> => {
    if (client === "blockstore") {
      let n = 0;
      for await (const part of helia.blockstore.get(cid, { signal })) n += part.byteLength;
      return n;
    }
    return (await broker.retrieve!(cid, { signal })).byteLength;
  };
  const [warmUp, ...cids] = readFileSync(cidsFile, "utf8").trim().split("\n").map((s) => CID.parse(s));
  await get(warmUp!, AbortSignal.timeout(10_000));
  print({ ready: true });

  const run = async () => {
    // a request that makes no progress for STALL_MS aborts the run, which is reported as stalled
    const controller = new AbortController();
    let idle = setTimeout(() => controller.abort(), STALL_MS);
    const start = performance.now();
    const cpu = process.cpuUsage();
    let next = 0;
    let done = 0;
    let bytes = 0;
    const worker = async () => {
      while (next < cids.length) {
        const n = await get(cids[next++]!, controller.signal);
        bytes += n;
        done++;
        clearTimeout(idle);
        idle = setTimeout(() => controller.abort(), STALL_MS);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(window, cids.length) }, worker));
      print({ ms: performance.now() - start, bytes, cpuMs: cpuMs(cpu) });
    } catch (error) {
      if (!controller.signal.aborted) throw error;
      print({ stalled: true, blocks: done, of: cids.length });
    } finally {
      clearTimeout(idle);
    }
  };
  lines.on("line", (line) => {
    if (line === "go") run().catch((error) => {
      console.error(error);
      process.exit(1);
    });
  });
  lines.once("close", async () => {
    await helia.stop();
    process.exit(0);
  });
}

const [role, moduleUrl, dataDir, ...rest] = process.argv.slice(2);
if (role === "serve") await serve(moduleUrl!, dataDir!, JSON.parse(rest[0] ?? "{}"));
else if (role === "fetch") await fetch(moduleUrl!, dataDir!, rest[0]!, rest[1]!, Number(rest[2]), JSON.parse(rest[3] ?? "{}"), rest[4] ?? "want");
else throw new Error(`unknown role ${role}`);
