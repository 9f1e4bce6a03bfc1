// Float MLP -> fixed point: per-layer power-of-two weight scales, round half away from zero.
import { InputRangeError } from "./field.js";
import type { MlpSpec } from "./mlp-spec.js";
import { QuantizedModelError, type QuantizedMlp } from "./mlp.js";

export interface FloatLayer {
  /** [out][in] */
  weights: number[][];
  biases: number[];
}

export interface FloatMlp {
  layers: FloatLayer[];
}

export interface QuantizationOptions {
  weightBits?: number;
  biasBits?: number;
  inputBits?: number;
  fracBits?: number;
  /** Largest shift tried per layer. */
  maxShift?: number;
}

export const DEFAULT_QUANTIZATION = { weightBits: 6, biasBits: 20, inputBits: 12, fracBits: 8, maxShift: 16 } as const;

/** Round half away from zero, to an integer. */
export function roundFixed(v: number, scaleBits: number): bigint {
  if (!Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
  const s = v * 2 ** scaleBits;
  return BigInt(Math.sign(s) * Math.floor(Math.abs(s) + 0.5));
}

function fits(v: bigint, bits: number): boolean {
  const half = 1n << BigInt(bits - 1);
  return v >= -half && v < half;
}

export function mlpSizes(model: FloatMlp): number[] {
  const first = model.layers[0];
  if (!first || first.weights.length === 0) throw new QuantizedModelError("model has no layers");
  return [first.weights[0]!.length, ...model.layers.map((l) => l.weights.length)];
}

/**
 * Picks for each layer the largest weight scale 2^shift (<= maxShift) at which every weight and
 * bias still fits its bits, then rounds. Throws QuantizedModelError when a layer fits no scale.
 */
export function quantizeMlp(model: FloatMlp, options: QuantizationOptions = {}): QuantizedMlp {
  const o = { ...DEFAULT_QUANTIZATION, ...options };
  const sizes = mlpSizes(model);
  const shifts: number[] = [];
  const layers = model.layers.map((layer, l) => {
    for (let shift = o.maxShift; shift >= 0; shift--) {
      const weights = layer.weights.map((row) => row.map((w) => roundFixed(w, shift)));
      const biases = layer.biases.map((b) => roundFixed(b, shift + o.fracBits));
      if (weights.every((r) => r.every((w) => fits(w, o.weightBits))) && biases.every((b) => fits(b, o.biasBits))) {
        shifts.push(shift);
        return { weights, biases };
      }
    }
    throw new QuantizedModelError(`layer ${l}: weights or biases too large for ${o.weightBits}/${o.biasBits} bits at any scale`);
  });
  const spec: MlpSpec = { sizes, weightBits: o.weightBits, biasBits: o.biasBits, inputBits: o.inputBits, fracBits: o.fracBits, shifts };
  return { spec, layers };
}

/** Float input -> fixed point at scale 2^fracBits; InputRangeError names the value that does not fit. */
export function quantizeInput(spec: MlpSpec, input: readonly number[]): bigint[] {
  const half = 1n << BigInt(spec.inputBits - 1);
  return input.map((v, i) => {
    const q = roundFixed(v, spec.fracBits);
    if (q < -half || q >= half) throw new InputRangeError(`input[${i}]`, q, -half, half - 1n);
    return q;
  });
}

export function dequantize(spec: MlpSpec, values: readonly bigint[]): number[] {
  return values.map((v) => Number(v) / 2 ** spec.fracBits);
}

/** Float reference forward pass (ReLU on hidden layers), for accuracy comparisons. */
export function runFloatMlp(model: FloatMlp, input: readonly number[]): number[] {
  let x = [...input];
  model.layers.forEach((layer, l) => {
    const last = l === model.layers.length - 1;
    x = layer.weights.map((row, j) => {
      const z = row.reduce((acc, w, i) => acc + w * x[i]!, layer.biases[j]!);
      return last ? z : Math.max(0, z);
    });
  });
  return x;
}
