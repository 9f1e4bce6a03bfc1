import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { DIGITS_MODEL_PATH, IRIS_MODEL_PATH } from "../../zkp/models.js";
import { trainDigits, trainIris } from "../../scripts/lib/shipped-models.js";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("scripts: the committed models are what train:iris and train:digits regenerate", function () {
  this.timeout(300_000);

  it("train:iris gives models/iris-4-16-3.safetensors byte for byte", () => {
    const { bytes, split } = trainIris();
    assert.equal(sha256(bytes), sha256(readFileSync(IRIS_MODEL_PATH)));
    assert.equal(sha256(bytes), "9f72801a4e29571d2abcf57735dd0266caa4b48b8c0112b37747aa3637f1ba8f");
    assert.deepEqual([split.train.length, split.test.length], [120, 30]);
  });

  it("train:digits gives models/digits-64-32-10.safetensors byte for byte (about 20 s)", () => {
    const { bytes, split } = trainDigits();
    assert.equal(sha256(bytes), sha256(readFileSync(DIGITS_MODEL_PATH)));
    assert.deepEqual([split.train.length, split.test.length], [1437, 360]);
  });
});
