// npm run train:digits — trains the 64-32-10 classifier on the UCI handwritten digits
// (scripts/lib/shipped-models.ts: the fixed stratified split of zkp/digits.ts, 1,437 train / 360
// test, full-batch Adam, fixed seed; the model takes pixel / 16 in [0, 1]), writes
// models/digits-64-32-10.safetensors and prints its float and quantized accuracy
// (DIGITS_QUANTIZATION at several weight widths).
import { writeFileSync } from "node:fs";
import { DIGITS_MODEL_PATH, DIGITS_QUANTIZATION, mlpFromSafetensors } from "../zkp/models.js";
import { trainDigits } from "./lib/shipped-models.js";
import { accuracyReport } from "./lib/train-mlp.js";

const t0 = performance.now();
const { bytes, data, split } = trainDigits();
const seconds = (performance.now() - t0) / 1000;
writeFileSync(DIGITS_MODEL_PATH, bytes);
const report = accuracyReport(mlpFromSafetensors(bytes), data, split, [4, 5, 6, 8], DIGITS_QUANTIZATION);
console.log(`${report}\ntrained in ${seconds.toFixed(1)} s; wrote ${DIGITS_MODEL_PATH} (${bytes.length} bytes)`);
