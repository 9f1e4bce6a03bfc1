// Float MLP training shared by the train:* scripts: plain TypeScript, full-batch Adam with L2 on
// the weights, ReLU hidden layers, softmax cross-entropy, a seeded PRNG for every random choice.
// The input normalisation is folded into layer 0, so the trained model takes raw inputs.
// Deterministic: the same data, options and PRNG state give the same bits on every run.
import { accuracy, type Dataset } from "../../zkp/accuracy.js";
import { runQuantizedMlp } from "../../zkp/mlp.js";
import { quantizeInput, quantizeMlp, runFloatMlp, type FloatMlp, type QuantizationOptions } from "../../zkp/quantize.js";
import { serializeSafetensors } from "../../zkp/safetensors.js";

export interface TrainOptions {
  /** Layer widths, input first. */
  sizes: readonly number[];
  epochs: number;
  learningRate: number;
  /** L2 penalty on weights (not biases): small weights quantize with finer scales. */
  weightDecay: number;
  /**
   * "standardise": train on (x - mean) / std of the training rows; "centre": on x - mean only,
   * which folds into the biases alone and leaves the weights' range as trained.
   */
  normalise: "standardise" | "centre";
  /** Draws the initial weights (Iris draws its split from it first: its state is part of the seed). */
  rand: () => number;
}

function normalisation(data: Dataset, trainIdx: readonly number[], mode: TrainOptions["normalise"]): { mean: number[]; std: number[] } {
  const features = data.x[0]!.map((_, f) => f);
  const mean = features.map((f) => trainIdx.reduce((a, i) => a + data.x[i]![f]!, 0) / trainIdx.length);
  if (mode === "centre") return { mean, std: features.map(() => 1) };
  // A constant feature (a pixel that is blank in every training image) keeps scale 1.
  const std = features.map((f) => Math.sqrt(trainIdx.reduce((a, i) => a + (data.x[i]![f]! - mean[f]!) ** 2, 0) / trainIdx.length) || 1);
  return { mean, std };
}

interface Layer {
  nIn: number;
  nOut: number;
  /** [out][in] row-major. */
  w: Float64Array;
  b: Float64Array;
}

/** Activations of every layer for one input (index 0 is the input itself); the last are logits. */
function forward(layers: Layer[], x: Float64Array): Float64Array[] {
  const acts = [x];
  layers.forEach((layer, l) => {
    const a = acts[l]!;
    const out = new Float64Array(layer.nOut);
    for (let j = 0; j < layer.nOut; j++) {
      let s = 0;
      for (let i = 0; i < layer.nIn; i++) s += layer.w[j * layer.nIn + i]! * a[i]!;
      const z = layer.b[j]! + s;
      out[j] = l + 1 < layers.length ? Math.max(0, z) : z;
    }
    acts.push(out);
  });
  return acts;
}

/** Adds the mean cross-entropy gradient of one sample (weight 1/batch) to grads [gW0, gb0, gW1, ...]. */
function backward(layers: Layer[], acts: Float64Array[], label: number, batch: number, grads: Float64Array[]): void {
  const logits = acts.at(-1)!;
  const zMax = Math.max(...logits);
  const e = Array.from(logits, (z) => Math.exp(z - zMax));
  const sum = e.reduce((a, b) => a + b, 0);
  let delta = Float64Array.from(e, (ek, k) => (ek / sum - (k === label ? 1 : 0)) / batch);
  for (let l = layers.length - 1; l >= 0; l--) {
    const { nIn, nOut, w } = layers[l]!;
    const a = acts[l]!;
    const out = acts[l + 1]!;
    const hidden = l + 1 < layers.length;
    const gW = grads[2 * l]!;
    const gb = grads[2 * l + 1]!;
    const dIn = new Float64Array(nIn);
    for (let k = 0; k < nOut; k++) {
      if (hidden && out[k]! <= 0) continue; // ReLU: no gradient through an inactive neuron
      const d = delta[k]!;
      gb[k]! += d;
      for (let j = 0; j < nIn; j++) {
        gW[k * nIn + j]! += d * a[j]!;
        if (l > 0) dIn[j]! += d * w[k * nIn + j]!;
      }
    }
    delta = dIn;
  }
}

/** Trains on data.x[trainIdx] and returns the model in raw input units (normalisation folded in). */
export function trainMlp(data: Dataset, trainIdx: readonly number[], o: TrainOptions): FloatMlp {
  const { mean, std } = normalisation(data, trainIdx, o.normalise);
  const inputs = new Map(trainIdx.map((n) => [n, Float64Array.from(data.x[n]!, (v, f) => (v - mean[f]!) / std[f]!)]));
  const gauss = () => Math.sqrt(-2 * Math.log(o.rand() + 1e-12)) * Math.cos(2 * Math.PI * o.rand());
  // He initialisation for weights, zero biases; created in order W0, b0, W1, b1, ...
  const layers: Layer[] = o.sizes.slice(1).map((nOut, l) => {
    const nIn = o.sizes[l]!;
    return { nIn, nOut, w: Float64Array.from({ length: nOut * nIn }, () => gauss() * Math.sqrt(2 / nIn)), b: new Float64Array(nOut) };
  });
  const params = layers.flatMap((l) => [l.w, l.b]);
  const m = params.map((p) => new Float64Array(p.length));
  const v = params.map((p) => new Float64Array(p.length));
  for (let t = 1; t <= o.epochs; t++) {
    const grads = params.map((p) => new Float64Array(p.length));
    for (const n of trainIdx) backward(layers, forward(layers, inputs.get(n)!), data.y[n]!, trainIdx.length, grads);
    params.forEach((p, k) => {
      for (let i = 0; i < p.length; i++) {
        const g = grads[k]![i]! + (k % 2 === 0 ? o.weightDecay * p[i]! : 0);
        m[k]![i] = 0.9 * m[k]![i]! + 0.1 * g;
        v[k]![i] = 0.999 * v[k]![i]! + 0.001 * g * g;
        p[i]! -= (o.learningRate * (m[k]![i]! / (1 - 0.9 ** t))) / (Math.sqrt(v[k]![i]! / (1 - 0.999 ** t)) + 1e-8);
      }
    });
  }
  // Fold the normalisation into layer 0: W' = W / std, b' = b - sum W * mean / std.
  return {
    layers: layers.map((layer, l) => {
      const rows = Array.from({ length: layer.nOut }, (_, j) => Array.from(layer.w.subarray(j * layer.nIn, (j + 1) * layer.nIn)));
      if (l > 0) return { weights: rows, biases: Array.from(layer.b) };
      return {
        weights: rows.map((row) => row.map((w, i) => w / std[i]!)),
        biases: rows.map((row, j) => layer.b[j]! - row.reduce((a, w, i) => a + (w * mean[i]!) / std[i]!, 0)),
      };
    }),
  };
}

/** The model as float32 safetensors, layers named layers.<l>.weight / layers.<l>.bias. */
export function mlpSafetensors(model: FloatMlp, metadata: Record<string, string>): Uint8Array {
  const tensors = new Map(
    model.layers.flatMap((layer, l) => [
      [`layers.${l}.weight`, { dtype: "F32" as const, shape: [layer.weights.length, layer.weights[0]!.length], data: layer.weights.flat() }],
      [`layers.${l}.bias`, { dtype: "F32" as const, shape: [layer.biases.length], data: layer.biases }],
    ]),
  );
  return serializeSafetensors(tensors, metadata);
}

/**
 * Markdown table of train/test accuracy of the float model and of its quantization at each
 * weight width (other quantization options as given), plus each layer's largest |w| and |b|.
 */
export function accuracyReport(model: FloatMlp, data: Dataset, split: { train: readonly number[]; test: readonly number[] }, weightWidths: readonly number[], options: QuantizationOptions = {}): string {
  const rows = [`| model | train (${split.train.length}) | test (${split.test.length}) |`, `|---|---|---|`];
  const row = (name: string, f: (x: readonly number[]) => readonly (number | bigint)[]) =>
    `| ${name} | ${accuracy(data, split.train, f).toFixed(3)} | ${accuracy(data, split.test, f).toFixed(3)} |`;
  rows.push(row("float32", (x) => runFloatMlp(model, x)));
  for (const weightBits of weightWidths) {
    let q;
    try {
      q = quantizeMlp(model, { ...options, weightBits });
    } catch (e) {
      rows.push(`| ${weightBits}-bit weights | ${(e as Error).message} | |`);
      continue;
    }
    rows.push(row(`${weightBits}-bit weights (shifts ${q.spec.shifts.join(",")})`, (x) => runQuantizedMlp(q, quantizeInput(q.spec, x))));
  }
  const maxAbs = (a: number[]) => Math.max(...a.map(Math.abs));
  const ranges = model.layers.map((l, i) => `layer ${i}: max |w| ${maxAbs(l.weights.flat()).toFixed(3)}, max |b| ${maxAbs(l.biases).toFixed(3)}`);
  return `${ranges.join("\n")}\n${rows.join("\n")}`;
}
