// End to end on the in-process chain: a model registered with its real weights commitment and
// owner commitment, then ownership and inference attestations with real Groth16 proofs.
import assert from "node:assert/strict";
import { network } from "hardhat";
import { getAddress, getContract } from "viem";
import type { Abi, Address } from "viem";
import { custodianRegistryAbi, licenseeStakingAbi, modelVaultAbi, proofAttestationsAbi } from "../../contracts/abi/index.js";
import { buildStorageTree, storageSegments } from "../../contracts/storage-proof.js";
import { weightsCommitment } from "../../zkp/commitment.js";
import { terminateCurve } from "../../zkp/curve.js";
import { inferenceCalldata, proveInference } from "../../zkp/inference.js";
import { loadIrisModel } from "../../zkp/models.js";
import { ownerCommitment, ownershipCalldata, proveOwnership, randomOwnerSecret } from "../../zkp/ownership.js";
import { quantizeInput } from "../../zkp/quantize.js";
import { REVEAL_MODES, variantIndex } from "../../zkp/reveal-mode.js";
import { verifierContractName } from "../../zkp/artifacts.js";
import { inferenceAttestationId } from "../../node/chain/verifiers.js";
import { proveWellFormed, wellFormedCalldata } from "../../zkp/wellformed.js";

after(terminateCurve);

/** A valid compressed secp256k1 point (the generator), as a custodian key. */
const PUBKEY = "0x0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798" as const;
const MIN_STAKE = 10n ** 17n;

describe("zkp attestations on chain (ProofAttestations + ModelVault)", function () {
  this.timeout(300_000);

  it("records an ownership and an inference attestation for a registered model with real proofs", async () => {
    const { viem } = await network.create();
    const publicClient = await viem.getPublicClient();
    const [deployer, owner, other, ...rest] = await viem.getWalletClients();
    const custodianWallets = rest.slice(0, 3);
    // Typed through the contracts' exported ABIs, so this compiles without generated artifact types.
    const typed = <const A extends Abi>(abi: A, address: Address) => getContract({ abi, address, client: { public: publicClient, wallet: deployer! } });
    const deploy = async (name: string, args: unknown[] = []) => (await viem.deployContract(name, args)).address;
    const custodians = typed(custodianRegistryAbi, await deploy("CustodianRegistry", [MIN_STAKE, 7n * 24n * 3600n, deployer!.account.address]));
    const staking = typed(licenseeStakingAbi, await deploy("LicenseeStaking", [24n * 3600n]));
    const vault = typed(modelVaultAbi, await deploy("ModelVault", [custodians.address, staking.address, 2_000, 3600]));
    await staking.write.bind([vault.address]);
    for (const c of custodianWallets) {
      await custodians.write.register([PUBKEY, "http://127.0.0.1:9000"], { account: c.account, value: MIN_STAKE });
    }

    const model = loadIrisModel();
    const commitment = await weightsCommitment(model);
    const ownerSecret = randomOwnerSecret();
    const tree = buildStorageTree(storageSegments(new Uint8Array(4096).fill(7)));
    await vault.write.registerModel(
      [
        {
          manifestCid: "bafy-iris",
          weightsCommitment: commitment,
          ownerCommitment: await ownerCommitment(commitment, ownerSecret),
          storageRoot: tree.root,
          segmentCount: tree.segmentCount,
          custodians: custodianWallets.map((c) => getAddress(c.account.address)),
          threshold: 2,
        },
        { price: 10n ** 16n, duration: 30 * 24 * 3600, maxUses: 3, minStake: 0n, carryOver: false },
      ],
      { account: owner!.account },
    );
    const modelId = 1n;

    const ownershipVerifier = await deploy("OwnershipVerifier");
    const attestations = typed(proofAttestationsAbi, await deploy("ProofAttestations", [vault.address, ownershipVerifier]));

    // Ownership: a proof bound to the owner's address, this model and nonce 1.
    const proof = await proveOwnership({ weightsCommitment: commitment, ownerSecret, claimant: owner!.account.address, modelId, nonce: 1n });
    const args = [modelId, ...ownershipCalldata(proof)] as const;
    await assert.rejects(attestations.write.attestOwnership(args, { account: other!.account }), /ClaimantMismatch/);
    await attestations.write.attestOwnership(args, { account: owner!.account });
    assert.equal(await attestations.read.ownershipAttested([modelId, owner!.account.address]), 1);
    await assert.rejects(attestations.write.attestOwnership(args, { account: owner!.account }), /NonceUsed/);

    // Inference before the version is attested well-formed: refused, even through a verifier.
    const x = quantizeInput(model.spec, [6.7, 3.0, 5.2, 2.3]);
    const early = await proveInference(model, x);
    const [eA, eB, eC, eSignals] = inferenceCalldata(early);
    await attestations.write.setInferenceVerifier([modelId, 0, await deploy(verifierContractName(early.circuit)), BigInt(eSignals.length)], { account: owner!.account });
    await assert.rejects(attestations.write.attestInference([modelId, 0, eA, eB, eC, [...eSignals]], { account: other!.account }), /NotWellFormed/);

    // Well-formedness of the registered commitment, once per version, through the architecture's verifier.
    await attestations.write.setWellFormedVerifier([modelId, await deploy("WellformedVerifier_4_16_3")], { account: owner!.account });
    const wf = wellFormedCalldata(await proveWellFormed(model));
    const forgedWf = [wf[0], wf[1], [wf[2][0], wf[2][1] + 1n], wf[3]] as const;
    await assert.rejects(attestations.write.attestWellFormed([modelId, ...forgedWf], { account: other!.account }), /InvalidProof/);
    await assert.rejects(attestations.write.attestWellFormed([modelId, wf[0], wf[1], wf[2], [wf[3][0] + 1n]], { account: other!.account }), /WeightsCommitmentMismatch/);
    await attestations.write.attestWellFormed([modelId, ...wf], { account: other!.account });
    assert.equal(await attestations.read.wellFormedAttested([modelId, 1]), true);
    await assert.rejects(attestations.write.attestWellFormed([modelId, ...wf], { account: other!.account }), /WellFormedAlreadyAttested/);

    // Inference, each reveal variant through its own generated verifier: y = model(x) for the registered weights.
    for (const reveal of REVEAL_MODES) {
      const variant = variantIndex(reveal);
      const inference = await proveInference(model, x, { reveal });
      const verifier = await deploy(verifierContractName(inference.circuit));
      const [pA, pB, pC, signals] = inferenceCalldata(inference);
      if (reveal !== "public") await assert.rejects(attestations.write.attestInference([modelId, variant, pA, pB, pC, [...signals]], { account: other!.account }), /NoInferenceVerifier/, reveal);
      await attestations.write.setInferenceVerifier([modelId, variant, verifier, BigInt(signals.length)], { account: owner!.account });
      await attestations.write.attestInference([modelId, variant, pA, pB, pC, [...signals]], { account: other!.account });
      const id = inferenceAttestationId(modelId, signals, reveal);
      assert.equal(await attestations.read.inferenceAttested([id]), 1, reveal);
      assert.equal(await attestations.read.inferenceVariant([id]), variant, reveal);
      await assert.rejects(attestations.write.attestInference([modelId, variant, pA, pB, pC, [...signals]], { account: other!.account }), /AlreadyAttested/, reveal);
      for (let i = 1; i < signals.length; i++) {
        const forged = [...signals];
        forged[i] = forged[i]! + 1n;
        await assert.rejects(attestations.write.attestInference([modelId, variant, pA, pB, pC, forged], { account: other!.account }), /InvalidProof/, `${reveal} signal ${i}`);
      }
    }
    // committed and argmax proofs both have 3 signals: each variant's verifier refuses the other's.
    const argmax = inferenceCalldata(await proveInference(model, x, { reveal: "argmax" }));
    await assert.rejects(attestations.write.attestInference([modelId, variantIndex("committed"), argmax[0], argmax[1], argmax[2], [...argmax[3]]], { account: other!.account }), /InvalidProof/);
  });
});
