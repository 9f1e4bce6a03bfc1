/**
 * npm run bench:io — storage and network throughput, measured side by side in one run:
 *   publish vs a plain UnixFS import of the same file (same 1 MiB leaves, same blockstore);
 *   local fetch + decrypt vs a plain UnixFS cat;
 *   fetch + decrypt from a peer in another process over bitswap, over its trustless gateway
 *   (HTTP), from three peers at once (every route, bitswap only, gateways only), and over bitswap
 *   through a proxy that adds 50 ms of RTT;
 *   time to the first plaintext byte of a network fetch;
 *   kill -9 of a fetching process at 50 %, restart, fetch again: what was sent twice;
 *   peak RSS of publish + fetch at 256 MiB and 1 GiB, and of the serving and the fetching
 *   process while moving 1 GiB.
 * Every process is its own on 127.0.0.1; each timed phase starts after `sync`.
 *
 *   node --import tsx bench/io.ts [--mib 256] [--rounds 3] [--big-mib 1024] [--rtt-ms 50]
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { localRound, measureRss, rssChild, warmMemory } from "./io/local.js";
import { bitswapFetch, cleanupNetwork, copyOf, delayedFetch, gatewayFetch, multiSourceFetch, resumeAfterKill, type FetchFigures, type Served } from "./io/network.js";

const MiB = 1 << 20;
const { values } = parseArgs({
  options: {
    mib: { type: "string", default: "256" },
    rounds: { type: "string", default: "3" },
    "big-mib": { type: "string", default: "1024" },
    "rtt-ms": { type: "string", default: "50" },
    "rss-child": { type: "string" },
    "keep-dir": { type: "string" },
  },
});
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const dirs: string[] = [];
const cleanup = async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true, maxRetries: 5 })));
  await cleanupNetwork();
};

/** `rounds` runs of a network phase; the median of each figure. */
async function rounds(count: number, run: () => Promise<FetchFigures>): Promise<FetchFigures & { all: number[] }> {
  const results: FetchFigures[] = [];
  for (let i = 0; i < count; i++) results.push(await run());
  return {
    mbps: median(results.map((r) => r.mbps)),
    firstByteMs: median(results.map((r) => r.firstByteMs)),
    fetchRssMiB: Math.max(...results.map((r) => r.fetchRssMiB)),
    serveRssMiB: Math.max(...results.map((r) => r.serveRssMiB)),
    stats: results.at(-1)!.stats,
    all: results.map((r) => r.mbps),
  };
}

async function main() {
  const mib = Number(values.mib);
  const count = Number(values.rounds);
  const bytes = mib * MiB;
  const [warmGiB, warmMs] = warmMemory();
  console.log(`touched ${warmGiB} GiB of free memory first (${(warmMs / 1000).toFixed(1)} s): see warmMemory in bench/io/local.ts`);
  const inputDir = await mkdtemp(join(tmpdir(), "mv-bench-input-"));
  dirs.push(inputDir);
  const file = join(inputDir, "model.bin");
  await writeFile(file, randomBytes(bytes));

  const local = [];
  for (let r = 0; r < count; r++) local.push(await localRound(file, bytes, r % 2 === 1, dirs));
  const served: Served = local.at(-1)!.served;

  const bitswap = await rounds(count, () => bitswapFetch(served));
  const http = await rounds(count, () => gatewayFetch(served));
  const copies = [served, await copyOf(served), await copyOf(served)];
  const multi = await rounds(count, () => multiSourceFetch(copies));
  const multiBitswap = await rounds(count, () => multiSourceFetch(copies, "bitswap"));
  const multiGateways = await rounds(count, () => multiSourceFetch(copies, "gateways"));
  const rtt = await delayedFetch(served, Number(values["rtt-ms"]) / 2);
  const resume = await resumeAfterKill(served);
  await cleanup(); // the 256 MiB copies go before the 1 GiB model is written

  const rss256 = measureRss(fileURLToPath(import.meta.url), 256).peakRssMiB;
  const bigDir = await mkdtemp(join(tmpdir(), "mv-bench-big-"));
  dirs.push(bigDir);
  const big = measureRss(fileURLToPath(import.meta.url), Number(values["big-mib"]), bigDir);
  const bigFetch = await bitswapFetch(big.served);

  const ratio = (a: number, b: number) => a / b;
  const figures = {
    publishRatio: median(local.map((l) => ratio(l.publishMBps, l.importMBps))),
    publishMBps: median(local.map((l) => l.publishMBps)),
    plainImportMBps: median(local.map((l) => l.importMBps)),
    fetchRatio: median(local.map((l) => ratio(l.fetchMBps, l.catMBps))),
    fetchMBps: median(local.map((l) => l.fetchMBps)),
    plainCatMBps: median(local.map((l) => l.catMBps)),
    bitswapMBps: bitswap.mbps,
    firstByteMs: bitswap.firstByteMs,
    httpMBps: http.mbps,
    httpRatio: http.mbps / median(local.map((l) => l.fetchMBps)),
    multiSourceMBps: multi.mbps,
    multiSourceBitswapMBps: multiBitswap.mbps,
    multiSourceGatewaysMBps: multiGateways.mbps,
    bitswapMBps50msRtt: rtt.mbps,
    resumeRefetchedMiB: resume.refetchedMiB,
    rss256MiB: rss256,
    rss1GiB: big.peakRssMiB,
    bitswapMBps1GiB: bigFetch.mbps,
    serveRss1GiB: bigFetch.serveRssMiB,
    fetchRss1GiB: bigFetch.fetchRssMiB,
  };
  const f = (x: number) => x.toFixed(1).padStart(9);
  const perSource = Object.entries(multi.stats.sources).map(([id, s]) => `${id.replace(/^(\w+):.*(.{6})$/, "$1:…$2")}=${s.blocks}`).join(" ");
  console.log(`\nstorage I/O on ${mib} MiB of random bytes, median of ${count} rounds (MB = 10^6 B); every peer its own process\n`);
  console.log("                                          MB/s   baseline MB/s   ratio");
  console.log(`publish vs plain import              ${f(figures.publishMBps)}       ${f(figures.plainImportMBps)}   ${figures.publishRatio.toFixed(3)}`);
  console.log(`fetch+decrypt vs plain cat (local)   ${f(figures.fetchMBps)}       ${f(figures.plainCatMBps)}   ${figures.fetchRatio.toFixed(3)}`);
  console.log(`bitswap, 1 source                    ${f(figures.bitswapMBps)}      (rounds: ${bitswap.all.map((x) => x.toFixed(0)).join(", ")})`);
  console.log(`trustless gateway (HTTP), 1 source   ${f(figures.httpMBps)}       ${f(figures.fetchMBps)}   ${figures.httpRatio.toFixed(3)}  (vs local fetch+decrypt)`);
  console.log(`3 sources (bitswap + gateways)       ${f(figures.multiSourceMBps)}      blocks per source: ${perSource}`);
  console.log(`3 sources, bitswap only              ${f(figures.multiSourceBitswapMBps)}`);
  console.log(`3 sources, gateways only             ${f(figures.multiSourceGatewaysMBps)}`);
  console.log(`bitswap, ${values["rtt-ms"]} ms RTT (delaying proxy)    ${f(figures.bitswapMBps50msRtt)}`);
  console.log(`bitswap, 1 source, ${values["big-mib"]} MiB           ${f(figures.bitswapMBps1GiB)}`);
  console.log(`\nfirst plaintext byte of a network fetch: ${figures.firstByteMs.toFixed(0)} ms (median, bitswap)`);
  console.log(`kill -9 at 50 % then resume: ${figures.resumeRefetchedMiB} MiB sent twice (${resume.servedMiB.toFixed(1)} MiB served in all)`);
  console.log(`peak RSS, publish + fetch in one process: 256 MiB -> ${rss256} MiB, ${values["big-mib"]} MiB -> ${big.peakRssMiB} MiB`);
  console.log(`peak RSS moving ${values["big-mib"]} MiB over bitswap: serving ${bigFetch.serveRssMiB} MiB, fetching ${bigFetch.fetchRssMiB} MiB\n`);
  const round = (x: number) => Number(x.toFixed(3));
  console.log(JSON.stringify(Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, round(v)]))));
}

try {
  if (values["rss-child"] !== undefined) await rssChild(Number(values["rss-child"]), values["keep-dir"]);
  else await main();
} finally {
  await cleanup();
}
