// Owner commitments at publish, then `prove ownership`, `verify` (off chain and --on-chain) and
// `attest ownership` from the command line, against a hardhat node with real custodian nodes.
// One Groth16 proof is made and reused across the assertions (proving costs seconds).
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, createWalletClient, http, numberToHex, type Address } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { createChainClient, type ChainClient, type Deployment } from "../../node/chain/index.js";
import { run } from "../../node/cli/index.js";
import { loadIdentity } from "../../node/cli/identity.js";
import type { RunningApi } from "../../node/http/server.js";
import { deploySuite } from "../../scripts/deploy-suite.js";
import { startHardhatNode, type HardhatNode } from "../../scripts/lib/hardhat-node.js";
import { weightsCommitment } from "../../zkp/commitment.js";
import { terminateCurve } from "../../zkp/curve.js";
import { IRIS_MODEL_PATH, loadIrisModel } from "../../zkp/models.js";
import { ownerCommitment, randomOwnerSecret } from "../../zkp/ownership.js";
import { MNEMONIC, MIN_STAKE, identityAt } from "./fixtures/custody.js";
import { MemoryIo, TEST_SCRYPT_N } from "./fixtures/cli.js";
import { startOwnerAndCustodians } from "./fixtures/custodian-nodes.js";

const PASSWORD = "proof test password";

describe("proofs from the command line: owner commitment at publish, prove ownership, verify, attest", function () {
  this.timeout(240_000);
  let dir: string;
  let node: HardhatNode;
  let deployment: Deployment;
  let chainArgs: string[];
  const stops: (() => Promise<unknown>)[] = [];
  let ownerDir: string;
  let ownerAddress: Address;
  let ownerApi: RunningApi;
  let reader: ChainClient;
  let commitment: bigint;
  let custodians: Address[] = [];

  async function cli(args: string[]) {
    const io = new MemoryIo({ MODELVAULT_PASSWORD: PASSWORD });
    const code = await run(args, io);
    return { code, io, json: () => (io.out.trim() === "" ? undefined : io.json<Record<string, unknown>>()), error: () => (JSON.parse(io.err.trim().split("\n").pop()!) as { error: { code: string; message: string } }).error };
  }

  const chainFor = (account?: ReturnType<typeof identityAt>["account"]) =>
    createChainClient({ rpcUrl: node.rpcUrl, deployment, account, pollingIntervalMs: 50, retryCount: 0 });

  /** A node's data dir with a fresh keystore, its account funded. */
  async function initNode(name: string): Promise<{ dataDir: string; address: Address }> {
    const dataDir = join(dir, name);
    const init = await cli(["node", "init", "--data-dir", dataDir, "--scrypt-n", TEST_SCRYPT_N, "--json"]);
    assert.equal(init.code, 0, init.io.err);
    const address = init.json()!.address as Address;
    await createPublicClient({ transport: http(node.rpcUrl) }).request({ method: "hardhat_setBalance" as never, params: [address, numberToHex(10n ** 19n)] as never });
    return { dataDir, address };
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mv-proofs-"));
    node = await startHardhatNode();
    stops.push(() => node.stop());
    const transport = http(node.rpcUrl);
    deployment = await deploySuite(
      createWalletClient({ account: mnemonicToAccount(MNEMONIC), chain: hardhat, transport }),
      createPublicClient({ chain: hardhat, transport }),
      { custodianMinStake: MIN_STAKE },
    );
    assert.ok(deployment.contracts.ProofAttestations, "the suite deploys ProofAttestations (built ownership verifier)");
    const deploymentFile = join(dir, "deployment.json");
    await writeFile(deploymentFile, JSON.stringify(deployment));
    chainArgs = ["--rpc-url", node.rpcUrl, "--deployment", deploymentFile];
    reader = await chainFor();

    ({ dataDir: ownerDir, address: ownerAddress } = await initNode("owner"));
    const ownerIdentity = await loadIdentity(ownerDir, PASSWORD);
    ({ ownerApi, custodians } = await startOwnerAndCustodians({ dir, ownerIdentity, connect: chainFor, stops }));
    commitment = await weightsCommitment(loadIrisModel());
  });

  after(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await reader?.close();
    await terminateCurve();
    if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  });

  const publishArgs = (extra: string[] = []) => [
    "publish", IRIS_MODEL_PATH, "--register", "--custodians", custodians.join(","), "--threshold", "2",
    "--weights-commitment", commitment.toString(), "--api", ownerApi.url, "--progress", "none", "--json", ...extra,
  ];
  let secretFile: string;
  let proofFile: string;
  let firstModel: bigint;
  let secondModel: bigint;

  it("publish --register generates an owner secret once and registers its commitment; --owner-secret-file uses the given one", async () => {
    const generated = await cli(publishArgs());
    assert.equal(generated.code, 0, generated.io.err);
    const answer = generated.json()!;
    const secret = BigInt(answer.ownerSecret as string);
    assert.match(String(answer.ownerSecretWarning), /returned once/);
    firstModel = BigInt(answer.modelId as string);
    const v1 = await reader.version(firstModel, 1);
    assert.equal(v1?.weightsCommitment, commitment);
    assert.equal(v1?.ownerCommitment, await ownerCommitment(commitment, secret));
    assert.equal(answer.ownerCommitment, v1?.ownerCommitment.toString());
    secretFile = join(dir, "owner.secret");
    await writeFile(secretFile, `${secret}\n`);

    // The same secret for a second model (its publish differs by name): no secret in the answer.
    const given = await cli(publishArgs(["--owner-secret-file", secretFile, "--name", "iris again"]));
    assert.equal(given.code, 0, given.io.err);
    assert.equal(given.json()!.ownerSecret, undefined);
    assert.doesNotMatch(given.io.out + given.io.err, new RegExp(secret.toString()));
    secondModel = BigInt(given.json()!.modelId as string);
    assert.equal((await reader.version(secondModel, 1))?.ownerCommitment, await ownerCommitment(commitment, secret));
  });

  it("the HTTP API refuses a malformed Owner-Secret and one on a publish that registers nothing", async () => {
    const post = (query: string, secret: string) =>
      fetch(`${ownerApi.url}/v1/models?${query}`, { method: "POST", headers: { "content-type": "application/octet-stream", "owner-secret": secret }, body: new Uint8Array(16) });
    const bad = await post(`register=true&custodians=${custodians.join(",")}&threshold=2`, "0x12");
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, "VALIDATION_FAILED");
    const unregistered = await post("", randomOwnerSecret().toString());
    assert.equal(unregistered.status, 400);
    assert.match(((await unregistered.json()) as { error: { message: string } }).error.message, /registering publish/);
  });

  it("prove ownership refuses a wrong secret, an unknown model and a bad secret file, before proving", async () => {
    const wrong = join(dir, "wrong.secret");
    await writeFile(wrong, `${randomOwnerSecret()}\n`);
    const out = join(dir, "never.json");
    const refused = await cli(["prove", "ownership", firstModel.toString(), "--owner-secret-file", wrong, "-o", out, "--data-dir", ownerDir, ...chainArgs, "--json"]);
    assert.equal(refused.code, 1);
    assert.equal(refused.error().code, "OWNER_SECRET_MISMATCH");
    const unknown = await cli(["prove", "ownership", "999", "--owner-secret-file", secretFile, "-o", out, "--data-dir", ownerDir, ...chainArgs, "--json"]);
    assert.equal(unknown.error().code, "UNKNOWN_MODEL");
    const badFile = await cli(["prove", "ownership", firstModel.toString(), "--owner-secret-file", join(dir, "deployment.json"), "-o", out, "--data-dir", ownerDir, ...chainArgs]);
    assert.equal(badFile.code, 2);
  });

  it("prove ownership writes a proof file bound to this node's address that verifies off chain and on chain", async () => {
    proofFile = join(dir, "proof.json");
    const proved = await cli(["prove", "ownership", firstModel.toString(), "--owner-secret-file", secretFile, "--weights", IRIS_MODEL_PATH, "-o", proofFile, "--data-dir", ownerDir, ...chainArgs, "--json"]);
    assert.equal(proved.code, 0, proved.io.err);
    const file = JSON.parse(await readFile(proofFile, "utf8")) as Record<string, unknown>;
    assert.equal(file.format, "modelvault-proof/1");
    assert.equal(file.kind, "ownership");
    assert.equal(file.modelId, firstModel.toString());
    assert.equal(file.version, 1);
    assert.equal(file.prover, ownerAddress);
    assert.equal((file.publicSignals as string[])[2], BigInt(ownerAddress).toString());

    for (const mode of [[], ["--on-chain"]]) {
      const verified = await cli(["verify", proofFile, "--model", firstModel.toString(), "--claimant", ownerAddress, ...mode, ...chainArgs, "--json"]);
      assert.equal(verified.code, 0, verified.io.err);
      const verdict = verified.json()!;
      assert.equal(verdict.valid, true);
      assert.equal(verdict.claimant, ownerAddress);
      assert.equal(verdict.method, mode.length === 0 ? "off-chain" : "on-chain");
    }
    // No keystore needed to verify: another data dir, no password.
    const anyone = await run(["verify", proofFile, "--model", firstModel.toString(), "--data-dir", join(dir, "nobody"), ...chainArgs], new MemoryIo());
    assert.equal(anyone, 0);
  });

  it("verify fails, exit 1 with the reason, for another claimant, another model and a tampered file", async () => {
    const other = identityAt(5).address;
    const claimant = await cli(["verify", proofFile, "--model", firstModel.toString(), "--claimant", other, ...chainArgs, "--json"]);
    assert.equal(claimant.code, 1);
    assert.equal(claimant.json()!.valid, false);
    assert.deepEqual((claimant.json()!.checks as Record<string, boolean>).claimant, false);
    assert.equal(claimant.error().code, "PROOF_INVALID");

    // The second model has the same commitments but another id: the proof is bound to the first.
    const model = await cli(["verify", proofFile, "--model", secondModel.toString(), ...chainArgs, "--json"]);
    assert.equal(model.code, 1);
    assert.equal((model.json()!.checks as Record<string, boolean>).modelId, false);
    assert.match(model.error().message, /not 2|for model 1/);

    // Rebinding the proof to another address breaks the Groth16 proof, off chain and on chain.
    const file = JSON.parse(await readFile(proofFile, "utf8")) as { publicSignals: string[]; prover: string };
    file.publicSignals[2] = BigInt(other).toString();
    file.prover = other;
    const tampered = join(dir, "tampered.json");
    await writeFile(tampered, JSON.stringify(file));
    for (const mode of [[], ["--on-chain"]]) {
      const result = await cli(["verify", tampered, "--model", firstModel.toString(), ...mode, ...chainArgs, "--json"]);
      assert.equal(result.code, 1, `${mode.join(" ")}: ${result.io.err}`);
      assert.deepEqual(result.json()!.checks, { weightsCommitment: true, ownerCommitmentRegistered: true, ownerCommitment: true, modelId: true, proof: false });
    }
    const garbage = join(dir, "garbage.json");
    await writeFile(garbage, "{}");
    const malformed = await cli(["verify", garbage, "--model", firstModel.toString(), ...chainArgs, "--json"]);
    assert.equal(malformed.code, 1);
    assert.equal(malformed.error().code, "PROOF_FILE_INVALID");
  });

  it("prove inference writes a proof for the registered weights; verify refuses it until the version is attested well-formed, then checks it off chain and refuses a forged output", async () => {
    const out = join(dir, "inference.json");
    const args = (extra: string[]) => ["prove", "inference", firstModel.toString(), "--input", "[6.7,3.0,5.2,2.3]", "-o", out, "--data-dir", ownerDir, ...chainArgs, "--json", ...extra];
    const badInput = await cli(args(["--weights", IRIS_MODEL_PATH, "--input", "[1,2]"]));
    assert.equal(badInput.error().code, "INPUT_INVALID");
    const proved = await cli(args(["--weights", IRIS_MODEL_PATH]));
    assert.equal(proved.code, 0, proved.io.err);
    assert.equal(proved.json()!.circuit, "inference_4_16_3");
    const unattested = await cli(["verify", out, "--model", firstModel.toString(), ...chainArgs, "--json"]);
    assert.equal(unattested.code, 1);
    assert.deepEqual(unattested.json()!.checks, { weightsCommitment: true, weightsCommitmentRegistered: true, wellFormed: false, proof: true });
    const noVerifier = await cli(["verify", out, "--model", firstModel.toString(), "--on-chain", ...chainArgs, "--json"]);
    assert.equal(noVerifier.code, 1);
    assert.equal(noVerifier.error().code, "NO_INFERENCE_VERIFIER");

    // Well-formedness, once for the version: prove, verify, set the architecture's verifiers, attest.
    const wf = join(dir, "wellformed.json");
    const wfProved = await cli(["prove", "wellformed", firstModel.toString(), "--weights", IRIS_MODEL_PATH, "-o", wf, "--data-dir", ownerDir, ...chainArgs, "--json"]);
    assert.equal(wfProved.code, 0, wfProved.io.err);
    assert.equal(wfProved.json()!.circuit, "wellformed_4_16_3");
    const wfVerified = await cli(["verify", wf, "--model", firstModel.toString(), ...chainArgs, "--json"]);
    assert.equal(wfVerified.code, 0, wfVerified.io.err);
    const wfNoVerifier = await cli(["attest", "wellformed", wf, "--data-dir", ownerDir, ...chainArgs, "--json"]);
    assert.equal(wfNoVerifier.error().code, "NO_WELLFORMED_VERIFIER");
    const set = await cli(["model", "verifier", firstModel.toString(), "--architecture", "4-16-3", "--data-dir", ownerDir, ...chainArgs, "--json"]);
    assert.equal(set.code, 0, set.io.err);
    assert.equal(set.json()!.wellFormedVerifier, deployment.wellFormedVerifiers?.inference_4_16_3);
    const wfForged = JSON.parse(await readFile(wf, "utf8")) as { proof: { pi_a: string[] } };
    wfForged.proof.pi_a[0] = (BigInt(wfForged.proof.pi_a[0]!) + 1n).toString();
    const wfForgedFile = join(dir, "forged-wellformed.json");
    await writeFile(wfForgedFile, JSON.stringify(wfForged));
    const wfRefused = await cli(["verify", wfForgedFile, "--model", firstModel.toString(), "--on-chain", ...chainArgs, "--json"]);
    assert.equal((wfRefused.json()!.checks as Record<string, boolean>).proof, false);
    assert.equal((await cli(["attest", "wellformed", wfForgedFile, "--data-dir", ownerDir, ...chainArgs, "--json"])).error().code, "PROOF_INVALID");
    const wfAttested = await cli(["attest", "wellformed", wf, "--data-dir", ownerDir, ...chainArgs, "--json"]);
    assert.equal(wfAttested.code, 0, wfAttested.io.err);
    assert.equal(await reader.contracts.attestations!.read.wellFormedAttested([firstModel, 1]), true);
    assert.equal((await cli(["attest", "wellformed", wf, "--data-dir", ownerDir, ...chainArgs, "--json"])).error().code, "ALREADY_ATTESTED");

    const verified = await cli(["verify", out, "--model", firstModel.toString(), ...chainArgs, "--json"]);
    assert.equal(verified.code, 0, verified.io.err);
    assert.equal(verified.json()!.kind, "inference");
    const file = JSON.parse(await readFile(out, "utf8")) as { publicSignals: string[] };
    file.publicSignals[2] = (BigInt(file.publicSignals[2]!) + 1n).toString();
    const forged = join(dir, "forged-inference.json");
    await writeFile(forged, JSON.stringify(file));
    const refused = await cli(["verify", forged, "--model", firstModel.toString(), ...chainArgs, "--json"]);
    assert.equal(refused.code, 1);
    assert.equal((refused.json()!.checks as Record<string, boolean>).proof, false);
  });

  it("attest ownership records the attestation from the claimant's account, once; nobody else can send it", async () => {
    const stranger = await initNode("stranger");
    const refused = await cli(["attest", "ownership", proofFile, "--data-dir", stranger.dataDir, ...chainArgs, "--json"]);
    assert.equal(refused.code, 1);
    assert.equal(refused.error().code, "CLAIMANT_MISMATCH");

    const attested = await cli(["attest", "ownership", proofFile, "--data-dir", ownerDir, ...chainArgs, "--json"]);
    assert.equal(attested.code, 0, attested.io.err);
    assert.equal(attested.json()!.version, 1);
    assert.equal(attested.json()!.claimant, ownerAddress);
    assert.equal(await reader.contracts.attestations!.read.ownershipAttested([firstModel, ownerAddress]), 1);

    const again = await cli(["attest", "ownership", proofFile, "--data-dir", ownerDir, ...chainArgs, "--json"]);
    assert.equal(again.code, 1);
    assert.match(again.error().message, /NonceUsed/);
    const onChain = await cli(["verify", proofFile, "--model", firstModel.toString(), "--on-chain", ...chainArgs, "--json"]);
    assert.equal(onChain.code, 0);
    assert.equal(onChain.json()!.nonceUsed, true);
  });
});
