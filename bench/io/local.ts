/**
 * The local phases of bench:io, in this process: publish (seal + frame leaves + manifest + pin)
 * against a plain UnixFS import of the same file with the same 1 MiB raw leaves, and fetch +
 * decrypt against a plain UnixFS cat; and peak RSS of publish + fetch in a child process.
 */
import { execFileSync } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { bytesToHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { DEFAULT_FRAME_LENGTH } from "../../crypto/index.js";
import { fetchModel } from "../../node/models/fetch.js";
import { publish } from "../../node/models/publish.js";
import { StoragePeer } from "../../node/storage/storage-peer.js";
import type { Served } from "./network.js";

const MiB = 1 << 20;
const owner = privateKeyToAccount(generatePrivateKey());
const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);
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

/**
 * Touches the machine's free memory once, in a child process that then exits. On the VMs this
 * runs on, the first write to a page of guest memory costs a hypervisor fault: fresh page-cache
 * writes ran at ~410 MB/s before and ~4.7 GB/s after (256 files of 1 MiB: 650 ms vs 54 ms), so
 * without this a phase's figure said more about which pages it got than about our code. A
 * long-running node has long since touched its memory. Returns [GiB touched, ms].
 */
export function warmMemory(maxGiB = 16): [number, number] {
  const meminfo = execFileSync("cat", ["/proc/meminfo"], { encoding: "utf8" });
  const freeKiB = Number(/MemFree:\s+(\d+)/.exec(meminfo)?.[1] ?? 0);
  const gib = Math.max(0, Math.min(maxGiB, Math.floor(freeKiB / 2 ** 20) - 2));
  const start = performance.now();
  const touch = `const a = []; for (let i = 0; i < ${gib * 4}; i++) { const b = Buffer.allocUnsafeSlow(256 << 20); b.fill(1); a.push(b); }`;
  if (gib > 0) execFileSync(process.execPath, ["-e", touch]);
  return [gib, performance.now() - start];
}

export interface LocalRound {
  importMBps: number;
  publishMBps: number;
  catMBps: number;
  fetchMBps: number;
  /** The sealed side's data dir, kept for the network phases (the caller removes it). */
  served: Served;
}

/** One round; `sealedFirst` alternates which side runs first, so neither always gets the warmer disk. */
export async function localRound(file: string, bytes: number, sealedFirst: boolean, dirs: string[]): Promise<LocalRound> {
  const tempDir = async (name: string) => {
    const dir = await mkdtemp(join(tmpdir(), `mv-bench-${name}-`));
    dirs.push(dir);
    return dir;
  };
  const plainSide = async () => {
    const dir = await tempDir("plain");
    const plainPeer = await StoragePeer.start({ dataDir: dir });
    const [plainCid, importMs] = await timed(() =>
      plainPeer.fs.addByteStream(readFileStream(file), { rawLeaves: true, chunker: fixedSize({ chunkSize: DEFAULT_FRAME_LENGTH }) }),
    );
    const [, catMs] = await timed(() => drain(plainPeer.fs.cat(plainCid)));
    await plainPeer.stop();
    await rm(dir, { recursive: true, force: true });
    return { importMs, catMs };
  };
  const sealedSide = async () => {
    const dataDir = await tempDir("sealed");
    const sealedPeer = await StoragePeer.start({ dataDir });
    const [published, publishMs] = await timed(() => publish(sealedPeer, readFileStream(file), { owner }));
    const [n, fetchMs] = await timed(() => drain(fetchModel(sealedPeer, published.manifestCid, { key: published.key })));
    if (n !== bytes) throw new Error("fetch lost bytes");
    await sealedPeer.stop();
    const served: Served = {
      dataDir,
      manifest: published.manifestCid.toString(),
      key: bytesToHex(published.key),
      plainBytes: bytes,
      sealedBytes: published.signed.manifest.sealedSize,
    };
    return { publishMs, fetchMs, served };
  };
  const first = sealedFirst ? await sealedSide() : await plainSide();
  const second = sealedFirst ? await plainSide() : await sealedSide();
  const plain = (sealedFirst ? second : first) as Awaited<ReturnType<typeof plainSide>>;
  const sealed = (sealedFirst ? first : second) as Awaited<ReturnType<typeof sealedSide>>;
  return {
    importMBps: mbps(bytes, plain.importMs),
    publishMBps: mbps(bytes, sealed.publishMs),
    catMBps: mbps(bytes, plain.catMs),
    fetchMBps: mbps(bytes, sealed.fetchMs),
    served: sealed.served,
  };
}

/**
 * In a child process: publish `mib` MiB of random bytes (without holding them), fetch it back
 * locally, print the peak RSS. With `keepDir`, the data dir stays and the model is printed.
 */
export async function rssChild(mib: number, keepDir?: string): Promise<void> {
  let peak = process.memoryUsage.rss();
  const sample = () => (peak = Math.max(peak, process.memoryUsage.rss()));
  async function* source() {
    for (let i = 0; i < mib; i++) {
      sample();
      yield randomFillSync(Buffer.allocUnsafe(MiB));
    }
  }
  const dataDir = keepDir ?? (await mkdtemp(join(tmpdir(), "mv-bench-rss-")));
  const peer = await StoragePeer.start({ dataDir });
  const published = await publish(peer, source(), { owner });
  let n = 0;
  for await (const chunk of fetchModel(peer, published.manifestCid, { key: published.key })) {
    n += chunk.length;
    sample();
  }
  if (n !== mib * MiB) throw new Error("round trip lost bytes");
  await peer.stop();
  if (keepDir === undefined) await rm(dataDir, { recursive: true, force: true });
  const served: Served = { dataDir, manifest: published.manifestCid.toString(), key: bytesToHex(published.key), plainBytes: n, sealedBytes: published.signed.manifest.sealedSize };
  console.log(JSON.stringify({ peakRssMiB: Math.round(peak / MiB), served }));
}

/** Runs rssChild in a fresh process (so one phase's heap does not count for another). */
export function measureRss(entry: string, mib: number, keepDir?: string): { peakRssMiB: number; served: Served } {
  const args = [...process.execArgv, entry, "--rss-child", String(mib), ...(keepDir === undefined ? [] : ["--keep-dir", keepDir])];
  const out = execFileSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split("\n").pop()!) as { peakRssMiB: number; served: Served };
}
