// The UCI optical handwritten digits (data/digits/: 1,797 images of 8x8 pixels 0..16, label 0..9),
// its fixed stratified train/test split, and the accuracy of the shipped 64-32-10 model on it.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { accuracy, type Dataset } from "./accuracy.js";
import { PROJECT_ROOT } from "./artifacts.js";
import { runQuantizedMlp } from "./mlp.js";
import { DIGITS_MODEL_PATH, DIGITS_QUANTIZATION, mlpFromSafetensors, seededRandom, shuffled } from "./models.js";
import { quantizeInput, quantizeMlp, runFloatMlp } from "./quantize.js";

export const DIGITS_DATA_PATH = join(PROJECT_ROOT, "data", "digits", "digits.csv.gz");
/** SHA-256 of digits.csv.gz as python3-sklearn 1.2.1 ships it (data/digits/README.md). */
export const DIGITS_SHA256 = "46abec6b12486ad9e51943373abcf22bbea1b5a51a1619b361570d8893f1464a";
export const DIGITS_ROWS = 1797;
export const DIGITS_PIXELS = 64;
export const DIGITS_PIXEL_MAX = 16;
export const DIGITS_CLASSES = 10;
/** Seed of the stratified split (the PRNG is zkp/models.ts seededRandom). */
export const DIGITS_SPLIT_SEED = 20261201;
export const DIGITS_TEST_SIZE = 360;

export class DatasetError extends Error {
  override name = "DatasetError";
}

/** Pixels 0..16 as the model's inputs in [0, 1] (quantized at fracBits 6 they are 4 * pixel). */
export function digitsFeatures(pixels: readonly number[]): number[] {
  return pixels.map((p) => p / DIGITS_PIXEL_MAX);
}

/**
 * Reads digits.csv.gz (rows of 64 pixels then the label, no header) after checking its SHA-256;
 * x holds the pixels 0..16 as they are in the file. Throws DatasetError naming the bad row.
 */
export function readDigits(path = DIGITS_DATA_PATH): Dataset {
  const gz = readFileSync(path);
  const sha = createHash("sha256").update(gz).digest("hex");
  if (sha !== DIGITS_SHA256) throw new DatasetError(`${path}: SHA-256 ${sha}, expected ${DIGITS_SHA256} (regenerate with scripts/fetch-digits.sh)`);
  const lines = gunzipSync(gz).toString("utf8").split("\n").filter((l) => l.length > 0);
  if (lines.length !== DIGITS_ROWS) throw new DatasetError(`${path}: ${lines.length} rows, expected ${DIGITS_ROWS}`);
  const x: number[][] = [];
  const y: number[] = [];
  lines.forEach((line, r) => {
    const cells = line.split(",").map(Number);
    const label = cells.pop()!;
    const bad = cells.length !== DIGITS_PIXELS || cells.some((p) => !Number.isInteger(p) || p < 0 || p > DIGITS_PIXEL_MAX);
    if (bad || !Number.isInteger(label) || label < 0 || label >= DIGITS_CLASSES) {
      throw new DatasetError(`${path}: row ${r + 1} is not ${DIGITS_PIXELS} pixels in 0..${DIGITS_PIXEL_MAX} and a label 0..${DIGITS_CLASSES - 1}`);
    }
    x.push(cells);
    y.push(label);
  });
  return { x, y };
}

/**
 * Stratified split: each class's rows in an order drawn from seededRandom(seed) (sort by a random
 * key), the first of them to test. A class gets testSize * its share of the rows, floored; the
 * rows left over go one each to the classes with the largest remainders (lower class first on
 * ties). Both lists come back in file order.
 */
export function digitsSplit(labels: readonly number[], seed = DIGITS_SPLIT_SEED, testSize = DIGITS_TEST_SIZE): { train: number[]; test: number[] } {
  const rand = seededRandom(seed);
  const classes = Array.from({ length: DIGITS_CLASSES }, (_, c) => labels.flatMap((l, i) => (l === c ? [i] : [])));
  const quotas = classes.map((rows) => (rows.length * testSize) / labels.length);
  const counts = quotas.map(Math.floor);
  const byRemainder = quotas.map((q, c) => [q - Math.floor(q), c] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const leftOver = testSize - counts.reduce((a, b) => a + b, 0);
  for (let k = 0; k < leftOver; k++) counts[byRemainder[k]![1]]!++;
  const test = new Set(classes.flatMap((rows, c) => shuffled(rows, rand).slice(0, counts[c])));
  const all = labels.map((_, i) => i);
  return { train: all.filter((i) => !test.has(i)), test: all.filter((i) => test.has(i)) };
}

export interface DigitsAccuracy {
  /** Test-split accuracy of the float32 model as stored. */
  float: number;
  /** Test-split accuracy of the model quantized with DIGITS_QUANTIZATION, run by the circuit's reference. */
  quantized: number;
  testRows: number;
}

/** Accuracy of the shipped digits model on the test split (the bench's digitsAccuracy* figures). */
export function digitsAccuracy(): DigitsAccuracy {
  const data = readDigits();
  const { test } = digitsSplit(data.y);
  const model = mlpFromSafetensors(readFileSync(DIGITS_MODEL_PATH));
  const q = quantizeMlp(model, DIGITS_QUANTIZATION);
  return {
    float: accuracy(data, test, (x) => runFloatMlp(model, digitsFeatures(x))),
    quantized: accuracy(data, test, (x) => runQuantizedMlp(q, quantizeInput(q.spec, digitsFeatures(x)))),
    testRows: test.length,
  };
}
