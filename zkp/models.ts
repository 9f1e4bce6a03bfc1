// MLPs from safetensors (the format model owners have), the shipped Iris and digits models and the bench MLP.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "./artifacts.js";
import type { MlpSpec } from "./mlp-spec.js";
import type { QuantizedMlp } from "./mlp.js";
import { quantizeMlp, type FloatMlp, type QuantizationOptions } from "./quantize.js";
import { SafetensorsError, parseSafetensors, parseSafetensorsHeader, type Tensor } from "./safetensors.js";

export const IRIS_MODEL_PATH = join(PROJECT_ROOT, "models", "iris-4-16-3.safetensors");

/**
 * Benchmark-only architecture (64-32-10), too big for the CI ptau: the UCI digits model's spec
 * (8x8 pixels 0..16 scaled to [0, 1], so quantized inputs are 0..64 at fracBits 6).
 */
export const BENCH_MLP_SPEC: MlpSpec = { sizes: [64, 32, 10], weightBits: 6, biasBits: 20, inputBits: 8, fracBits: 6, shifts: [5, 4] };
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

/** Metadata key of a safetensors file holding its model's quantization options as JSON, e.g. {"inputBits":8}. */
export const QUANTIZATION_METADATA = "modelvault.quantization";
const QUANTIZATION_KEYS: readonly string[] = ["weightBits", "biasBits", "inputBits", "fracBits", "maxShift"];

/** The quantization options a file's metadata names ({} when none); SafetensorsError when malformed. */
export function quantizationFromMetadata(metadata: Record<string, string>): QuantizationOptions {
  const text = metadata[QUANTIZATION_METADATA];
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SafetensorsError(`${QUANTIZATION_METADATA}: not JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new SafetensorsError(`${QUANTIZATION_METADATA}: not a JSON object`);
  const given = value as Record<string, unknown>;
  const unknown = Object.keys(given).find((key) => !QUANTIZATION_KEYS.includes(key));
  if (unknown !== undefined) throw new SafetensorsError(`${QUANTIZATION_METADATA}: unknown option ${JSON.stringify(unknown)}`);
  const options: Record<string, number> = {}; // in QUANTIZATION_KEYS order, so equal options compare equal as JSON
  for (const key of QUANTIZATION_KEYS.filter((k) => k in given)) {
    const v = given[key];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 64) throw new SafetensorsError(`${QUANTIZATION_METADATA}: ${key} is not an integer in [0, 64]`);
    options[key] = v;
  }
  return options as QuantizationOptions;
}

/**
 * A quantized MLP from a safetensors file or a model directory (shards and index, or one file),
 * with the quantization its metadata names (QUANTIZATION_METADATA; shards must agree), then
 * `options` over it, then the defaults.
 */
export function loadMlp(path: string, options?: QuantizationOptions): QuantizedMlp {
  const files = safetensorsPaths(path).map((p) => readFileSync(p));
  const named = [...new Set(files.map((f) => JSON.stringify(quantizationFromMetadata(parseSafetensorsHeader(f, f.length).metadata))))];
  if (named.length > 1) throw new SafetensorsError(`shards name different quantizations: ${named.join(", ")}`);
  return quantizeMlp(mlpFromSafetensors(...files), { ...(JSON.parse(named[0]!) as QuantizationOptions), ...options });
}

export function loadIrisModel(): QuantizedMlp {
  return loadMlp(IRIS_MODEL_PATH);
}

/** 64-32-10 trained on the UCI handwritten digits (zkp/digits.ts, `npm run train:digits`). */
export const DIGITS_MODEL_PATH = join(PROJECT_ROOT, "models", "digits-64-32-10.safetensors");
/**
 * The digits model's quantization: inputs are pixels / 16 in [0, 1], so at fracBits 6 they are
 * the integers 0..64 (8 signed bits); biasBits and the shifts are quantizeMlp's defaults and choice.
 */
export const DIGITS_QUANTIZATION = { weightBits: 6, inputBits: 8, fracBits: 6 } as const satisfies QuantizationOptions;

/** The digits model; its file names DIGITS_QUANTIZATION in its metadata, which loadMlp reads. */
export function loadDigitsModel(): QuantizedMlp {
  return loadMlp(DIGITS_MODEL_PATH);
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

/** Indices in an order drawn from rand (sorted by one random key per index). */
export function shuffled(indices: readonly number[], rand: () => number): number[] {
  return indices.map((i) => [rand(), i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => i);
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
