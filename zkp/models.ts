// MLPs from safetensors (the format model owners have), the shipped Iris model and the bench MLP.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "./artifacts.js";
import type { MlpSpec } from "./mlp-spec.js";
import type { QuantizedMlp } from "./mlp.js";
import { quantizeMlp, type FloatMlp, type QuantizationOptions } from "./quantize.js";
import { SafetensorsError, parseSafetensors, type Tensor } from "./safetensors.js";

export const IRIS_MODEL_PATH = join(PROJECT_ROOT, "models", "iris-4-16-3.safetensors");

/**
 * Benchmark-only architecture (64-32-10), too big for the CI ptau: the UCI digits model's spec
 * (8x8 pixels 0..16 scaled to [0, 1], so quantized inputs are 0..64 at fracBits 6).
 */
export const BENCH_MLP_SPEC: MlpSpec = { sizes: [64, 32, 10], weightBits: 6, biasBits: 20, inputBits: 8, fracBits: 6, shifts: [5, 5] };
/** The benchmark spec before issue 18 (12-bit inputs at fracBits 8), for comparison. */
export const OLD_BENCH_MLP_SPEC: MlpSpec = { sizes: [64, 32, 10], weightBits: 6, biasBits: 16, inputBits: 12, fracBits: 8, shifts: [5, 5] };

const naturalOrder = (a: string, b: string): number => a.localeCompare(b, "en", { numeric: true });

/**
 * Dense layers from safetensors: every 2-D "<prefix>.weight" [out, in] with a "<prefix>.bias" [out]
 * (the PyTorch nn.Linear layout; nn.Sequential names them 0, 2, ...), in natural order of prefix.
 * Several byte arrays are the shards of one model (a tensor in two of them is refused).
 */
export function mlpFromSafetensors(...files: Uint8Array[]): FloatMlp {
  const tensors = new Map<string, Tensor>();
  for (const bytes of files) {
    for (const [name, tensor] of parseSafetensors(bytes).tensors) {
      if (tensors.has(name)) throw new SafetensorsError(`${name}: in two shards`);
      tensors.set(name, tensor);
    }
  }
  const prefixes = [...tensors.keys()].filter((k) => k.endsWith(".weight")).map((k) => k.slice(0, -".weight".length)).sort(naturalOrder);
  if (prefixes.length === 0) throw new SafetensorsError("no <layer>.weight tensors: not an MLP");
  let prevOut: number | undefined;
  const layers = prefixes.map((p) => {
    const w = tensors.get(`${p}.weight`)!;
    const b = tensors.get(`${p}.bias`);
    if (w.shape.length !== 2) throw new SafetensorsError(`${p}.weight: expected 2-D [out, in], got ${JSON.stringify(w.shape)}`);
    const [nOut, nIn] = w.shape as [number, number];
    if (!b || b.shape.length !== 1 || b.shape[0] !== nOut) throw new SafetensorsError(`${p}.bias: expected shape [${nOut}]`);
    if (prevOut !== undefined && prevOut !== nIn) throw new SafetensorsError(`${p}: takes ${nIn} inputs, previous layer gives ${prevOut}`);
    if ([...w.data, ...b.data].some((v) => !Number.isFinite(v))) throw new SafetensorsError(`${p}: non-finite values`);
    prevOut = nOut;
    const weights = Array.from({ length: nOut }, (_, j) => Array.from(w.data.subarray(j * nIn, (j + 1) * nIn)));
    return { weights, biases: Array.from(b.data) };
  });
  return { layers };
}

export const SAFETENSORS_INDEX = "model.safetensors.index.json";

/**
 * The safetensors files of a model path: the file itself, or in a directory (a Hugging Face-style
 * repository) the shards its `model.safetensors.index.json` names, else every `*.safetensors`
 * file at its top level, sorted.
 */
export function safetensorsPaths(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  const names = readdirSync(path);
  if (names.includes(SAFETENSORS_INDEX)) {
    const index = JSON.parse(readFileSync(join(path, SAFETENSORS_INDEX), "utf8")) as { weight_map?: unknown };
    const map = index.weight_map;
    if (typeof map !== "object" || map === null || Array.isArray(map) || !Object.values(map).every((v) => typeof v === "string" && !v.includes(".."))) {
      throw new SafetensorsError(`${SAFETENSORS_INDEX}: weight_map is not an object of shard file names`);
    }
    return [...new Set(Object.values(map as Record<string, string>))].sort().map((shard) => join(path, shard));
  }
  const shards = names.filter((n) => n.endsWith(".safetensors")).sort();
  if (shards.length === 0) throw new SafetensorsError(`${path}: no .safetensors file in the directory`);
  return shards.map((n) => join(path, n));
}

/** A quantized MLP from a safetensors file or a model directory (shards and index, or one file). */
export function loadMlp(path: string, options?: QuantizationOptions): QuantizedMlp {
  return quantizeMlp(mlpFromSafetensors(...safetensorsPaths(path).map((p) => readFileSync(p))), options);
}

export function loadIrisModel(): QuantizedMlp {
  return loadMlp(IRIS_MODEL_PATH);
}

/** Deterministic PRNG (mulberry32) for reproducible test and benchmark models; not for secrets. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomSigned(rand: () => number, bits: number): bigint {
  const half = 2 ** (bits - 1);
  return BigInt(Math.floor(rand() * 2 * half) - half);
}

/** Random in-range quantized model for a spec (biases kept small so activations stay varied). */
export function randomQuantizedMlp(spec: MlpSpec, seed: number): QuantizedMlp {
  const rand = seededRandom(seed);
  const layers = spec.sizes.slice(1).map((nOut, l) => ({
    weights: Array.from({ length: nOut }, () => Array.from({ length: spec.sizes[l]! }, () => randomSigned(rand, spec.weightBits))),
    biases: Array.from({ length: nOut }, () => randomSigned(rand, Math.min(spec.biasBits, spec.shifts[l]! + spec.fracBits + 2))),
  }));
  return { spec, layers };
}

export function randomInput(spec: MlpSpec, seed: number): bigint[] {
  const rand = seededRandom(seed);
  return Array.from({ length: spec.sizes[0]! }, () => randomSigned(rand, spec.inputBits));
}
