// Reveal variants of the inference proof (zkp/reveal.ts, circuits/lib/reveal.circom): what each
// publishes, that each proves and verifies off and on chain, and that what it hides stays hidden.
import assert from "node:assert/strict";
import { network } from "hardhat";
import { terminateCurve } from "../../zkp/curve.js";
import { FIELD_P, encodeSigned } from "../../zkp/field.js";
import { WitnessError } from "../../zkp/groth16.js";
import { inferenceCalldata, proveInference, verifyInference, type InferenceProof } from "../../zkp/inference.js";
import { runQuantizedMlp, type QuantizedMlp } from "../../zkp/mlp.js";
import { loadIrisModel } from "../../zkp/models.js";
import { quantizeInput } from "../../zkp/quantize.js";
import { REVEAL_MODES, argmaxClass, inputCommitment, outputCommitment, randomSalt, variantSignalCount, type RevealMode } from "../../zkp/reveal.js";
import { weightsCommitment } from "../../zkp/commitment.js";
import { verifierContractName } from "../../zkp/artifacts.js";
import { groth16VerifierAbi } from "../../zkp/verifier-abi.js";

after(terminateCurve);

function tamper(p: InferenceProof, index: number): InferenceProof {
  const publicSignals = [...p.publicSignals];
  publicSignals[index] = (publicSignals[index]! + 1n) % FIELD_P;
  return { ...p, publicSignals };
}

/** Iris with the output layer's weights zeroed: the outputs are the rescaled biases, so ties are easy to make. */
function withOutputBiases(model: QuantizedMlp, biases: bigint[]): QuantizedMlp {
  const m = structuredClone(model);
  const last = m.layers.at(-1)!;
  last.weights = last.weights.map((row) => row.map(() => 0n));
  last.biases = biases;
  return m;
}

describe("zkp reveal variants (4-16-3)", function () {
  this.timeout(300_000);
  const iris = loadIrisModel();
  const x = quantizeInput(iris.spec, [6.7, 3.0, 5.2, 2.3]);
  const y = runQuantizedMlp(iris, x);
  const proofs = new Map<RevealMode, InferenceProof>();

  before(async () => {
    for (const reveal of REVEAL_MODES) proofs.set(reveal, await proveInference(iris, x, { reveal }));
  });

  it("publishes per variant [weightsCommitment, inputCommitment, y... | outputCommitment | class]", async () => {
    const w = await weightsCommitment(iris);
    const pub = proofs.get("public")!;
    assert.deepEqual(pub.publicSignals, [w, await inputCommitment(iris.spec, x, pub.opening.inputSalt), ...y.map(encodeSigned)]);
    assert.deepEqual(pub.outputs, y);
    const committed = proofs.get("committed")!;
    assert.ok(committed.opening.outputSalt !== undefined);
    assert.deepEqual(committed.publicSignals, [
      w,
      await inputCommitment(iris.spec, x, committed.opening.inputSalt),
      await outputCommitment(iris.spec, y, committed.opening.outputSalt),
    ]);
    assert.deepEqual(committed.outputs, []);
    assert.deepEqual(committed.opening.outputs, y, "the opening hands the outputs to the prover");
    const argmax = proofs.get("argmax")!;
    assert.equal(argmax.predictedClass, argmaxClass(y));
    assert.equal(argmax.predictedClass, 2, "virginica");
    assert.deepEqual(argmax.publicSignals, [w, await inputCommitment(iris.spec, x, argmax.opening.inputSalt), 2n]);
    for (const [reveal, p] of proofs) assert.equal(p.publicSignals.length, variantSignalCount(3, reveal), reveal);
  });

  it("salts each commitment afresh: the same input commits differently, and a salt opens only its own", async () => {
    const salts = new Set([...proofs.values()].map((p) => p.opening.inputSalt));
    assert.equal(salts.size, REVEAL_MODES.length);
    const [a, b] = [randomSalt(), randomSalt()];
    assert.notEqual(a, b);
    assert.notEqual(await inputCommitment(iris.spec, x, a), await inputCommitment(iris.spec, x, b));
    assert.notEqual(await outputCommitment(iris.spec, y, a), await outputCommitment(iris.spec, y, b));
    for (let i = 0; i < 64; i++) assert.ok(randomSalt() < FIELD_P);
  });

  it("matches the docs/ZK.md test vector (input, salt -> inputCommitment; outputs, salt -> outputCommitment)", async () => {
    const setosa = quantizeInput(iris.spec, [5.1, 3.5, 1.4, 0.2]);
    assert.deepEqual(setosa, [1306n, 896n, 358n, 51n]);
    assert.equal(await inputCommitment(iris.spec, setosa, 12345n), VECTOR_INPUT_COMMITMENT);
    assert.equal(await outputCommitment(iris.spec, [1000n, -200n, -1500n], 67890n), VECTOR_OUTPUT_COMMITMENT);
    // The circuit computes the same: a proof with that salt verifies with that commitment public.
    const p = await proveInference(iris, setosa, { inputSalt: 12345n });
    assert.equal(p.publicSignals[1], VECTOR_INPUT_COMMITMENT);
    assert.equal(await verifyInference(p), true);
  });

  it("verifies every variant off chain, and refuses any tampered public signal", async () => {
    for (const [reveal, p] of proofs) {
      assert.equal(await verifyInference(p), true, reveal);
      for (let i = 0; i < p.publicSignals.length; i++) assert.equal(await verifyInference(tamper(p, i)), false, `${reveal} signal ${i}`);
    }
  });

  it("verifies every variant on chain through its own verifier, which refuses the other variants' proofs", async () => {
    const { viem } = await network.create();
    const client = await viem.getPublicClient();
    const verifiers = new Map<RevealMode, `0x${string}`>();
    for (const [reveal, p] of proofs) verifiers.set(reveal, (await viem.deployContract(verifierContractName(p.circuit))).address);
    const onChain = (address: `0x${string}`, p: InferenceProof) =>
      client.readContract({ address, abi: groth16VerifierAbi(p.publicSignals.length), functionName: "verifyProof", args: inferenceCalldata(p) as never });
    for (const [reveal, p] of proofs) {
      assert.equal(await onChain(verifiers.get(reveal)!, p), true, reveal);
      for (let i = 0; i < p.publicSignals.length; i++) assert.equal(await onChain(verifiers.get(reveal)!, tamper(p, i)), false, `${reveal} signal ${i}`);
    }
    // committed and argmax both take 3 signals: the keys still tell them apart.
    assert.equal(await onChain(verifiers.get("argmax")!, proofs.get("committed")!), false);
    assert.equal(await onChain(verifiers.get("committed")!, proofs.get("argmax")!), false);
  });

  it("argmax: ties go to the lowest index; any other class, tied or wrong, has no witness", async () => {
    // Biases at scale 2^(shift + fracBits): 1600 / 2^4 = 100 at scale 2^8.
    const allTied = withOutputBiases(iris, [1600n, 1600n, 1600n]);
    assert.deepEqual(runQuantizedMlp(allTied, x), [100n, 100n, 100n]);
    const first = await proveInference(allTied, x, { reveal: "argmax" });
    assert.equal(first.predictedClass, 0);
    assert.equal(await verifyInference(first), true);
    for (const claimedClass of [1, 2]) {
      await assert.rejects(proveInference(allTied, x, { reveal: "argmax", claimedClass }), WitnessError, `tied class ${claimedClass}`);
    }
    const lateTie = withOutputBiases(iris, [-1600n, 1600n, 1600n]);
    assert.equal((await proveInference(lateTie, x, { reveal: "argmax" })).predictedClass, 1);
    await assert.rejects(proveInference(lateTie, x, { reveal: "argmax", claimedClass: 2 }), WitnessError);
    await assert.rejects(proveInference(lateTie, x, { reveal: "argmax", claimedClass: 0 }), WitnessError, "a smaller value");
    await assert.rejects(proveInference(iris, x, { reveal: "argmax", claimedClass: 0 }), WitnessError, "the wrong class");
    await assert.rejects(proveInference(iris, x, { reveal: "argmax", claimedClass: 3 }), WitnessError, "no such class");
  });
});

const VECTOR_INPUT_COMMITMENT = 10590007398013076568534454305562062890057724760177697613644919271237236047710n;
const VECTOR_OUTPUT_COMMITMENT = 10573257440333189342465978602435277166919744018718418259820120711630483032404n;
