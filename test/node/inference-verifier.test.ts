// Inference verifiers: the deploy suite deploys and records one per built inference circuit,
// `model verifier ID` shows and (owner) sets it, then an inference proof made by `prove inference`
// verifies with `verify --on-chain` and is recorded with `attest inference`. One inference proof
// in the whole file per reveal variant (proving costs seconds).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { network } from "hardhat";
import { createPublicClient, createWalletClient, http, numberToHex, toHex, type Address } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { createChainClient, inferenceAttestationId, parseDeployment, type ChainClient } from "../../node/chain/index.js";
import { run } from "../../node/cli/index.js";
import { loadIdentity } from "../../node/cli/identity.js";
import type { RunningApi } from "../../node/http/server.js";
import { builtInferenceVerifiers, deploySuite, type Deployment } from "../../scripts/deploy-suite.js";
import { startHardhatNode, type HardhatNode } from "../../scripts/lib/hardhat-node.js";
import { weightsCommitment } from "../../zkp/commitment.js";
import { terminateCurve } from "../../zkp/curve.js";
import { IRIS_MODEL_PATH, loadIrisModel } from "../../zkp/models.js";
import { MNEMONIC, MIN_STAKE } from "./fixtures/custody.js";
import { MemoryIo, TEST_SCRYPT_N } from "./fixtures/cli.js";
import { startOwnerAndCustodians } from "./fixtures/custodian-nodes.js";

const PASSWORD = "inference verifier test password";
const IRIS = "inference_4_16_3";

describe("inference verifiers in the deployment record (in-process Hardhat EVM)", function () {
  this.timeout(120_000);

  it("the deploy suite deploys the verifier of each built inference circuit and records it by architecture", async () => {
    // One verifier per reveal variant of the architecture (zkp/reveal-mode.ts).
    assert.deepEqual(builtInferenceVerifiers(), [
      { architecture: IRIS, contractName: "InferenceVerifier_4_16_3" },
      { architecture: `${IRIS}_argmax`, contractName: "InferenceVerifier_4_16_3_argmax" },
      { architecture: `${IRIS}_committed`, contractName: "InferenceVerifier_4_16_3_committed" },
    ]);
    const connection = await network.create();
    try {
      const publicClient = await connection.viem.getPublicClient();
      const [deployer] = await connection.viem.getWalletClients();
      const deployment = await deploySuite(deployer!, publicClient);
      assert.deepEqual(Object.keys(deployment.inferenceVerifiers), [IRIS, `${IRIS}_argmax`, `${IRIS}_committed`]);
      const at = deployment.inferenceVerifiers[IRIS]!;
      assert.notEqual(await publicClient.getCode({ address: at }), undefined);
      // With its well-formedness verifier, under the same architecture id.
      assert.deepEqual(Object.keys(deployment.wellFormedVerifiers), [IRIS]);
      assert.notEqual(await publicClient.getCode({ address: deployment.wellFormedVerifiers[IRIS]! }), undefined);
      assert.notEqual(deployment.wellFormedVerifiers[IRIS], at);
      // The node accepts the record as is, and records written before verifiers stay valid.
      assert.deepEqual(parseDeployment(JSON.parse(JSON.stringify(deployment))).inferenceVerifiers, deployment.inferenceVerifiers);
      const { inferenceVerifiers: _, wellFormedVerifiers: _w, ...old } = deployment;
      assert.equal(parseDeployment(JSON.parse(JSON.stringify(old))).inferenceVerifiers, undefined);
      assert.throws(() => parseDeployment({ ...deployment, inferenceVerifiers: { iris: at } }), /inferenceVerifiers\.iris: not an architecture id/);
    } finally {
      await connection.close();
    }
  });
});

describe("model verifier, verify --on-chain and attest inference from the command line", function () {
  this.timeout(240_000);
  let dir: string;
  let node: HardhatNode;
  let deployment: Deployment;
  let chainArgs: string[];
  let reader: ChainClient;
  let owner: { dataDir: string; address: Address };
  let stranger: { dataDir: string; address: Address };
  let modelId: bigint;
  let ownerApi: RunningApi;
  let commitment: bigint;
  let custodians: Address[] = [];
  const stops: (() => Promise<unknown>)[] = [];

  async function cli(args: string[]) {
    const io = new MemoryIo({ MODELVAULT_PASSWORD: PASSWORD });
    const code = await run(args, io);
    return { code, io, json: () => io.json<Record<string, unknown>>(), error: () => (JSON.parse(io.err.trim().split("\n").pop()!) as { error: { code: string; message: string } }).error };
  }

  async function initNode(name: string): Promise<{ dataDir: string; address: Address }> {
    const dataDir = join(dir, name);
    const init = await cli(["node", "init", "--data-dir", dataDir, "--scrypt-n", TEST_SCRYPT_N, "--json"]);
    assert.equal(init.code, 0, init.io.err);
    const address = init.json().address as Address;
    await createPublicClient({ transport: http(node.rpcUrl) }).request({ method: "hardhat_setBalance" as never, params: [address, numberToHex(10n ** 19n)] as never });
    return { dataDir, address };
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mv-inference-verifier-"));
    node = await startHardhatNode();
    const transport = http(node.rpcUrl);
    deployment = await deploySuite(
      createWalletClient({ account: mnemonicToAccount(MNEMONIC), chain: hardhat, transport }),
      createPublicClient({ chain: hardhat, transport }),
      { custodianMinStake: MIN_STAKE },
    );
    const deploymentFile = join(dir, "deployment.json");
    await writeFile(deploymentFile, JSON.stringify(deployment));
    chainArgs = ["--rpc-url", node.rpcUrl, "--deployment", deploymentFile];
    const connect = (account?: Parameters<typeof createChainClient>[0]["account"]) =>
      createChainClient({ rpcUrl: node.rpcUrl, deployment, account, pollingIntervalMs: 50, retryCount: 0 });
    reader = await connect();
    owner = await initNode("owner");
    stranger = await initNode("stranger");
    const ownerIdentity = await loadIdentity(owner.dataDir, PASSWORD);
    ({ ownerApi, custodians } = await startOwnerAndCustodians({ dir, ownerIdentity, connect, stops }));
    commitment = await weightsCommitment(loadIrisModel());
    // The model is registered straight on chain: the commands here only need its commitments.
    const ownerChain = await connect((await loadIdentity(owner.dataDir, PASSWORD)).account);
    const registered = await ownerChain.registerModel(
      { manifestCid: "bafy-inference-verifier", weightsCommitment: commitment, ownerCommitment: 0n, storageRoot: toHex(randomBytes(32)), segmentCount: 1, custodians, threshold: 2 },
      { price: 0n, duration: 0, maxUses: 0, minStake: 0n, carryOver: false },
    );
    modelId = registered.modelId;
    await ownerChain.close();
  });

  after(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await reader?.close();
    await node?.stop();
    await terminateCurve();
    if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  });

  const verifier = (extra: string[], who = owner) => cli(["model", "verifier", modelId.toString(), "--data-dir", who.dataDir, ...chainArgs, "--json", ...extra]);

  it("model verifier ID shows none before the owner sets one, without a keystore", async () => {
    const shown = await cli(["model", "verifier", modelId.toString(), "--data-dir", join(dir, "nobody"), ...chainArgs, "--json"]);
    assert.equal(shown.code, 0, shown.io.err);
    assert.deepEqual(shown.json(), { modelId: modelId.toString(), reveal: "public", verifier: null, signals: 0, architecture: null });
    const unknown = await cli(["model", "verifier", "999", "--data-dir", join(dir, "nobody"), ...chainArgs, "--json"]);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.error().code, "UNKNOWN_MODEL");
  });

  it("refuses another account, an unknown or malformed architecture, an address without code or of another verifier, before sending", async () => {
    const notOwner = await verifier(["--architecture", IRIS], stranger);
    assert.equal(notOwner.code, 1);
    assert.equal(notOwner.error().code, "NOT_OWNER");
    assert.match(notOwner.error().message, new RegExp(`owned by ${owner.address}`));
    // An architecture no build here makes (the bench builds 64-32-10 and 64-41-10 verifiers into the deployment).

    const unknown = await verifier(["--architecture", "5-7-2"]);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.error().code, "UNKNOWN_ARCHITECTURE");
    assert.match(unknown.error().message, /inference_5_7_2.*it has inference_4_16_3/);
    const malformed = await verifier(["--architecture", "iris"]);
    assert.equal(malformed.code, 2);
    assert.equal(malformed.error().code, "INVALID_ARCHITECTURE");

    const noCode = await verifier(["--address", stranger.address]);
    assert.equal(noCode.code, 2);
    assert.equal(noCode.error().code, "NO_CONTRACT_CODE");
    const ownership = await verifier(["--address", deployment.contracts.OwnershipVerifier!]);
    assert.equal(ownership.error().code, "NOT_AN_INFERENCE_VERIFIER");
    const vault = await verifier(["--address", deployment.contracts.ModelVault]);
    assert.equal(vault.error().code, "NOT_AN_INFERENCE_VERIFIER");
    const both = await verifier(["--architecture", IRIS, "--address", deployment.inferenceVerifiers[IRIS]!]);
    assert.equal(both.code, 2);

    const attestations = reader.contracts.attestations!;
    assert.equal(await attestations.read.inferenceSignals([modelId, 0]), 0n, "nothing was set");
  });

  it("the owner sets the architecture's verifier (shorthand 4-16-3); setting it again sends nothing", async () => {
    const set = await verifier(["--architecture", "4-16-3"]);
    assert.equal(set.code, 0, set.io.err);
    const answer = set.json();
    assert.equal(answer.verifier, deployment.inferenceVerifiers[IRIS]);
    assert.equal(answer.signals, 5);
    assert.equal(answer.architecture, IRIS);
    assert.equal(answer.changed, true);
    assert.match(String(answer.txHash), /^0x[0-9a-f]{64}$/);
    assert.deepEqual(answer.previous, { reveal: "public", verifier: null, signals: 0, architecture: null });
    assert.equal(answer.wellFormedVerifier, deployment.wellFormedVerifiers?.[IRIS], "the architecture's well-formedness verifier is set with it");
    assert.equal(await reader.contracts.attestations!.read.wellFormedVerifier([modelId]), deployment.wellFormedVerifiers?.[IRIS]);
    assert.equal(await reader.contracts.attestations!.read.inferenceVerifier([modelId, 0]), deployment.inferenceVerifiers[IRIS]);

    const again = await verifier(["--address", deployment.inferenceVerifiers[IRIS]!]);
    assert.equal(again.code, 0, again.io.err);
    assert.equal(again.json().changed, false);
    assert.equal(again.json().txHash, null);
    assert.equal(again.json().architecture, IRIS, "an address of the deployment is named by its architecture");

    const shown = await cli(["model", "verifier", modelId.toString(), ...chainArgs]);
    assert.equal(shown.code, 0);
    assert.match(shown.io.out, new RegExp(`${deployment.inferenceVerifiers[IRIS]} \\(public outputs, 5 public signals, ${IRIS}\\)`));
  });

  it("prove inference, then verify --on-chain holds and attest inference records it once; a forged output is refused", async () => {
    const proof = join(dir, "inference.json");
    const proved = await cli(["prove", "inference", modelId.toString(), "--input", "[6.7,3.0,5.2,2.3]", "--weights", IRIS_MODEL_PATH, "-o", proof, "--data-dir", stranger.dataDir, ...chainArgs, "--json"]);
    assert.equal(proved.code, 0, proved.io.err);
    const unattested = await cli(["verify", proof, "--model", modelId.toString(), "--on-chain", ...chainArgs, "--json"]);
    assert.equal(unattested.code, 1);
    assert.equal((unattested.json().checks as Record<string, boolean>).wellFormed, false);
    const early = await cli(["attest", "inference", proof, "--data-dir", stranger.dataDir, ...chainArgs, "--json"]);
    assert.equal(early.error().code, "NOT_WELL_FORMED");
    // The owner (who holds the weights) proves the version well-formed once; anyone may attest it.
    const wf = join(dir, "wellformed.json");
    const wfProved = await cli(["prove", "wellformed", modelId.toString(), "--weights", IRIS_MODEL_PATH, "-o", wf, "--data-dir", stranger.dataDir, ...chainArgs, "--json"]);
    assert.equal(wfProved.code, 0, wfProved.io.err);
    const wfAttested = await cli(["attest", "wellformed", wf, "--data-dir", stranger.dataDir, ...chainArgs, "--json"]);
    assert.equal(wfAttested.code, 0, wfAttested.io.err);

    const onChain = await cli(["verify", proof, "--model", modelId.toString(), "--on-chain", ...chainArgs, "--json"]);
    assert.equal(onChain.code, 0, onChain.io.err);
    assert.equal(onChain.json().valid, true);
    assert.equal(onChain.json().method, "on-chain");

    // Anyone may attest an inference: the stranger (a licensee) does.
    const attested = await cli(["attest", "inference", proof, "--data-dir", stranger.dataDir, ...chainArgs, "--json"]);
    assert.equal(attested.code, 0, attested.io.err);
    const result = attested.json();
    const file = JSON.parse(await readFile(proof, "utf8")) as { publicSignals: string[] };
    const id = inferenceAttestationId(modelId, file.publicSignals.map(BigInt));
    assert.equal(result.attestationId, id);
    assert.equal(result.version, 1);
    assert.equal(result.prover, stranger.address);
    assert.equal(await reader.contracts.attestations!.read.inferenceAttested([id]), 1);

    const again = await cli(["attest", "inference", proof, "--data-dir", stranger.dataDir, ...chainArgs, "--json"]);
    assert.equal(again.code, 1);
    assert.equal(again.error().code, "ALREADY_ATTESTED");

    file.publicSignals[2] = (BigInt(file.publicSignals[2]!) + 1n).toString();
    const forged = join(dir, "forged.json");
    await writeFile(forged, JSON.stringify({ ...JSON.parse(await readFile(proof, "utf8")), publicSignals: file.publicSignals }));
    const refusedVerify = await cli(["verify", forged, "--model", modelId.toString(), "--on-chain", ...chainArgs, "--json"]);
    assert.equal(refusedVerify.code, 1);
    assert.equal((refusedVerify.json().checks as Record<string, boolean>).proof, false);
    const refused = await cli(["attest", "inference", forged, "--data-dir", stranger.dataDir, ...chainArgs, "--json"]);
    assert.equal(refused.code, 1);
    assert.equal(refused.error().code, "PROOF_INVALID");
    assert.equal(await reader.contracts.attestations!.read.inferenceAttested([inferenceAttestationId(modelId, file.publicSignals.map(BigInt))]), 0);
  });

  it("argmax and committed proofs: per-variant verifiers, files without salts or private values, openings apart, attestations recorded by variant", async () => {
    const argmaxProof = join(dir, "argmax.json");
    const argmaxOpening = join(dir, "argmax.opening.json");
    const prove = (reveal: string, output: string, extra: string[] = []) =>
      cli(["prove", "inference", modelId.toString(), "--input", "[6.7,3.0,5.2,2.3]", "--weights", IRIS_MODEL_PATH, "-o", output, "--reveal", reveal, "--data-dir", stranger.dataDir, ...chainArgs, "--json", ...extra]);
    const refused = await prove("committed", join(dir, "committed-no-opening.json"));
    assert.equal(refused.code, 2, "a committed output without its opening could never be opened");
    assert.equal((await prove("secret", join(dir, "bad.json"))).code, 2);

    const proved = await prove("argmax", argmaxProof, ["--opening", argmaxOpening]);
    assert.equal(proved.code, 0, proved.io.err);
    assert.equal(proved.json().predictedClass, 2);
    const file = JSON.parse(await readFile(argmaxProof, "utf8")) as Record<string, unknown> & { publicSignals: string[] };
    const opening = JSON.parse(await readFile(argmaxOpening, "utf8")) as { inputSalt: string; input: string[]; outputs: string[]; inputCommitment: string };
    assert.equal(file.reveal, "argmax");
    assert.equal(file.circuit, `${IRIS}_argmax`);
    assert.equal(file.outputs, undefined);
    assert.equal(opening.inputCommitment, file.publicSignals[1]);
    const text = JSON.stringify(file);
    for (const secret of [opening.inputSalt, ...opening.input, ...opening.outputs.filter((v) => v.length > 2)]) {
      assert.ok(!text.includes(`"${secret}"`), `the proof file holds the private value ${secret}`);
    }

    const noVerifier = await cli(["verify", argmaxProof, "--model", modelId.toString(), "--on-chain", ...chainArgs, "--json"]);
    assert.equal(noVerifier.code, 1);
    assert.equal(noVerifier.error().code, "NO_INFERENCE_VERIFIER");
    const set = await verifier(["--architecture", "4-16-3", "--reveal", "argmax"]);
    assert.equal(set.code, 0, set.io.err);
    assert.equal(set.json().reveal, "argmax");
    assert.equal(set.json().verifier, deployment.inferenceVerifiers[`${IRIS}_argmax`]);
    assert.equal(await reader.contracts.attestations!.read.inferenceVerifier([modelId, 2]), deployment.inferenceVerifiers[`${IRIS}_argmax`]);
    const mixed = await verifier(["--architecture", `${IRIS}_committed`, "--reveal", "argmax"]);
    assert.equal(mixed.code, 2);
    assert.equal(mixed.error().code, "INVALID_ARCHITECTURE");

    for (const method of [[], ["--on-chain"]]) {
      const checked = await cli(["verify", argmaxProof, "--model", modelId.toString(), ...method, ...chainArgs, "--json"]);
      assert.equal(checked.code, 0, checked.io.err);
      assert.equal(checked.json().reveal, "argmax");
    }
    const attested = await cli(["attest", "inference", argmaxProof, "--data-dir", stranger.dataDir, ...chainArgs, "--json"]);
    assert.equal(attested.code, 0, attested.io.err);
    const id = inferenceAttestationId(modelId, file.publicSignals.map(BigInt), "argmax");
    assert.equal(attested.json().attestationId, id);
    assert.equal(await reader.contracts.attestations!.read.inferenceVariant([id]), 2);

    // A committed proof: its verifier set by the variant's name; the opening holds the output salt.
    const committedProof = join(dir, "committed.json");
    const committedOpening = join(dir, "committed.opening.json");
    assert.equal((await prove("committed", committedProof, ["--opening", committedOpening])).code, 0);
    const c = JSON.parse(await readFile(committedOpening, "utf8")) as { outputSalt?: string; outputCommitment?: string };
    assert.match(c.outputSalt ?? "", /^[0-9]+$/);
    assert.equal(c.outputCommitment, (JSON.parse(await readFile(committedProof, "utf8")) as { publicSignals: string[] }).publicSignals[2]);
    assert.ok(!(await readFile(committedProof, "utf8")).includes(c.outputSalt!));
    assert.equal((await verifier(["--architecture", `${IRIS}_committed`])).code, 0);
    // The recipient of an opening checks it against the proof, and sees the opened values.
    const opened = await cli(["verify", committedProof, "--model", modelId.toString(), "--opening", committedOpening, ...chainArgs, "--json"]);
    assert.equal(opened.code, 0, opened.io.err);
    assert.deepEqual(opened.json().checks, { weightsCommitment: true, weightsCommitmentRegistered: true, openingCircuit: true, inputOpening: true, outputOpening: true, proof: true, wellFormed: true });
    assert.deepEqual((opened.json().opened as { outputs: string[] }).outputs, (JSON.parse(await readFile(argmaxOpening, "utf8")) as { outputs: string[] }).outputs);
    const wrongSalt = join(dir, "wrong.opening.json");
    await writeFile(wrongSalt, JSON.stringify({ ...c, outputSalt: (BigInt(c.outputSalt!) + 1n).toString() }));
    const refusedOpening = await cli(["verify", committedProof, "--model", modelId.toString(), "--opening", wrongSalt, ...chainArgs, "--json"]);
    assert.equal(refusedOpening.code, 1);
    assert.equal((refusedOpening.json().checks as Record<string, boolean>).outputOpening, false);
    assert.equal(refusedOpening.json().opened, undefined);
    // A file whose reveal contradicts its circuit is malformed.
    await writeFile(wrongSalt, JSON.stringify({ ...JSON.parse(await readFile(committedProof, "utf8")), reveal: "public" }));
    const contradicting = await cli(["verify", wrongSalt, "--model", modelId.toString(), ...chainArgs, "--json"]);
    assert.equal(contradicting.code, 1);
    assert.equal(contradicting.error().code, "PROOF_FILE_INVALID");
    assert.equal((await cli(["attest", "inference", committedProof, "--data-dir", stranger.dataDir, ...chainArgs, "--json"])).code, 0);

    const info = await cli(["model", "info", modelId.toString(), ...chainArgs, "--json"]);
    assert.equal(info.code, 0, info.io.err);
    const attestations = (info.json().attestations as { kind: string; reveal: string | null }[]).filter((a) => a.kind === "inference");
    assert.deepEqual(attestations.map((a) => a.reveal), ["public", "argmax", "committed"]);
  });

  it("publish --register --architecture registers the model and sets its verifier in the same flow; refuses an unknown architecture before publishing", async () => {
    const publish = (extra: string[]) => cli([
      "publish", IRIS_MODEL_PATH, "--register", "--custodians", custodians.join(","), "--threshold", "2", "--weights-commitment", commitment.toString(),
      "--api", ownerApi.url, "--progress", "none", "--json", ...extra,
    ]);
    const modelsBefore = await reader.contracts.vault.read.modelCount();
    const unknown = await publish(["--architecture", "5-7-2", "--name", "never"]);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.error().code, "UNKNOWN_ARCHITECTURE");
    assert.equal(await reader.contracts.vault.read.modelCount(), modelsBefore, "nothing was registered");
    const unregistered = await cli(["publish", IRIS_MODEL_PATH, "--architecture", IRIS, "--api", ownerApi.url, "--json"]);
    assert.equal(unregistered.code, 2);

    const published = await publish(["--architecture", IRIS, "--name", "iris with verifier"]);
    assert.equal(published.code, 0, published.io.err);
    const answer = published.json();
    const id = BigInt(answer.modelId as string);
    const set = answer.inferenceVerifier as Record<string, unknown>;
    assert.equal(set.architecture, IRIS);
    assert.equal(set.verifier, deployment.inferenceVerifiers[IRIS]);
    assert.equal(set.signals, 5);
    assert.match(String(set.txHash), /^0x[0-9a-f]{64}$/);
    assert.equal(await reader.contracts.attestations!.read.inferenceVerifier([id, 0]), deployment.inferenceVerifiers[IRIS]);
    assert.equal(await reader.contracts.attestations!.read.inferenceSignals([id, 0]), 5n);
    assert.equal(set.wellFormedVerifier, deployment.wellFormedVerifiers?.[IRIS]);
    assert.equal(await reader.contracts.attestations!.read.wellFormedVerifier([id]), deployment.wellFormedVerifiers?.[IRIS]);

    // Over HTTP: architecture only with a registering publish.
    const response = await fetch(`${ownerApi.url}/v1/models?architecture=${IRIS}`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: new Uint8Array(16) });
    assert.equal(response.status, 400);
    assert.match(((await response.json()) as { error: { message: string } }).error.message, /registering publish/);
  });
});
