/**
 * npm run bench:crypto — sealed-stream throughput against raw AES-256-GCM over the same bytes
 * in the same run, and peak RSS of a streaming seal+open at 64 MiB and 1 GiB (each in its own
 * child process, so the figures do not mix).
 *
 *   node --import tsx bench/crypto.ts [--mib 256] [--rounds 5]
 *   node --import tsx bench/crypto.ts --rss-child 1024      (internal: one RSS measurement)
 */
import { execFileSync } from "node:child_process";
import { createCipheriv, createDecipheriv, randomBytes, randomFillSync } from "node:crypto";
import { parseArgs } from "node:util";
import { open, seal } from "../crypto/index.js";

const MiB = 1 << 20;
const { values } = parseArgs({
  options: { mib: { type: "string", default: "256" }, rounds: { type: "string", default: "5" }, "rss-child": { type: "string" } },
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);

function* slices(data: Uint8Array, size = MiB) {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

async function drain(source: AsyncIterable<Uint8Array>, keep?: Uint8Array[]): Promise<number> {
  let n = 0;
  for await (const chunk of source) {
    n += chunk.length;
    keep?.push(chunk);
  }
  return n;
}

async function rssChild(mib: number): Promise<void> {
  const key = randomBytes(32);
  const modelId = randomBytes(32);
  // Sampled, not getrusage: ru_maxrss is inherited from the forking parent on Linux.
  let peak = process.memoryUsage.rss();
  async function* randomSource() {
    for (let i = 0; i < mib; i++) {
      peak = Math.max(peak, process.memoryUsage.rss());
      yield randomFillSync(Buffer.allocUnsafe(MiB));
    }
  }
  const n = await drain(open(seal(randomSource(), { key, modelId }), { key, modelId }));
  if (n !== mib * MiB) throw new Error(`round trip lost bytes: ${n}`);
  console.log(JSON.stringify({ maxRssMiB: Math.max(peak, process.memoryUsage.rss()) / MiB }));
}

function measureRss(mib: number): number {
  const out = execFileSync(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, "--rss-child", String(mib)], {
    encoding: "utf8",
  });
  return Math.round(JSON.parse(out.trim().split("\n").pop()!).maxRssMiB);
}

async function throughput(mib: number, rounds: number) {
  const data = randomFillSync(Buffer.allocUnsafe(mib * MiB));
  const key = randomBytes(32);
  const modelId = randomBytes(32);
  // Inputs for the decrypt side, made once and untimed: every timed run discards its output,
  // so no run pays for storing 256 MiB that another does not.
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const rawCt = [...slices(data)].map((s) => cipher.update(s));
  cipher.final();
  const tag = cipher.getAuthTag();
  const sealed: Uint8Array[] = [];
  await drain(seal(slices(data), { key, modelId }), sealed);

  const rows = { rawEnc: [] as number[], sealEnc: [] as number[], rawDec: [] as number[], sealDec: [] as number[] };
  const encRatios: number[] = [];
  const decRatios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // Raw: one GCM stream over all the bytes in 1 MiB updates.
    let t = performance.now();
    const c = createCipheriv("aes-256-gcm", key, randomBytes(12));
    for (const s of slices(data)) c.update(s);
    c.final();
    const rawEnc = mbps(data.length, performance.now() - t);

    t = performance.now();
    await drain(seal(slices(data), { key, modelId }));
    const sealEnc = mbps(data.length, performance.now() - t);

    t = performance.now();
    const d = createDecipheriv("aes-256-gcm", key, iv);
    d.setAuthTag(tag);
    for (const ct of rawCt) d.update(ct);
    d.final();
    const rawDec = mbps(data.length, performance.now() - t);

    t = performance.now();
    const n = await drain(open(sealed, { key, modelId }));
    const sealDec = mbps(data.length, performance.now() - t);
    if (n !== data.length) throw new Error("sealed round trip lost bytes");

    rows.rawEnc.push(rawEnc);
    rows.sealEnc.push(sealEnc);
    rows.rawDec.push(rawDec);
    rows.sealDec.push(sealDec);
    encRatios.push(sealEnc / rawEnc);
    decRatios.push(sealDec / rawDec);
  }
  return {
    rawMBps: median(rows.rawEnc),
    encryptMBps: median(rows.sealEnc),
    rawDecryptMBps: median(rows.rawDec),
    decryptMBps: median(rows.sealDec),
    ratio: median(encRatios),
    decryptRatio: median(decRatios),
  };
}

if (values["rss-child"] !== undefined) {
  await rssChild(Number(values["rss-child"]));
} else {
  const mib = Number(values.mib);
  const rounds = Number(values.rounds);
  const t = await throughput(mib, rounds);
  const rss64MiB = measureRss(64);
  const rss1GiB = measureRss(1024);
  const f = (x: number) => x.toFixed(0).padStart(8);
  console.log(`\nsealed stream vs raw AES-256-GCM, ${mib} MiB random bytes, median of ${rounds} rounds (MB = 10^6 B)\n`);
  console.log("                      raw MB/s  sealed MB/s   ratio");
  console.log(`encrypt             ${f(t.rawMBps)}     ${f(t.encryptMBps)}   ${t.ratio.toFixed(3)}`);
  console.log(`decrypt             ${f(t.rawDecryptMBps)}     ${f(t.decryptMBps)}   ${t.decryptRatio.toFixed(3)}`);
  console.log(`\npeak RSS, streaming seal+open:  64 MiB -> ${rss64MiB} MiB,  1 GiB -> ${rss1GiB} MiB\n`);
  const round = (x: number, d = 3) => Number(x.toFixed(d));
  console.log(
    JSON.stringify({
      ratio: round(t.ratio),
      encryptMBps: round(t.encryptMBps, 1),
      decryptMBps: round(t.decryptMBps, 1),
      rawMBps: round(t.rawMBps, 1),
      rawDecryptMBps: round(t.rawDecryptMBps, 1),
      decryptRatio: round(t.decryptRatio),
      rss64MiB,
      rss1GiB,
    }),
  );
}
