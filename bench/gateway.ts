/**
 * Trustless gateway throughput, measured side by side in one run: every leaf of a published
 * model fetched as a raw block (GET /ipfs/{cid}?format=raw) with N parallel keep-alive requests
 * (Node's fetch) from a node in another process, against
 *   - reading the same blocks from the same blockstore directly, in this process, N at a time;
 *   - the same requests to a bare node:http server in that process (same blockstore read,
 *     res.end(bytes), no fastify, no negotiation): what HTTP on loopback costs by itself;
 * and one CAR download (format=car) of the whole model. Also the server process's CPU time per
 * GB served (from /proc, Linux), which shows what the route itself costs when the client or the
 * loopback is what limits the rate.
 *
 *   node --import tsx bench/gateway.ts [--mib 256] [--rounds 3] [--concurrency 1,4,8,16]
 * On a shared machine: flock /tmp/mv-bench.lock node --import tsx bench/gateway.ts
 */
import { spawn } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import * as dagPb from "@ipld/dag-pb";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { identityFromPrivateKey } from "../crypto/index.js";
import { startApi } from "../node/http/server.js";
import { publish } from "../node/models/publish.js";
import { FastFsBlockstore } from "../node/storage/blockstore.js";
import { StoragePeer } from "../node/storage/storage-peer.js";

const MiB = 1 << 20;
const { values } = parseArgs({
  options: {
    mib: { type: "string", default: "256" },
    rounds: { type: "string", default: "3" },
    concurrency: { type: "string", default: "1,4,8,16" },
    serve: { type: "string" },
  },
});
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);

async function readBlock(store: FastFsBlockstore, cid: CID): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of store.get(cid)) parts.push(part);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** The child: the node (peer + API) on DATA_DIR, and a bare HTTP server over the same blocks. */
async function serve(dataDir: string) {
  const peer = await StoragePeer.start({ dataDir });
  const api = await startApi({ peer, identity: identityFromPrivateKey(new Uint8Array(32).fill(7)) });
  const store = new FastFsBlockstore(join(dataDir, "blocks"));
  const bare = createServer((request, response) => {
    readBlock(store, CID.parse(request.url!.slice(1)))
      .then((bytes) => response.writeHead(200, { "content-type": "application/vnd.ipld.raw" }).end(bytes))
      .catch(() => response.writeHead(404).end());
  });
  await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));
  const { port } = bare.address() as { port: number };
  console.log(JSON.stringify({ api: api.url, bare: `http://127.0.0.1:${port}` }));
  process.stdin.resume();
  process.stdin.on("end", async () => {
    bare.close();
    await api.close();
    await peer.stop();
    process.exit(0);
  });
}

/** Runs `work` over `items`, `n` at a time; resolves to the sum of what it returned. */
async function pool<T>(items: T[], n: number, work: (item: T) => Promise<number>): Promise<number> {
  let next = 0;
  let total = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const bytes = await work(items[next++]!);
        total += bytes; // not `total += await …`: that reads total before the await
      }
    }),
  );
  return total;
}

async function timed(fn: () => Promise<number>): Promise<[number, number]> {
  const start = performance.now();
  const bytes = await fn();
  return [bytes, performance.now() - start];
}

async function main() {
  const mib = Number(values.mib);
  const rounds = Number(values.rounds);
  const levels = values.concurrency.split(",").map(Number);
  const dataDir = await mkdtemp(join(tmpdir(), "mv-bench-gateway-"));
  try {
    // A model of `mib` MiB of random bytes, published with the default 1 MiB frames.
    const owner = privateKeyToAccount(generatePrivateKey());
    const publisher = await StoragePeer.start({ dataDir });
    async function* source() {
      for (let i = 0; i < mib; i++) yield randomFillSync(Buffer.allocUnsafe(MiB));
    }
    const { contentCid } = await publish(publisher, source(), { owner });
    await publisher.stop();
    const store = new FastFsBlockstore(join(dataDir, "blocks"));
    const leaves = dagPb.decode(await readBlock(store, contentCid)).Links.map((link) => link.Hash);
    const total = await pool(leaves, 8, async (cid) => (await readBlock(store, cid)).length); // also warms the page cache

    const child = spawn(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, "--serve", dataDir], { stdio: ["pipe", "pipe", "inherit"] });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once("line", resolve);
      child.once("exit", (code) => reject(new Error(`server process exited with ${code}`)));
    });
    const urls = JSON.parse(line) as { api: string; bare: string };
    const gateway = async (cid: CID) => {
      const response = await fetch(`${urls.api}/ipfs/${cid}?format=raw`, { headers: { accept: "application/vnd.ipld.raw" } });
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (response.status !== 200) throw new Error(`gateway answered ${response.status} for ${cid}`);
      return bytes;
    };
    // Correctness first: every leaf from the gateway hashes to its CID.
    await pool(leaves, 8, async (cid) => {
      const bytes = await gateway(cid);
      if (!Buffer.from((await sha256.digest(bytes)).digest).equals(cid.multihash.digest)) throw new Error(`${cid}: wrong bytes`);
      return bytes.length;
    });

    const sides = {
      direct: (n: number) => pool(leaves, n, async (cid) => (await readBlock(store, cid)).length),
      gateway: (n: number) => pool(leaves, n, async (cid) => (await gateway(cid)).length),
      bare: (n: number) =>
        pool(leaves, n, async (cid) => {
          const response = await fetch(`${urls.bare}/${cid}`);
          return (await response.arrayBuffer()).byteLength;
        }),
    };
    /** CPU time of the server process so far, in ms (utime + stime of /proc/PID/stat, 10 ms ticks). */
    const serverCpuMs = async () => {
      const stat = await readFile(`/proc/${child.pid}/stat`, "utf8").catch(() => "");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(fields[11]) + Number(fields[12])) * 10;
    };
    const results: Record<string, { direct: number; gateway: number; bare: number; gatewayCpuMsPerGB: number; bareCpuMsPerGB: number; clientCpuMsPerGB: number }> = {};
    for (const n of levels) {
      const rates = { direct: [] as number[], gateway: [] as number[], bare: [] as number[] };
      const cpu = { gateway: 0, bare: 0, direct: 0 };
      let clientCpu = 0;
      for (let r = 0; r < rounds; r++) {
        // Take turns going first, so no side always runs on a warmer or busier machine.
        const order = (["direct", "gateway", "bare"] as const).map((_, i, all) => all[(i + r) % all.length]!);
        for (const side of order) {
          const before = await serverCpuMs();
          const client = process.cpuUsage();
          const [bytes, ms] = await timed(() => sides[side](n));
          if (side === "gateway") {
            const used = process.cpuUsage(client);
            clientCpu += (used.user + used.system) / 1000;
          }
          cpu[side] += (await serverCpuMs()) - before;
          if (bytes !== total) throw new Error(`${side} lost bytes`);
          rates[side].push(mbps(bytes, ms));
        }
      }
      const perGB = (ms: number) => ms / ((total * rounds) / 1e9);
      results[n] = {
        direct: median(rates.direct),
        gateway: median(rates.gateway),
        bare: median(rates.bare),
        gatewayCpuMsPerGB: perGB(cpu.gateway),
        bareCpuMsPerGB: perGB(cpu.bare),
        clientCpuMsPerGB: perGB(clientCpu),
      };
    }
    const carRates: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const [bytes, ms] = await timed(async () => {
        const response = await fetch(`${urls.api}/ipfs/${contentCid}?format=car`);
        let n = 0;
        for await (const chunk of response.body!) n += chunk.length;
        return n;
      });
      if (bytes < total) throw new Error("CAR lost bytes");
      carRates.push(mbps(bytes, ms));
    }
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.stdin.end();
    });

    const f = (x: number) => x.toFixed(0).padStart(8);
    console.log(`\ntrustless gateway, ${leaves.length} leaves of ${mib} MiB (1 MiB raw blocks), median of ${rounds} rounds (MB = 10^6 B)\n`);
    console.log("                                                                           CPU ms per GB served");
    console.log("parallel  gateway MB/s  bare http MB/s  blockstore MB/s  gateway/bare  gateway/blockstore  gateway server  bare server  gateway client");
    for (const n of levels) {
      const { direct, gateway: g, bare, gatewayCpuMsPerGB, bareCpuMsPerGB, clientCpuMsPerGB } = results[n]!;
      console.log(
        `${String(n).padStart(8)}  ${f(g)}      ${f(bare)}        ${f(direct)}         ${(g / bare).toFixed(2).padStart(5)}          ${(g / direct).toFixed(2).padStart(5)}` +
          `        ${f(gatewayCpuMsPerGB)}     ${f(bareCpuMsPerGB)}        ${f(clientCpuMsPerGB)}`,
      );
    }
    console.log(`\none CAR of the whole model (format=car, one request): ${median(carRates).toFixed(0)} MB/s\n`);
    const round = (x: number) => Number(x.toFixed(1));
    console.log(
      JSON.stringify({
        mib,
        leaves: leaves.length,
        raw: Object.fromEntries(levels.map((n) => [n, Object.fromEntries(Object.entries(results[n]!).map(([k, v]) => [k, round(v)]))])),
        carMBps: round(median(carRates)),
      }),
    );
  } finally {
    await rm(dataDir, { recursive: true, force: true, maxRetries: 5 });
  }
}

if (values.serve !== undefined) await serve(values.serve);
else await main();
