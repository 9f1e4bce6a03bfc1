/**
 * npm run bench:browser — the web app's two budgets (issue 16):
 *  1. decrypt MB/s of a 256 MiB sealed model in Chromium through the SDK (WebCrypto) against the
 *     same decrypt in Node (the SDK on node:crypto) in the same run. Both from memory: the sealed
 *     bytes are made here, the page fetches them once from a local server (untimed), then both
 *     sides time `openSealed` over the same bytes in the same 1 MiB slices, one round each in
 *     turn (the ratio is the median of the per-round ratios: both sides see the same load). Goal:
 *     ratio >= 0.5.
 *     As a profile, raw AES-256-GCM per 1 MiB segment on each side (WebCrypto / node:crypto).
 *  2. the app's first visit: the build manifest's `firstLoadGzipBytes` (goal <= 400 kB), and what
 *     Chromium actually transfers for `/` from a node (fresh profile, CDP encodedDataLength).
 *
 *   flock /tmp/mv-bench.lock node --import tsx bench/browser.ts [--mib 256] [--rounds 5]
 */
import { createDecipheriv, createCipheriv, randomBytes, randomFillSync } from "node:crypto";
import { createServer, type Server } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { hexToBytes } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { identityFromPrivateKey, seal } from "../crypto/index.js";
import { startApi } from "../node/http/server.js";
import { StoragePeer } from "../node/storage/storage-peer.js";
import { buildWeb } from "../scripts/build-web.js";
import { openSealed } from "../sdk/index.js";
import { launchBrowser } from "../test/helpers/browser.js";
import type { PageProfile } from "./lib/browser-decrypt.js";

const MiB = 1 << 20;
const { values } = parseArgs({ options: { mib: { type: "string", default: "256" }, rounds: { type: "string", default: "5" } } });
const mib = Number(values.mib);
const rounds = Number(values.rounds);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

function* slices(data: Uint8Array, size = MiB): Generator<Uint8Array> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

async function sealedModel(): Promise<{ sealed: Buffer; key: Uint8Array; modelId: Uint8Array }> {
  const key = randomBytes(32);
  const modelId = randomBytes(32);
  const parts: Uint8Array[] = [];
  const plain = randomFillSync(Buffer.allocUnsafe(mib * MiB));
  for await (const part of seal(slices(plain), { key, modelId })) parts.push(part);
  return { sealed: Buffer.concat(parts), key, modelId };
}

/** The Node side, the same shape as the page's: one openSealed over the whole model in 1 MiB slices. */
async function nodeSdkRound(sealed: Buffer, key: Uint8Array, modelId: Uint8Array): Promise<number> {
  const started = performance.now();
  let n = 0;
  for await (const chunk of openSealed(slices(sealed), { key, modelId })) n += chunk.length;
  if (n !== mib * MiB) throw new Error(`node decrypt lost bytes: ${n}`);
  return n / 1e6 / ((performance.now() - started) / 1000);
}

/** Profile: raw node:crypto AES-256-GCM, one decipher per 1 MiB segment. */
function nodeRawMBps(sealed: Buffer, key: Uint8Array): number[] {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const frame = Buffer.concat([cipher.update(sealed.subarray(0, MiB)), cipher.final()]);
  const tag = cipher.getAuthTag();
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const started = performance.now();
    for (let i = 0; i < mib; i++) {
      const d = createDecipheriv("aes-256-gcm", key, iv).setAuthTag(tag);
      d.update(frame);
      d.final();
    }
    rates.push((mib * MiB) / 1e6 / ((performance.now() - started) / 1000));
  }
  return rates;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)));
}

interface DecryptRuns {
  browserMBps: number[];
  nodeMBps: number[];
  /** Per round, browser / node: the two sides alternate, so both see the machine's load alike. */
  ratios: number[];
  page: PageProfile;
  nodeRawMBps: number[];
}

async function decryptRuns(sealed: Buffer, key: Uint8Array, modelId: Uint8Array): Promise<DecryptRuns> {
  const bundle = await build({
    entryPoints: [new URL("./lib/browser-decrypt.ts", import.meta.url).pathname],
    bundle: true, format: "esm", platform: "browser", conditions: ["browser"], minify: true, write: false, logLevel: "silent",
  });
  const script = bundle.outputFiles[0]!.contents;
  const server = createServer((request, response) => {
    if (request.url === "/sealed.bin") response.writeHead(200, { "content-type": "application/octet-stream" }).end(sealed);
    else if (request.url === "/bench.js") response.writeHead(200, { "content-type": "text/javascript" }).end(script);
    else response.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><script type="module" src="/bench.js"></script>');
  });
  const url = await listen(server);
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(url, { waitUntil: "load" });
    await page.waitForFunction("typeof window.benchLoad === 'function'");
    await page.evaluate("window.benchLoad()");
    const runs: DecryptRuns = { browserMBps: [], nodeMBps: [], ratios: [], page: { rawWebCryptoMBps: [], rawWebCrypto2InFlightMBps: [], copyMBps: [] }, nodeRawMBps: [] };
    for (let r = 0; r < rounds; r++) {
      const nodeMBps = await nodeSdkRound(sealed, key, modelId);
      const [browserMBps, bytes] = (await page.evaluate(`window.benchSdkRound(${JSON.stringify(hex(key))}, ${JSON.stringify(hex(modelId))})`)) as [number, number];
      if (bytes !== mib * MiB) throw new Error(`browser decrypt lost bytes: ${bytes}`);
      runs.nodeMBps.push(nodeMBps);
      runs.browserMBps.push(browserMBps);
      runs.ratios.push(browserMBps / nodeMBps);
    }
    runs.page = (await page.evaluate(`window.benchProfile(${JSON.stringify(hex(key))}, ${mib}, ${rounds})`)) as PageProfile;
    runs.nodeRawMBps = nodeRawMBps(sealed, key);
    return runs;
  } finally {
    await browser.close();
    server.close();
  }
}

/** What a fresh Chromium transfers for `/` from a node serving the app (no chain: the app's files and its config call). */
async function firstVisitTransfer(): Promise<{ appBytes: number; totalBytes: number; requests: number }> {
  const dir = await mkdtemp(join(tmpdir(), "mv-bench-browser-"));
  const peer = await StoragePeer.start({ dataDir: dir });
  const api = await startApi({ peer, identity: identityFromPrivateKey(hexToBytes(generatePrivateKey())), host: "127.0.0.1", port: 0 });
  const browser = await launchBrowser();
  try {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    const cdp = await page.createCDPSession();
    await cdp.send("Network.enable");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    const urls = new Map<string, string>();
    let appBytes = 0;
    let totalBytes = 0;
    cdp.on("Network.requestWillBeSent", (event) => urls.set(event.requestId, event.request.url));
    cdp.on("Network.loadingFinished", (event) => {
      totalBytes += event.encodedDataLength;
      const path = new URL(urls.get(event.requestId) ?? api.url).pathname;
      if (path === "/" || path.startsWith("/assets/")) appBytes += event.encodedDataLength;
    });
    await page.goto(`${api.url}/`, { waitUntil: "networkidle0" });
    return { appBytes, totalBytes, requests: urls.size };
  } finally {
    await browser.close();
    await api.close();
    await peer.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const manifest = buildWeb();
const { sealed, key, modelId } = await sealedModel();
const runs = await decryptRuns(sealed, key, modelId);
const visit = await firstVisitTransfer();

const browserDecryptMBps = median(runs.browserMBps);
const nodeDecryptMBps = median(runs.nodeMBps);
const ratio = median(runs.ratios);
const browserRaw = median(runs.page.rawWebCryptoMBps);
const nodeRaw = median(runs.nodeRawMBps);
const f = (x: number) => x.toFixed(0).padStart(9);
console.log(`\nopenSealed over a ${mib} MiB sealed model from memory, 1 MiB slices, ${rounds} alternating rounds, medians (MB = 10^6 B)\n`);
console.log("                                  Chromium      Node   ratio");
console.log(`SDK decrypt (openSealed) MB/s   ${f(browserDecryptMBps)} ${f(nodeDecryptMBps)}   ${ratio.toFixed(3)}   (goal >= 0.5; per-round ratios ${runs.ratios.map((x) => x.toFixed(2)).join(" ")})`);
console.log(`raw AES-256-GCM per 1 MiB MB/s  ${f(browserRaw)} ${f(nodeRaw)}   ${(browserRaw / nodeRaw).toFixed(3)}   (profile: WebCrypto vs node:crypto alone)`);
console.log(`raw WebCrypto, 2 in flight MB/s ${f(median(runs.page.rawWebCrypto2InFlightMBps))}                   (profile: would look-ahead help?)`);
console.log(`1 MiB copy (new Uint8Array) MB/s${f(median(runs.page.copyMBps))}                   (profile: cost of one copy per segment)`);
console.log(`SDK share of raw                ${(browserDecryptMBps / browserRaw).toFixed(3).padStart(9)} ${(nodeDecryptMBps / nodeRaw).toFixed(3).padStart(9)}`);
console.log(`\nfirst visit: build manifest ${manifest.firstLoadGzipBytes} B gzip (goal <= 400000); Chromium transferred ${visit.appBytes} B for the app's files (${visit.totalBytes} B with /v1/web/config, ${visit.requests} requests)\n`);
console.log(JSON.stringify({
  browserDecryptMBps: Number(browserDecryptMBps.toFixed(1)),
  nodeDecryptMBps: Number(nodeDecryptMBps.toFixed(1)),
  ratio: Number(ratio.toFixed(3)),
  firstLoadGzipBytes: manifest.firstLoadGzipBytes,
  firstVisitTransferredBytes: visit.appBytes,
  browserRawWebCryptoMBps: Number(browserRaw.toFixed(1)),
  browserRawWebCrypto2InFlightMBps: Number(median(runs.page.rawWebCrypto2InFlightMBps).toFixed(1)),
  nodeRawMBps: Number(nodeRaw.toFixed(1)),
}));
