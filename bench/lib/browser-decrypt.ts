/**
 * The page side of npm run bench:browser, bundled for the browser (esbuild, "browser" condition:
 * the SDK on WebCrypto). window.benchDecrypt fetches the sealed bytes once (untimed, into
 * memory), then times the SDK's openSealed over them in 1 MiB slices, as bench/browser.ts does in
 * Node; and, for the profile, raw WebCrypto AES-256-GCM per 1 MiB segment over the same size.
 */
import { openSealed } from "../../sdk/index.js";

const MiB = 1 << 20;

function* slices(data: Uint8Array, size = MiB): Generator<Uint8Array> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

const fromHex = (hex: string) => Uint8Array.from(hex.match(/../g)!.map((b) => parseInt(b, 16)));

export interface PageDecryptResult {
  sdkMBps: number[];
  rawWebCryptoMBps: number[];
  /** The same with two decrypt calls in flight: whether WebCrypto would gain from look-ahead. */
  rawWebCrypto2InFlightMBps: number[];
  /** Copying 1 MiB segments (new Uint8Array(frame)): what one extra copy per segment costs. */
  copyMBps: number[];
  plaintextBytes: number;
}

async function benchDecrypt(keyHex: string, modelIdHex: string, rounds: number): Promise<PageDecryptResult> {
  const sealed = new Uint8Array(await (await fetch("/sealed.bin")).arrayBuffer());
  const key = fromHex(keyHex);
  const modelId = fromHex(modelIdHex);
  const sdkMBps: number[] = [];
  let plaintextBytes = 0;
  for (let r = 0; r < rounds; r++) {
    const started = performance.now();
    let n = 0;
    for await (const chunk of openSealed(slices(sealed), { key, modelId })) n += chunk.length;
    sdkMBps.push(n / 1e6 / ((performance.now() - started) / 1000));
    plaintextBytes = n;
  }
  // Profile: what WebCrypto alone does, one decrypt call per 1 MiB segment, sequentially (as the SDK).
  const aes = await crypto.subtle.importKey("raw", key, "AES-GCM", false, ["encrypt", "decrypt"]);
  const iv = new Uint8Array(12);
  const segment = sealed.subarray(0, MiB);
  const frame = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, aes, segment));
  const segments = Math.floor(plaintextBytes / MiB);
  const rawWebCryptoMBps: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const started = performance.now();
    for (let i = 0; i < segments; i++) await crypto.subtle.decrypt({ name: "AES-GCM", iv }, aes, frame);
    rawWebCryptoMBps.push((segments * MiB) / 1e6 / ((performance.now() - started) / 1000));
  }
  const rawWebCrypto2InFlightMBps: number[] = [];
  const copyMBps: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let started = performance.now();
    for (let i = 0; i < segments; i += 2) await Promise.all([crypto.subtle.decrypt({ name: "AES-GCM", iv }, aes, frame), crypto.subtle.decrypt({ name: "AES-GCM", iv }, aes, frame)]);
    rawWebCrypto2InFlightMBps.push((segments * MiB) / 1e6 / ((performance.now() - started) / 1000));
    started = performance.now();
    let sink = 0;
    for (let i = 0; i < segments; i++) sink += new Uint8Array(frame)[i]!;
    copyMBps.push((segments * MiB) / 1e6 / ((performance.now() - started) / 1000) + sink * 0);
  }
  return { sdkMBps, rawWebCryptoMBps, rawWebCrypto2InFlightMBps, copyMBps, plaintextBytes };
}

(globalThis as unknown as { benchDecrypt: typeof benchDecrypt }).benchDecrypt = benchDecrypt;
