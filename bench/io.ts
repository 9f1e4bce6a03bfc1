/**
 * npm run bench:io — storage throughput, measured side by side in one run:
 *   publish (seal + frame leaves + manifest + pin) vs a plain UnixFS import of the same file
 *   with the same 1 MiB leaves, into the same kind of blockstore;
 *   local fetch + decrypt vs a plain UnixFS cat of the plain import;
 *   a bitswap fetch from a peer in another process on 127.0.0.1;
 *   peak RSS of publish + fetch at 256 MiB and 1 GiB (child processes, sampled RSS).
 *
 *   node --import tsx bench/io.ts [--mib 256] [--rounds 3] [--big-mib 1024]
 */
import { spawn, execFileSync } from "node:child_process";
import { randomBytes, randomFillSync } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { DEFAULT_FRAME_LENGTH } from "../crypto/index.js";
import { fetchModel } from "../node/models/fetch.js";
import { publish } from "../node/models/publish.js";
import { StoragePeer } from "../node/storage/storage-peer.js";

const MiB = 1 << 20;
const { values } = parseArgs({
  options: {
    mib: { type: "string", default: "256" },
    rounds: { type: "string", default: "4" },
    "big-mib": { type: "string", default: "1024" },
    "rss-child": { type: "string" },
  },
});
const owner = privateKeyToAccount(generatePrivateKey());
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);
const dirs: string[] = [];
const tempDir = async (name: string) => {
  const dir = await mkdtemp(join(tmpdir(), `mv-bench-${name}-`));
  dirs.push(dir);
  return dir;
};
const readFileStream = (path: string) => createReadStream(path, { highWaterMark: MiB });

async function drain(source: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const chunk of source) n += chunk.length;
  return n;
}

/**
 * Times one phase after flushing dirty pages: otherwise a phase pays for the writeback of the
 * one before it (256 MiB of freshly written blocks), which skews every ratio by run order.
 */
async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  execFileSync("sync");
  const start = performance.now();
  const result = await fn();
  return [result, performance.now() - start];
}

/** One child process: publish + local fetch of `mib` MiB of random bytes; prints peak RSS. */
async function rssChild(mib: number) {
  let peak = process.memoryUsage.rss();
  const sample = () => (peak = Math.max(peak, process.memoryUsage.rss()));
  async function* source() {
    for (let i = 0; i < mib; i++) {
      sample();
      yield randomFillSync(Buffer.allocUnsafe(MiB));
    }
  }
  const peer = await StoragePeer.start({ dataDir: await tempDir("rss") });
  const published = await publish(peer, source(), { owner });
  let n = 0;
  for await (const chunk of fetchModel(peer, published.manifestCid, { key: published.key })) {
    n += chunk.length;
    sample();
  }
  if (n !== mib * MiB) throw new Error("round trip lost bytes");
  await peer.stop();
  await cleanup();
  console.log(JSON.stringify({ peakRssMiB: Math.round(peak / MiB) }));
}

function measureRss(mib: number): number {
  const out = execFileSync(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, "--rss-child", String(mib)], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split("\n").pop()!).peakRssMiB;
}

/** Starts a peer on `dataDir` in another process; resolves to its addresses and a stop(). */
async function servePeer(dataDir: string) {
  const child = spawn(process.execPath, [...process.execArgv, new URL("./io/serve-peer.ts", import.meta.url).pathname, dataDir], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`peer process exited with ${code}`)));
  });
  const { addresses } = JSON.parse(line) as { addresses: string[] };
  const stop = () => new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.stdin!.end();
  });
  return { addresses, stop };
}

async function cleanup() {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true, maxRetries: 5 })));
}

async function main() {
  const mib = Number(values.mib);
  const rounds = Number(values.rounds);
  const bytes = mib * MiB;
  const file = join(await tempDir("input"), "model.bin");
  const data = randomBytes(bytes);
  await writeFile(file, data);

  const plainImport: number[] = [];
  const publishRate: number[] = [];
  const plainCat: number[] = [];
  const fetchRate: number[] = [];
  const publishRatios: number[] = [];
  const fetchRatios: number[] = [];
  let servedDir = "";
  let servedManifest = "";
  let servedKey: Uint8Array = new Uint8Array();

  for (let r = 0; r < rounds; r++) {
    // Plain: a stock UnixFS import with the same 1 MiB raw leaves, and a stock cat. The two sides
    // take turns going first, so neither always runs on a warmer or busier disk.
    const plainSide = async () => {
      const plainPeer = await StoragePeer.start({ dataDir: await tempDir("plain") });
      const [plainCid, importMs] = await timed(() =>
        plainPeer.fs.addByteStream(readFileStream(file), { rawLeaves: true, chunker: fixedSize({ chunkSize: DEFAULT_FRAME_LENGTH }) }),
      );
      const [, catMs] = await timed(() => drain(plainPeer.fs.cat(plainCid)));
      await plainPeer.stop();
      return { importMs, catMs };
    };
    const sealedSide = async () => {
      const dataDir = await tempDir("sealed");
      const sealedPeer = await StoragePeer.start({ dataDir });
      const [published, publishMs] = await timed(() => publish(sealedPeer, readFileStream(file), { owner }));
      const [n, fetchMs] = await timed(() => drain(fetchModel(sealedPeer, published.manifestCid, { key: published.key })));
      if (n !== bytes) throw new Error("fetch lost bytes");
      await sealedPeer.stop();
      servedDir = dataDir;
      servedManifest = published.manifestCid.toString();
      servedKey = published.key;
      return { publishMs, fetchMs };
    };
    let plain: Awaited<ReturnType<typeof plainSide>>;
    let sealed: Awaited<ReturnType<typeof sealedSide>>;
    if (r % 2 === 0) {
      plain = await plainSide();
      sealed = await sealedSide();
    } else {
      sealed = await sealedSide();
      plain = await plainSide();
    }
    const { importMs, catMs } = plain;
    const { publishMs, fetchMs } = sealed;

    plainImport.push(mbps(bytes, importMs));
    publishRate.push(mbps(bytes, publishMs));
    plainCat.push(mbps(bytes, catMs));
    fetchRate.push(mbps(bytes, fetchMs));
    publishRatios.push(importMs / publishMs);
    fetchRatios.push(catMs / fetchMs);
  }

  // Bitswap: the last sealed data dir served by another process; this one fetches over TCP.
  const server = await servePeer(servedDir);
  const client = await StoragePeer.start({ dataDir: await tempDir("client"), peers: server.addresses });
  const [received, bitswapMs] = await timed(() => drain(fetchModel(client, servedManifest, { key: servedKey, timeoutMs: 60_000 })));
  if (received !== bytes) throw new Error("bitswap fetch lost bytes");
  await client.stop();
  await server.stop();
  await cleanup();

  const rss256MiB = measureRss(256);
  const rss1GiB = measureRss(Number(values["big-mib"]));

  const figures = {
    publishRatio: median(publishRatios),
    publishMBps: median(publishRate),
    plainImportMBps: median(plainImport),
    fetchRatio: median(fetchRatios),
    fetchMBps: median(fetchRate),
    plainCatMBps: median(plainCat),
    bitswapMBps: mbps(bytes, bitswapMs),
    rss256MiB,
    rss1GiB,
  };
  const f = (x: number) => x.toFixed(1).padStart(9);
  console.log(`\nstorage I/O on ${mib} MiB of random bytes, median of ${rounds} rounds (MB = 10^6 B)\n`);
  console.log("                                    MB/s   baseline MB/s   ratio");
  console.log(`publish vs plain import       ${f(figures.publishMBps)}       ${f(figures.plainImportMBps)}   ${figures.publishRatio.toFixed(3)}`);
  console.log(`fetch+decrypt vs plain cat    ${f(figures.fetchMBps)}       ${f(figures.plainCatMBps)}   ${figures.fetchRatio.toFixed(3)}`);
  console.log(`bitswap fetch, 2 processes    ${f(figures.bitswapMBps)}`);
  console.log(`\npeak RSS, publish + fetch:  256 MiB -> ${rss256MiB} MiB,  ${values["big-mib"]} MiB -> ${rss1GiB} MiB\n`);
  const round = (x: number) => Number(x.toFixed(3));
  console.log(JSON.stringify(Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, round(v)]))));
}

try {
  if (values["rss-child"] !== undefined) await rssChild(Number(values["rss-child"]));
  else await main();
} finally {
  await cleanup();
}
