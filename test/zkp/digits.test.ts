import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { argmax } from "../../zkp/accuracy.js";
import { DIGITS_DATA_PATH, DatasetError, digitsAccuracy, digitsFeatures, digitsSplit, readDigits } from "../../zkp/digits.js";
import { runQuantizedMlp } from "../../zkp/mlp.js";
import { loadDigitsModel } from "../../zkp/models.js";
import { quantizeInput } from "../../zkp/quantize.js";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const VECTORS = JSON.parse(readFileSync(new URL("vectors/digits-samples.json", import.meta.url), "utf8")) as {
  spec: unknown;
  samples: { row: number; label: number; pixels: number[]; outputs: string[] }[];
};

describe("zkp digits: the UCI handwritten digits, their split and the 64-32-10 model", function () {
  this.timeout(120_000);
  const data = readDigits();

  it("the committed data file is sklearn's digits.csv.gz: pinned SHA-256, 1,797 rows of 64 pixels 0..16 and a label", () => {
    const gz = readFileSync(DIGITS_DATA_PATH);
    assert.equal(sha256(gz), "46abec6b12486ad9e51943373abcf22bbea1b5a51a1619b361570d8893f1464a");
    const rows = gunzipSync(gz).toString("utf8").trimEnd().split("\n");
    assert.equal(rows.length, 1797);
    assert.ok(rows.every((r) => r.split(",").length === 65));
    assert.equal(data.x.length, 1797);
    assert.ok(data.x.every((px) => px.length === 64 && px.every((p) => Number.isInteger(p) && p >= 0 && p <= 16)));
    const perClass = Array.from({ length: 10 }, (_, c) => data.y.filter((y) => y === c).length);
    assert.deepEqual(perClass, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    assert.deepEqual(data.x[0]!.slice(0, 8), [0, 0, 5, 13, 9, 1, 0, 0]); // first row, first image row
  });

  it("refuses a data file with another hash, naming both hashes", () => {
    const dir = mkdtempSync(join(tmpdir(), "digits-"));
    try {
      const text = gunzipSync(readFileSync(DIGITS_DATA_PATH)).toString("utf8").replace(/,0\n/, ",1\n"); // relabel one row
      const file = join(dir, "digits.csv.gz");
      writeFileSync(file, gzipSync(text));
      assert.throws(() => readDigits(file), (e: unknown) => e instanceof DatasetError && /SHA-256 [0-9a-f]{64}, expected 46abec6b/.test(e.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the split is fixed and stratified: 1,437 train / 360 test, disjoint, every class about 20 % test", () => {
    const split = digitsSplit(data.y);
    assert.deepEqual(digitsSplit(data.y), split, "same seed, same split");
    assert.equal(split.train.length, 1437);
    assert.equal(split.test.length, 360);
    assert.deepEqual([...split.train, ...split.test].sort((a, b) => a - b), data.y.map((_, i) => i));
    for (let c = 0; c < 10; c++) {
      const n = data.y.filter((y) => y === c).length;
      const inTest = split.test.filter((i) => data.y[i] === c).length;
      assert.ok(Math.abs(inTest - (n * 360) / 1797) < 1, `class ${c}: ${inTest} of ${n} in test`);
    }
    // Pinned, so a change of PRNG, sort or seed shows up as a changed split.
    assert.deepEqual(split.test.slice(0, 8), [7, 8, 13, 15, 19, 20, 31, 35]);
    assert.notDeepEqual(digitsSplit(data.y, 1).test, split.test, "another seed, another split");
  });

  it("the shipped model is quantized with the agreed spec", () => {
    assert.deepEqual(loadDigitsModel().spec, { sizes: [64, 32, 10], weightBits: 6, biasBits: 20, inputBits: 8, fracBits: 6, shifts: [5, 4] });
    assert.deepEqual(VECTORS.spec, loadDigitsModel().spec);
    const q = quantizeInput(loadDigitsModel().spec, digitsFeatures([0, 1, 15, 16]));
    assert.deepEqual(q, [0n, 4n, 60n, 64n], "pixel p is the integer 4p at fracBits 6");
  });

  it("test-split accuracy is what docs/ZK.md says: float32 and quantized (the circuit's reference)", () => {
    const acc = digitsAccuracy();
    assert.equal(acc.testRows, 360);
    const docs = readFileSync(new URL("../../docs/ZK.md", import.meta.url), "utf8");
    const table = docs.slice(docs.indexOf("Digits 64-32-10"));
    const cell = (row: RegExp) => Number(row.exec(table)?.[1]);
    assert.equal(cell(/^\| float32 \| [\d.]+ \| ([\d.]+) \|$/m), Number(acc.float.toFixed(3)));
    assert.equal(cell(/^\| \*\*6-bit weights \(shifts 5,4\)[^|]*\| [\d.]+ \| ([\d.]+) \|$/m), Number(acc.quantized.toFixed(3)));
    assert.ok(acc.quantized >= 0.95, `quantized accuracy ${acc.quantized}`);
  });

  it("the reference inference of the committed samples gives their labels, bit for bit as pinned", () => {
    const model = loadDigitsModel();
    const { test } = digitsSplit(data.y);
    assert.equal(VECTORS.samples.length, 10);
    for (const s of VECTORS.samples) {
      assert.ok(test.includes(s.row), `row ${s.row} is a test row`);
      assert.deepEqual(data.x[s.row], s.pixels, `row ${s.row} of the data file`);
      assert.equal(data.y[s.row], s.label);
      const outputs = runQuantizedMlp(model, quantizeInput(model.spec, digitsFeatures(s.pixels)));
      assert.deepEqual(outputs.map(String), s.outputs, `row ${s.row}`);
      assert.equal(argmax(outputs), s.label, `row ${s.row}`);
    }
  });
});
