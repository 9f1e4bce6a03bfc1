import assert from "node:assert/strict";
import { network } from "hardhat";
import { commitmentElements, packSigned, weightsCommitment } from "../../zkp/commitment.js";
import { inputCommitment } from "../../zkp/reveal.js";
import { terminateCurve } from "../../zkp/curve.js";
import { FIELD_P, InputRangeError, encodeSigned } from "../../zkp/field.js";
import { inferenceCalldata, proveInference, verifyInference, type InferenceProof } from "../../zkp/inference.js";
import { QuantizedModelError, runQuantizedMlp, type QuantizedMlp } from "../../zkp/mlp.js";
import { loadIrisModel, randomInput, randomQuantizedMlp } from "../../zkp/models.js";
import { quantizeInput } from "../../zkp/quantize.js";
import { groth16VerifierAbi } from "../../zkp/verifier-abi.js";

after(terminateCurve);

function tamper(p: InferenceProof, index: number): InferenceProof {
  const publicSignals = [...p.publicSignals];
  publicSignals[index] = (publicSignals[index]! + 1n) % FIELD_P;
  return { ...p, publicSignals };
}

describe("zkp inference (4-16-3)", function () {
  this.timeout(300_000);
  const iris = loadIrisModel();
  const setosa = quantizeInput(iris.spec, [5.1, 3.5, 1.4, 0.2]);
  let irisProof: InferenceProof;

  before(async () => {
    irisProof = await proveInference(iris, setosa);
  });

  it("packs signed values little-endian with an offset, and rejects values outside the bits", () => {
    assert.deepEqual(packSigned([-2n, 1n, 0n], 3, "v"), [2n + (5n << 3n) + (4n << 6n)]);
    assert.equal(packSigned(new Array<bigint>(43).fill(0n), 6, "w").length, 2); // 42 six-bit values per element
    assert.throws(() => packSigned([4n], 3, "v"), (e: unknown) => e instanceof InputRangeError && e.input === "v[0]");
  });

  it("proves the Iris model: public signals are [commitment, inputCommitment, outputs] of the reference", async () => {
    assert.deepEqual(irisProof.publicSignals, [
      await weightsCommitment(iris),
      await inputCommitment(iris.spec, setosa, irisProof.opening.inputSalt),
      ...runQuantizedMlp(iris, setosa).map(encodeSigned),
    ]);
    const predicted = irisProof.outputs.indexOf(irisProof.outputs.reduce((a, b) => (b > a ? b : a)));
    assert.equal(predicted, 0, "setosa");
    assert.equal(await verifyInference(irisProof), true);
  });

  it("the circuit matches the TypeScript reference bit for bit on random models, including the worst case", async () => {
    // The circuit recomputes the outputs and rejects a witness whose public y differs from them,
    // so a proof that verifies with the reference's outputs shows the two agree.
    const extreme: QuantizedMlp = {
      spec: iris.spec,
      layers: iris.layers.map((l) => ({
        weights: l.weights.map((r) => r.map(() => -(1n << BigInt(iris.spec.weightBits - 1)))),
        biases: l.biases.map(() => -(1n << BigInt(iris.spec.biasBits - 1))),
      })),
    };
    const cases: [QuantizedMlp, bigint[]][] = [
      [randomQuantizedMlp(iris.spec, 1), randomInput(iris.spec, 2)],
      [randomQuantizedMlp(iris.spec, 3), randomInput(iris.spec, 4)],
      [extreme, iris.spec.sizes.slice(0, 1).flatMap((n) => new Array<bigint>(n).fill(-(1n << BigInt(iris.spec.inputBits - 1))))],
    ];
    for (const [model, input] of cases) {
      const p = await proveInference(model, input);
      assert.deepEqual(p.outputs, runQuantizedMlp(model, input));
      assert.equal(await verifyInference(p), true);
    }
    assert.notDeepEqual(commitmentElements(cases[0]![0]), commitmentElements(cases[1]![0]));
  });

  it("fails off chain when the output, the commitment or the input hash changes", async () => {
    for (let i = 0; i < irisProof.publicSignals.length; i++) {
      assert.equal(await verifyInference(tamper(irisProof, i)), false, `signal ${i}`);
    }
  });

  it("verifies on chain through InferenceVerifier_4_16_3, and fails when any public signal changes", async () => {
    const { viem } = await network.create();
    const { address } = await viem.deployContract("InferenceVerifier_4_16_3");
    const client = await viem.getPublicClient();
    const abi = groth16VerifierAbi(irisProof.publicSignals.length);
    const onChain = (p: InferenceProof) =>
      client.readContract({ address, abi, functionName: "verifyProof", args: inferenceCalldata(p) as never });
    assert.equal(await onChain(irisProof), true);
    for (let i = 0; i < irisProof.publicSignals.length; i++) assert.equal(await onChain(tamper(irisProof, i)), false, `signal ${i}`);
  });

  it("turns the witness failure for an out-of-range input into a typed error naming it", async () => {
    const input = [...setosa];
    input[2] = 1n << BigInt(iris.spec.inputBits - 1); // one past the largest value
    await assert.rejects(proveInference(iris, input), (e: unknown) => {
      assert.ok(e instanceof InputRangeError, String(e));
      assert.equal(e.input, "input[2]");
      return true;
    });
    assert.throws(() => quantizeInput(iris.spec, [5.1, 3.5, 99, 0.2]), (e: unknown) => e instanceof InputRangeError && e.input === "input[2]");
  });

  it("rejects a model whose weight does not fit the weight bits", async () => {
    const bad: QuantizedMlp = structuredClone(iris);
    bad.layers[1]!.weights[2]![5] = 1n << BigInt(iris.spec.weightBits - 1);
    await assert.rejects(proveInference(bad, setosa), (e: unknown) => e instanceof QuantizedModelError && /weight\[2\]\[5\]/.test(e.message));
  });
});
