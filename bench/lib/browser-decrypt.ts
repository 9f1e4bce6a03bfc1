/**
 * The page side of npm run bench:browser, bundled for the browser (esbuild, "browser" condition:
 * the SDK on WebCrypto). benchLoad fetches the sealed bytes once (untimed, into memory);
 * benchSdkRound times the SDK's openSealed over them in 1 MiB slices, as bench/browser.ts does in
 * Node, one round per call so the two sides can alternate; benchProfile times raw WebCrypto
 * AES-256-GCM per 1 MiB segment (one and two calls in flight) and a 1 MiB copy.
 */
import { openSealed } from "../../sdk/index.js";

const MiB = 1 << 20;

function* slices(data: Uint8Array, size = MiB): Generator<Uint8Array> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

const fromHex = (hex: string) => Uint8Array.from(hex.match(/../g)!.map((b) => parseInt(b, 16)));

export interface PageProfile {
  rawWebCryptoMBps: number[];
  /** Two decrypt calls in flight: whether WebCrypto would gain from look-ahead. */
  rawWebCrypto2InFlightMBps: number[];
  /** Copying 1 MiB segments (new Uint8Array(frame)): what one extra copy per segment costs. */
  copyMBps: number[];
}

let sealed = new Uint8Array(0);

async function benchLoad(): Promise<number> {
  sealed = new Uint8Array(await (await fetch("/sealed.bin")).arrayBuffer());
  return sealed.length;
}

/** One timed openSealed over the whole model: [MB/s, plaintext bytes]. */
async function benchSdkRound(keyHex: string, modelIdHex: string): Promise<[number, number]> {
  const key = fromHex(keyHex);
  const modelId = fromHex(modelIdHex);
  const started = performance.now();
  let n = 0;
  for await (const chunk of openSealed(slices(sealed), { key, modelId })) n += chunk.length;
  return [n / 1e6 / ((performance.now() - started) / 1000), n];
}

async function benchProfile(keyHex: string, segments: number, rounds: number): Promise<PageProfile> {
  const aes = await crypto.subtle.importKey("raw", fromHex(keyHex), "AES-GCM", false, ["encrypt", "decrypt"]);
  const iv = new Uint8Array(12);
  const frame = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, aes, sealed.subarray(0, MiB)));
  const decrypt = () => crypto.subtle.decrypt({ name: "AES-GCM", iv }, aes, frame);
  const rate = (started: number) => (segments * MiB) / 1e6 / ((performance.now() - started) / 1000);
  const profile: PageProfile = { rawWebCryptoMBps: [], rawWebCrypto2InFlightMBps: [], copyMBps: [] };
  for (let r = 0; r < rounds; r++) {
    let started = performance.now();
    for (let i = 0; i < segments; i++) await decrypt();
    profile.rawWebCryptoMBps.push(rate(started));
    started = performance.now();
    for (let i = 0; i < segments; i += 2) await Promise.all([decrypt(), decrypt()]);
    profile.rawWebCrypto2InFlightMBps.push(rate(started));
    started = performance.now();
    let sink = 0;
    for (let i = 0; i < segments; i++) sink += new Uint8Array(frame)[i]!;
    profile.copyMBps.push(rate(started) + sink * 0);
  }
  return profile;
}

Object.assign(globalThis, { benchLoad, benchSdkRound, benchProfile });
