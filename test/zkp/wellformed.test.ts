// Well-formedness of the committed lane elements, and why an inference proof needs it.
import assert from "node:assert/strict";
import { network } from "hardhat";
import { commitLanes, commitmentElements, weightsCommitment } from "../../zkp/commitment.js";
import { terminateCurve } from "../../zkp/curve.js";
import { FIELD_P } from "../../zkp/field.js";
import { WitnessError } from "../../zkp/groth16.js";
import { proveWithLanes, verifyInference } from "../../zkp/inference.js";
import { flattenLanes, laneLayers, packLanes, type LaneLayer } from "../../zkp/lanes.js";
import { inferenceCircuitName, layerPlans } from "../../zkp/mlp-spec.js";
import { QuantizedModelError, forwardUnchecked, runQuantizedMlp, type QuantizedMlp } from "../../zkp/mlp.js";
import { loadIrisModel } from "../../zkp/models.js";
import { quantizeInput } from "../../zkp/quantize.js";
import { groth16VerifierAbi } from "../../zkp/verifier-abi.js";
import { proveWellFormed, proveWellFormedLanes, verifyWellFormed, wellFormedCalldata, type WellFormedProof } from "../../zkp/wellformed.js";

after(terminateCurve);

describe("zkp well-formedness (4-16-3)", function () {
  this.timeout(300_000);
  const iris = loadIrisModel();
  const setosa = quantizeInput(iris.spec, [5.1, 3.5, 1.4, 0.2]);
  let proof: WellFormedProof;

  before(async () => {
    proof = await proveWellFormed(iris);
  });

  it("packs one signed value per slot with an offset, in the layout of layerPlans", () => {
    assert.equal(packLanes([-2n, 1n], 5, 3, (m) => `v[${m}]`), 2n + (5n << 5n));
    assert.throws(() => packLanes([4n], 5, 3, (m) => `v[${m}]`), /v\[0\] = 4 is out of range/);
    const [p0, p1] = layerPlans(iris.spec);
    const lanes = laneLayers(iris);
    assert.equal(lanes[0]!.weights.length, Math.ceil(16 / p0!.slotsPerProduct));
    assert.equal(lanes[0]!.weights[0]!.length, 4);
    // Lane m of element [g][i] is weight [g*k+m][i] + 2^(weightBits-1).
    const k = p0!.slotsPerProduct;
    const half = 1n << BigInt(iris.spec.weightBits - 1);
    const lane = (el: bigint, m: number, slot: number) => (el >> BigInt(slot * m)) & ((1n << BigInt(slot)) - 1n);
    assert.equal(lane(lanes[0]!.weights[1]![2]!, 3, p0!.slotBits), iris.layers[0]!.weights[k + 3]![2]! + half);
    assert.equal(lane(lanes[1]!.biases[0]!, 2, p1!.slotBits), iris.layers[1]!.biases[2]! + (1n << BigInt(iris.spec.biasBits - 1)));
    assert.deepEqual(commitmentElements(iris), flattenLanes(lanes));
  });

  it("matches the test vectors of docs/ZK.md", async () => {
    const tiny: QuantizedMlp = { spec: { sizes: [2, 2], weightBits: 3, biasBits: 4, inputBits: 4, fracBits: 1, shifts: [1] }, layers: [{ weights: [[1n, -2n], [3n, -4n]], biases: [5n, -8n] }] };
    assert.deepEqual(commitmentElements(tiny), [1797n, 2n, 13n]);
    assert.equal(await weightsCommitment(tiny), 12751669555444045336027488588612195116990436350686912879663594817501419449104n);
    assert.equal(commitmentElements(iris).length, 27);
    assert.equal(await weightsCommitment(iris), 10461661645887718471411277384241983273959594685525549596563456685963304751100n);
  });

  it("proves the Iris model's commitment well-formed; a changed signal or proof point fails off chain", async () => {
    assert.deepEqual(proof.publicSignals, [await weightsCommitment(iris)]);
    assert.equal(await verifyWellFormed(proof), true);
    assert.equal(await verifyWellFormed({ ...proof, publicSignals: [(proof.publicSignals[0]! + 1n) % FIELD_P] }), false);
    const pi_c = [...proof.proof.pi_c];
    pi_c[0] = ((BigInt(pi_c[0]!) + 1n) % FIELD_P).toString();
    assert.equal(await verifyWellFormed({ ...proof, proof: { ...proof.proof, pi_c } }), false);
  });

  it("verifies on chain through WellformedVerifier_4_16_3, and fails for a changed signal", async () => {
    const { viem } = await network.create();
    const { address } = await viem.deployContract("WellformedVerifier_4_16_3");
    const client = await viem.getPublicClient();
    const [a, b, c, s] = wellFormedCalldata(proof);
    const onChain = (signals: readonly [bigint]) => client.readContract({ address, abi: groth16VerifierAbi(1), functionName: "verifyProof", args: [a, b, c, signals] });
    assert.equal(await onChain(s), true);
    assert.equal(await onChain([s[0] + 1n]), false);
  });

  it("cannot be made for an out-of-range weight: typed error for a model, witness failure for raw lanes", async () => {
    const bad: QuantizedMlp = structuredClone(iris);
    bad.layers[0]!.weights[5]![1] = 1n << BigInt(iris.spec.weightBits - 1);
    await assert.rejects(proveWellFormed(bad), (e: unknown) => e instanceof QuantizedModelError && /weight\[5\]\[1\]/.test(e.message));
    await assert.rejects(proveWellFormedLanes(iris.spec, malformed(iris).lanes), WitnessError);
    // A lane that borrows from the next (a negative digit) fails too.
    const borrow = laneLayers(iris);
    borrow[1]!.weights[0]![7] = borrow[1]!.weights[0]![7]! - (1n << BigInt(iris.spec.weightBits));
    await assert.rejects(proveWellFormedLanes(iris.spec, borrow), WitnessError);
  });

  it("the inference circuit alone accepts an out-of-range lane: that is why inference needs the attestation", async () => {
    const { lanes, model } = malformed(iris);
    const outputs = forwardUnchecked(model, setosa);
    assert.notDeepEqual(outputs, runQuantizedMlp(iris, setosa), "the bad weight changes the result");
    const { bundle: p } = await proveWithLanes(inferenceCircuitName(iris.spec), iris.spec, lanes, setosa, outputs);
    assert.equal(await verifyInference({ ...p, circuit: inferenceCircuitName(iris.spec) }), true);
    assert.equal(p.publicSignals[0], await commitLanes(iris.spec, flattenLanes(lanes)));
  });
});

/** Iris with weight [0][0] of layer 0 set to 200, far outside 6 bits but inside its 21-bit slot. */
function malformed(model: QuantizedMlp): { lanes: LaneLayer[]; model: QuantizedMlp } {
  const lanes = laneLayers(model);
  const bad: QuantizedMlp = structuredClone(model);
  const delta = 200n - bad.layers[0]!.weights[0]![0]!;
  bad.layers[0]!.weights[0]![0] = 200n;
  lanes[0]!.weights[0]![0] = lanes[0]!.weights[0]![0]! + delta; // lane 0 of group 0, input 0
  return { lanes, model: bad };
}
