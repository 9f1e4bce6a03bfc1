import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { getAddress } from "viem";
import { proofAttestationsAbi } from "../../contracts/abi/index.js";
import { artifactPath } from "../../scripts/deploy-suite.js";
import { terminateCurve } from "../../zkp/curve.js";
import { deployFixture } from "./fixture.js";

const ZKP_BUILT = existsSync(artifactPath("OwnershipVerifier", "contracts/verifiers"))
  && existsSync("build/circuits/ownership/ownership.zkey");
const P2 = [0n, 0n] as const;
const P22 = [[0n, 0n], [0n, 0n]] as const;

async function setup() {
  const f = await deployFixture();
  const verifier = (await f.viem.deployContract("OwnershipVerifier")).address;
  const att = f.typed(proofAttestationsAbi, (await f.viem.deployContract("ProofAttestations", [f.vault.address, verifier])).address);
  return { f, att };
}

describe("ProofAttestations", function () {
  before(function () {
    if (!ZKP_BUILT) this.skip(); // npm test builds the circuits (build:circuits) before hardhat test
  });
  after(terminateCurve); // snarkjs' worker threads would keep the process alive

  it("checks every public signal against the registry before calling the verifier", async () => {
    const { f, att } = await setup();
    const a = f.viem.assertions;
    const owner = getAddress(f.owner.account.address);
    const ok = [1234n, 5678n, BigInt(owner), f.modelId, 1n] as const;
    const as = { account: f.owner.account };
    await a.revertWithCustomErrorWithArgs(att.write.attestOwnership([9n, P2, P22, P2, ok], as), att, "UnknownModel", [9n]);
    await a.revertWithCustomErrorWithArgs(att.write.attestOwnership([f.modelId, P2, P22, P2, [1n, 5678n, BigInt(owner), f.modelId, 1n]], as), att,
      "WeightsCommitmentMismatch", [1234n, 1n]);
    await a.revertWithCustomErrorWithArgs(att.write.attestOwnership([f.modelId, P2, P22, P2, [1234n, 1n, BigInt(owner), f.modelId, 1n]], as), att,
      "OwnerCommitmentMismatch", [5678n, 1n]);
    await a.revertWithCustomErrorWithArgs(att.write.attestOwnership([f.modelId, P2, P22, P2, ok], { account: f.other.account }), att,
      "ClaimantMismatch", [getAddress(f.other.account.address), BigInt(owner)]);
    await a.revertWithCustomErrorWithArgs(att.write.attestOwnership([f.modelId, P2, P22, P2, [1234n, 5678n, BigInt(owner), 2n, 1n]], as), att,
      "ModelIdMismatch", [f.modelId, 2n]);
    await a.revertWithCustomError(att.write.attestOwnership([f.modelId, P2, P22, P2, ok], as), att, "InvalidProof");
    await a.revertWithCustomErrorWithArgs(att.write.attestInference([f.modelId, 0, P2, P22, P2, [1234n, 1n, 2n]], as), att, "NoInferenceVerifier", [f.modelId]);
    await a.revertWithCustomErrorWithArgs(att.write.attestWellFormed([f.modelId, P2, P22, P2, [1234n]], as), att, "NoWellFormedVerifier", [f.modelId]);
    await a.revertWithCustomErrorWithArgs(att.write.setWellFormedVerifier([f.modelId, f.vault.address], { account: f.other.account }), att,
      "NotModelOwner", [f.modelId, getAddress(f.other.account.address)]);
    await a.revertWithCustomError(att.write.setWellFormedVerifier([f.modelId, "0x0000000000000000000000000000000000000000"], as), att, "ZeroAddress");
    await a.emitWithArgs(att.write.setWellFormedVerifier([f.modelId, f.vault.address], as), att, "WellFormedVerifierSet", [f.modelId, getAddress(f.vault.address)]);
    await a.revertWithCustomErrorWithArgs(att.write.attestWellFormed([f.modelId, P2, P22, P2, [1n]], as), att, "WeightsCommitmentMismatch", [1234n, 1n]);
    await a.revertWithCustomErrorWithArgs(att.write.setInferenceVerifier([f.modelId, 0, f.vault.address, 3n], { account: f.other.account }), att,
      "NotModelOwner", [f.modelId, getAddress(f.other.account.address)]);
    await a.revertWithCustomErrorWithArgs(att.write.setInferenceVerifier([f.modelId, 0, f.vault.address, 2n], as), att, "InvalidSignalCount", [2n]);
    // Variants: committed (1) and argmax (2) take exactly 3 signals; there is no variant 3.
    await a.revertWithCustomErrorWithArgs(att.write.setInferenceVerifier([f.modelId, 1, f.vault.address, 4n], as), att, "InvalidSignalCount", [4n]);
    await a.revertWithCustomErrorWithArgs(att.write.setInferenceVerifier([f.modelId, 3, f.vault.address, 3n], as), att, "UnknownVariant", [3]);
    await a.revertWithCustomErrorWithArgs(att.write.attestInference([f.modelId, 3, P2, P22, P2, [1234n, 1n, 2n]], as), att, "UnknownVariant", [3]);
    await att.write.setInferenceVerifier([f.modelId, 2, f.vault.address, 3n], as);
    assert.equal(await att.read.inferenceVerifier([f.modelId, 2]), getAddress(f.vault.address));
    assert.equal(await att.read.inferenceVerifier([f.modelId, 0]), "0x0000000000000000000000000000000000000000", "set per variant");
    // With a verifier set, an inference of a version never attested well-formed is refused.
    await a.revertWithCustomErrorWithArgs(att.write.attestInference([f.modelId, 2, P2, P22, P2, [1234n, 1n, 2n]], as), att, "NotWellFormed", [f.modelId, 1]);
    await a.revertWithCustomErrorWithArgs(att.write.attestInference([f.modelId, 0, P2, P22, P2, [1234n, 1n, 2n]], as), att, "NoInferenceVerifier", [f.modelId]);
  });

  it("records a real ownership proof once and rejects its replay", async function () {
    this.timeout(120_000);
    const zkp = await import("../../zkp/ownership.js");
    const { f, att } = await setup();
    const secret = zkp.randomOwnerSecret();
    const weights = 4242n;
    const params = { ...f.versionParams(), weightsCommitment: weights, ownerCommitment: await zkp.ownerCommitment(weights, secret) };
    await f.vault.write.registerModel([params, f.terms], { account: f.owner.account });
    const proof = await zkp.proveOwnership({ weightsCommitment: weights, ownerSecret: secret, claimant: f.owner.account.address, modelId: 2n, nonce: 7n });
    const [pA, pB, pC, signals] = zkp.ownershipCalldata(proof);
    const owner = getAddress(f.owner.account.address);
    await f.viem.assertions.emitWithArgs(att.write.attestOwnership([2n, pA, pB, pC, signals], { account: f.owner.account }), att,
      "OwnershipAttested", [2n, 1, owner, 7n]);
    assert.equal(await att.read.ownershipAttested([2n, owner]), 1);
    await f.viem.assertions.revertWithCustomErrorWithArgs(att.write.attestOwnership([2n, pA, pB, pC, signals], { account: f.owner.account }), att,
      "NonceUsed", [2n, 7n]);
    // A tampered proof point fails in the verifier.
    await f.viem.assertions.revertWithCustomError(att.write.attestOwnership([2n, pA, pB, [pC[0], pC[1] + 1n], [...signals.slice(0, 4), 8n] as unknown as typeof signals],
      { account: f.owner.account }), att, "InvalidProof");
  });
});
