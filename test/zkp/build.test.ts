import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { circuitArtifacts, verifierContractName } from "../../zkp/artifacts.js";
import { renameVerifier, requiredPower } from "../../zkp/build.js";
import { buildAll } from "../../zkp/circuits.js";
import { layerPlans } from "../../zkp/mlp-spec.js";
import { BENCH_MLP_SPEC, loadIrisModel } from "../../zkp/models.js";

describe("zkp circuit build", () => {
  it("names verifiers as the contracts expect", () => {
    assert.equal(verifierContractName("ownership"), "OwnershipVerifier");
    assert.equal(verifierContractName("inference_4_16_3"), "InferenceVerifier_4_16_3");
    assert.equal(verifierContractName("wellformed_4_16_3"), "WellformedVerifier_4_16_3");
  });

  it("needs 2^k > constraints + public signals, as snarkjs does", () => {
    assert.equal(requiredPower(243, 5), 8);
    assert.equal(requiredPower(4090, 5), 12);
    assert.equal(requiredPower(4091, 5), 13);
  });

  it("marks the verifier as generated and renames the contract", () => {
    const out = renameVerifier("pragma solidity ^0.8.0;\ncontract Groth16Verifier {}", "OwnershipVerifier", "circuits/ownership.circom");
    assert.match(out, /^\/\/ GENERATED FILE - DO NOT EDIT/);
    assert.match(out, /contract OwnershipVerifier \{\}/);
    assert.throws(() => renameVerifier("contract Other {}", "X", "y"), /template changed/);
  });

  it("skips circuits whose sources and ptau are unchanged", async function () {
    this.timeout(120_000);
    const results = await buildAll({ log: () => {} });
    // Every reveal variant of the Iris architecture is a CI circuit (zkp/reveal.ts), and its well-formedness circuit.
    assert.deepEqual(results.map((r) => [r.name, r.rebuilt]), [["ownership", false], ["inference_4_16_3", false], ["inference_4_16_3_committed", false], ["inference_4_16_3_argmax", false], ["wellformed_4_16_3", false]]);
    const sol = readFileSync(circuitArtifacts("ownership").verifierSol, "utf8");
    assert.match(sol, /^\/\/ GENERATED FILE/);
    assert.match(sol, /contract OwnershipVerifier \{/);
  });

  it("plans slots from worst-case bounds so packed products never overflow", () => {
    for (const spec of [loadIrisModel().spec, BENCH_MLP_SPEC]) {
      for (const p of layerPlans(spec)) {
        assert.ok(p.slotsPerProduct * p.slotBits <= 252);
        assert.ok(p.shift < p.slotBits);
      }
    }
  });
});
