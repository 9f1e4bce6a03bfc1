import assert from "node:assert/strict";
import { network } from "hardhat";
import { terminateCurve } from "../../zkp/curve.js";
import { FIELD_P, InputRangeError } from "../../zkp/field.js";
import {
  ownerCommitment,
  ownershipCalldata,
  proveOwnership,
  randomOwnerSecret,
  verifyOwnership,
  type OwnershipProof,
} from "../../zkp/ownership.js";
import { poseidon } from "../../zkp/poseidon.js";
import { ownershipVerifierAbi } from "../../zkp/verifier-abi.js";

after(terminateCurve);

const CLAIMANT = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as const;

function withSignal(proof: OwnershipProof, index: number, value: bigint): OwnershipProof {
  const publicSignals = [...proof.publicSignals] as OwnershipProof["publicSignals"];
  publicSignals[index] = value;
  return { proof: proof.proof, publicSignals };
}

describe("zkp ownership", function () {
  this.timeout(120_000);
  const weightsCommitment = 1234567890123456789n;
  const ownerSecret = randomOwnerSecret();
  let proof: OwnershipProof;

  before(async () => {
    proof = await proveOwnership({ weightsCommitment, ownerSecret, claimant: CLAIMANT, modelId: 7n, nonce: 42n });
  });

  it("uses circomlib's Poseidon (reference vector)", async () => {
    assert.equal(
      await poseidon([1n, 2n]),
      7853200120776062878684798364095072458815029376092732009249414926327459813530n,
    );
  });

  it("public signals are [weightsCommitment, ownerCommitment, claimant, modelId, nonce]", async () => {
    // The circuit recomputes Poseidon(weightsCommitment, ownerSecret): a TS/circuit mismatch
    // would have failed witness generation in before().
    assert.deepEqual(proof.publicSignals, [
      weightsCommitment,
      await ownerCommitment(weightsCommitment, ownerSecret),
      BigInt(CLAIMANT),
      7n,
      42n,
    ]);
  });

  it("verifies off chain, and fails when any public signal changes", async () => {
    assert.equal(await verifyOwnership(proof), true);
    for (let i = 0; i < 5; i++) {
      assert.equal(await verifyOwnership(withSignal(proof, i, proof.publicSignals[i]! + 1n)), false, `signal ${i}`);
    }
  });

  it("verifies on chain through the generated OwnershipVerifier, and fails when any public signal changes", async () => {
    const { viem } = await network.create();
    const { address } = await viem.deployContract("OwnershipVerifier");
    const client = await viem.getPublicClient();
    const verifyOnChain = (p: OwnershipProof) =>
      client.readContract({ address, abi: ownershipVerifierAbi, functionName: "verifyProof", args: ownershipCalldata(p) });
    assert.equal(await verifyOnChain(proof), true);
    for (let i = 0; i < 5; i++) {
      assert.equal(await verifyOnChain(withSignal(proof, i, proof.publicSignals[i]! + 1n)), false, `signal ${i}`);
    }
    // A signal >= the field modulus is rejected rather than reduced.
    assert.equal(await verifyOnChain(withSignal(proof, 3, proof.publicSignals[3]! + FIELD_P)), false);
  });

  it("rejects out-of-range inputs with a typed error naming the input", async () => {
    const base = { weightsCommitment, ownerSecret, claimant: CLAIMANT, modelId: 7n, nonce: 1n } as const;
    await assert.rejects(proveOwnership({ ...base, claimant: 1n << 160n }), (e: unknown) => {
      assert.ok(e instanceof InputRangeError);
      assert.equal(e.input, "claimant");
      return true;
    });
    await assert.rejects(proveOwnership({ ...base, modelId: FIELD_P }), (e: unknown) => {
      assert.ok(e instanceof InputRangeError);
      assert.equal(e.input, "modelId");
      return true;
    });
    await assert.rejects(proveOwnership({ ...base, weightsCommitment: -1n }), InputRangeError);
  });
});
