// Gas of the contract paths a user pays for, measured on Hardhat's in-process EVM.
// Run: npm run bench:gas. Prints a table, then one JSON line.
import { existsSync } from "node:fs";
import { network } from "hardhat";
import { getContract } from "viem";
import type { Abi, Address, Hex } from "viem";
import {
  custodianRegistryAbi, licenseeStakingAbi, modelVaultAbi, proofAttestationsAbi, storageChallengesAbi,
} from "../contracts/abi/index.js";
import { challengeCommitment, randomChallengeSalt } from "../contracts/challenge-seed.js";
import { buildStorageTree, storageSegments } from "../contracts/storage-proof.js";
import { artifactPath } from "../scripts/deploy-suite.js";

const PUBKEY: Hex = "0x0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
const MIN_STAKE = 10n ** 17n;
const PRICE = 10n ** 16n;
const BOND = 10n ** 16n;

const { viem, networkHelpers } = await network.create();
const publicClient = await viem.getPublicClient();
const [deployer, owner, buyer, grantee, challenger, ...rest] = await viem.getWalletClients();
if (!deployer || !owner || !buyer || !grantee || !challenger || rest.length < 3) throw new Error("need 8 accounts");
const custodianWallets = rest.slice(0, 3);

async function gas(hash: Promise<Hex>): Promise<bigint> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  if (receipt.status !== "success") throw new Error("transaction reverted");
  return receipt.gasUsed;
}

const typed = <const A extends Abi>(abi: A, address: Address) =>
  getContract({ abi, address, client: { public: publicClient, wallet: deployer } });
const deploy = async (name: string, args: unknown[] = []) => (await viem.deployContract(name, args)).address;
const custodians = typed(custodianRegistryAbi, await deploy("CustodianRegistry", [MIN_STAKE, 3600n, deployer.account.address]));
const staking = typed(licenseeStakingAbi, await deploy("LicenseeStaking", [3600n]));
const vault = typed(modelVaultAbi, await deploy("ModelVault", [custodians.address, staking.address, 2_000, 3600]));
await staking.write.bind([vault.address]);
const challenges = typed(storageChallengesAbi, await deploy("StorageChallenges", [vault.address, custodians.address, BOND, 64n, 1_000, 5_000]));
await custodians.write.bind([challenges.address]);

const results: Record<string, bigint | null> = {};
results.custodianRegister = await gas(custodians.write.register([PUBKEY, "http://127.0.0.1:9000"], { account: custodianWallets[0]!.account, value: MIN_STAKE }));
for (const c of custodianWallets.slice(1)) await custodians.write.register([PUBKEY, "http://127.0.0.1:9000"], { account: c.account, value: MIN_STAKE });

const data = new Uint8Array(64 * 4096).map((_, i) => (i * 131 + 7) & 0xff);
const segments = storageSegments(data);
const tree = buildStorageTree(segments);
const weightsCommitment = 123456789n;
let ownerSecret = 0n;
let ownerCommitmentValue = 987654321n;
const zkpReady = existsSync(artifactPath("OwnershipVerifier", "contracts/verifiers")) && existsSync("build/circuits/ownership/ownership.zkey");
const zkp = zkpReady ? await import("../zkp/ownership.js") : null;
if (zkp) {
  ownerSecret = zkp.randomOwnerSecret();
  ownerCommitmentValue = await zkp.ownerCommitment(weightsCommitment, ownerSecret);
}
const params = {
  manifestCid: "bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
  weightsCommitment,
  ownerCommitment: ownerCommitmentValue,
  storageRoot: tree.root,
  segmentCount: tree.segmentCount,
  custodians: custodianWallets.map((c) => c.account.address),
  threshold: 2,
};
const terms = { price: PRICE, duration: 30 * 24 * 3600, maxUses: 10, minStake: 0n, carryOver: true };
results.register = await gas(vault.write.registerModel([params, terms], { account: owner.account }));
results.buy = await gas(vault.write.buy([1n], { account: buyer.account, value: PRICE }));
results.grant = await gas(vault.write.grant([1n, grantee.account.address, 0, 0], { account: owner.account }));
results.requestKey = await gas(vault.write.requestKey([1n, PUBKEY], { account: buyer.account }));
results.stake = await gas(staking.write.stake([1n], { account: buyer.account, value: 10n ** 15n }));

const salt = randomChallengeSalt();
const commitment = challengeCommitment(challenger.account.address, salt);
const challengeGas = await gas(challenges.write.challenge([1n, custodianWallets[0]!.account.address, commitment], { account: challenger.account, value: BOND }));
await networkHelpers.mine(1);
const revealGas = await gas(challenges.write.reveal([1n, salt], { account: challenger.account }));
const index = Number(await challenges.read.segmentIndex([1n]));
const segmentHex = `0x${Buffer.from(segments[index]!).toString("hex")}` as Hex;
const responseGas = await gas(challenges.write.respond([1n, segmentHex, tree.proof(index)], { account: custodianWallets[0]!.account }));
results.challenge = challengeGas;
results.reveal = revealGas;
results.response = responseGas;
results.challengeResponse = challengeGas + revealGas + responseGas;

let attestNote = "";
if (zkp) {
  const verifier = await deploy("OwnershipVerifier");
  const attestations = typed(proofAttestationsAbi, await deploy("ProofAttestations", [vault.address, verifier]));
  const proof = await zkp.proveOwnership({ weightsCommitment, ownerSecret, claimant: owner.account.address, modelId: 1n, nonce: 1n });
  const [pA, pB, pC, signals] = zkp.ownershipCalldata(proof);
  results.attest = await gas(attestations.write.attestOwnership([1n, pA, pB, pC, signals], { account: owner.account }));
  if (existsSync(artifactPath("InferenceVerifier_4_16_3_argmax", "contracts/verifiers")) && existsSync(artifactPath("WellformedVerifier_4_16_3", "contracts/verifiers"))) {
    const { inferenceAttestGas } = await import("./lib/inference-attest-gas.js");
    const registerModel = async (w: bigint) => {
      await vault.write.registerModel([{ ...params, weightsCommitment: w }, terms], { account: owner.account });
      return vault.read.modelCount();
    };
    const account = (w: typeof owner) => w.account as never;
    Object.assign(results, await inferenceAttestGas({ attestations: attestations as never, registerModel, deploy, gas, owner: account(owner), sender: account(buyer) }));
  }
  await (await import("../zkp/curve.js")).terminateCurve();
} else {
  results.attest = null;
  attestNote = "attest: null (contracts/verifiers/OwnershipVerifier.sol or build/circuits/ownership not built; run npm run build:circuits)";
}

const rows: [string, string][] = [
  ["registerModel (3 custodians)", "register"], ["buy", "buy"], ["grant", "grant"], ["requestKey", "requestKey"],
  ["stake (licensee)", "stake"], ["custodian register", "custodianRegister"], ["challenge", "challenge"],
  ["reveal", "reveal"], ["respond (4 KiB + proof, 64 segments)", "response"],
  ["challenge + reveal + response", "challengeResponse"],
  ["attestOwnership (Groth16)", "attest"],
  ["setInferenceVerifier (public)", "setInferenceVerifier"], ["setWellFormedVerifier", "setWellFormedVerifier"],
  ["attestWellFormed (Groth16, 1 signal, Iris)", "attestWellFormed"],
  ["attestInference 4-16-3, public y (5 signals)", "attestInferencePublic"],
  ["attestInference 4-16-3, committed y (3 signals)", "attestInferenceCommitted"],
  ["attestInference 4-16-3, argmax class (3 signals)", "attestInferenceArgmax"],
];
console.log("| operation | gas | goal |");
console.log("|---|---:|---|");
const goals: Record<string, string> = { buy: "<= 100000", requestKey: "<= 80000" };
for (const [label, key] of rows) console.log(`| ${label} | ${results[key] ?? "null"} | ${goals[key] ?? ""} |`);
if (attestNote) console.log(attestNote);
console.log(JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v === null ? null : Number(v)]))));
