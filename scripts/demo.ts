// npm run demo — the whole story on one machine, every party a separate process or account:
// a local chain with the contracts, an owner node, three custodian nodes and a licensee node.
//   publish (seal, 2-of-3 shares deposited, registered) -> licence -> ticket -> k-of-n release
//   -> fetch from another peer -> decrypt -> inference proof -> on-chain attestation
// Each step prints what happened and how long it took. Everything is stopped and removed at
// the end, or on Ctrl-C.
//   npm run demo -- --model digits   proves a handwritten digit with the 64-32-10 model instead
//                                    of an iris (scripts/lib/demo-models.ts; needs a cached ptau
//                                    big enough for its circuit)
//   -- --skip-proof                  stops after the licensee's own (unproved) inference
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createPublicClient, createWalletClient, http, type Address, type Hex } from "viem";
import { hardhat } from "viem/chains";
import { proofAttestationsAbi } from "../contracts/abi/index.js";
import { loadIdentity } from "../node/cli/identity.js";
import { weightsCommitment } from "../zkp/commitment.js";
import { terminateCurve } from "../zkp/curve.js";
import { argmax } from "../zkp/accuracy.js";
import { verifierContractName } from "../zkp/artifacts.js";
import { inferenceCalldata, proveInference, verifyInference } from "../zkp/inference.js";
import { inferenceCircuitName, wellFormedCircuitName } from "../zkp/mlp-spec.js";
import { runQuantizedMlp, type QuantizedMlp } from "../zkp/mlp.js";
import { loadMlp } from "../zkp/models.js";
import { quantizeInput } from "../zkp/quantize.js";
import { proveWellFormed, wellFormedCalldata } from "../zkp/wellformed.js";
import { readArtifact } from "./deploy-suite.js";
import { demoModel, type DemoModel } from "./lib/demo-models.js";
import { ensureBuilt, startDevnet, type Devnet } from "./lib/devnet.js";
import { ProcessFixture, type Daemon } from "./lib/processes.js";

const PASSWORD = "modelvault demo";
const { values: args } = parseArgs({ options: { model: { type: "string", default: "iris" }, "skip-proof": { type: "boolean", default: false } } });
let demo: DemoModel;
try {
  demo = demoModel(args.model);
} catch (error) {
  console.error(`demo: ${(error as Error).message}`);
  process.exit(2);
}

const started = performance.now();
let last = started;
function step(what: string, detail = ""): void {
  const now = performance.now();
  console.log(`${((now - started) / 1000).toFixed(1).padStart(6)} s  +${Math.round(now - last).toString().padStart(6)} ms  ${what}${detail ? `\n                         ${detail}` : ""}`);
  last = now;
}

const dir = await mkdtemp(join(tmpdir(), "modelvault-demo-"));
const dataDir = (name: string) => join(dir, name);
const processes = new ProcessFixture({ MODELVAULT_PASSWORD: PASSWORD });
let devnet: Devnet | undefined;
const stopAll = async () => {
  await processes.cleanup();
  await devnet?.stop();
  await rm(dir, { recursive: true, force: true });
};
process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));

async function cli(args: string[]): Promise<{ json: Record<string, unknown>; stderr: string }> {
  const result = await processes.run(args);
  if (result.code !== 0) throw new Error(`modelvault ${args.slice(0, 2).join(" ")} failed: ${result.stderr.trim()}`);
  const json = args.includes("--json") ? (JSON.parse(result.stdout.trim().split("\n").pop()!) as Record<string, unknown>) : {};
  return { json, stderr: result.stderr };
}

/** The licensee proves the inference, checks it off chain, then the chain attests it. */
async function proveAndAttest(devnet: Devnet, modelId: string, licenseeModel: QuantizedMlp, input: bigint[]): Promise<void> {
  const proof = await proveInference(licenseeModel, input);
  if (!(await verifyInference(proof))) throw new Error("the inference proof does not verify");
  step(`inference proof (Groth16) for ${demo.inputLabel}: class ${demo.classes[argmax(proof.outputs)]}, verified off-chain`);

  const transport = http(devnet.chain.rpcUrl);
  const publicClient = createPublicClient({ chain: hardhat, transport });
  const walletOf = async (name: string) =>
    createWalletClient({ account: (await loadIdentity(dataDir(name), PASSWORD)).account, chain: hardhat, transport });
  const [ownerWallet, licenseeWallet] = [await walletOf("owner"), await walletOf("licensee")];
  const attestations = devnet.deployment.contracts.ProofAttestations!;
  const deployVerifier = async (circuit: string): Promise<Address> => {
    const artifact = readArtifact(verifierContractName(circuit), "contracts/verifiers");
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await ownerWallet.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode }) });
    return receipt.contractAddress!;
  };
  const send = async (wallet: typeof ownerWallet, functionName: "setInferenceVerifier" | "setWellFormedVerifier" | "attestWellFormed", args: readonly unknown[]) =>
    publicClient.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: attestations, abi: proofAttestationsAbi, functionName, args } as never) });
  // variant 0: public outputs
  await send(ownerWallet, "setInferenceVerifier", [BigInt(modelId), 0, await deployVerifier(inferenceCircuitName(licenseeModel.spec)), BigInt(proof.publicSignals.length)]);
  await send(ownerWallet, "setWellFormedVerifier", [BigInt(modelId), await deployVerifier(wellFormedCircuitName(licenseeModel.spec))]);
  // Once per version the owner shows the committed weights are in range (the licensee's copy is
  // the owner's weights): inferences count only after it.
  const wellFormed = await send(ownerWallet, "attestWellFormed", [BigInt(modelId), ...wellFormedCalldata(await proveWellFormed(licenseeModel))]);
  if (wellFormed.status !== "success") throw new Error("the well-formedness attestation reverted");
  step(`weights commitment attested well-formed by the owner (gas ${wellFormed.gasUsed})`, `tx ${wellFormed.transactionHash as Hex}`);
  const [pA, pB, pC, signals] = inferenceCalldata(proof);
  const attested = await publicClient.waitForTransactionReceipt({
    hash: await licenseeWallet.writeContract({
      address: attestations, abi: proofAttestationsAbi, functionName: "attestInference", args: [BigInt(modelId), 0, pA, pB, pC, [...signals]],
    }),
  });
  if (attested.status !== "success") throw new Error("the attestation reverted");
  step(`inference attested on chain by the licensee (gas ${attested.gasUsed})`, `tx ${attested.transactionHash as Hex}`);
}

try {
  console.log("modelvault demo: owner, three custodians and a licensee on 127.0.0.1\n");
  const log = (line: string) => console.log(`         ${line}`);
  ensureBuilt({ log });
  if (!args["skip-proof"]) await demo.ensureCircuit(log);
  devnet = await startDevnet({ deploymentFile: join(dir, "deployment.json") });
  const chainArgs = ["--rpc-url", devnet.chain.rpcUrl, "--deployment", devnet.deploymentFile];
  step("local chain up, contracts deployed", `${devnet.chain.rpcUrl}, ModelVault ${devnet.deployment.contracts.ModelVault}`);

  // Every party: a fresh identity in its own data dir, funded from the faucet, a running node.
  const names = ["owner", "custodian-1", "custodian-2", "custodian-3", "licensee"] as const;
  const daemons: Record<string, Daemon> = {};
  for (const name of names) {
    const { json } = await cli(["node", "init", "--data-dir", dataDir(name), "--scrypt-n", "1024", "--json"]);
    await devnet.fund(json.address as Address);
  }
  daemons.owner = await processes.start(["--data-dir", dataDir("owner"), "--api-port", "0", "--listen", "/ip4/127.0.0.1/tcp/0", ...chainArgs]);
  const ownerPeer = daemons.owner.started.multiaddrs[0]!;
  await Promise.all(
    names.slice(1).map(async (name) => {
      daemons[name] = await processes.start(["--data-dir", dataDir(name), "--api-port", "0", "--listen", "/ip4/127.0.0.1/tcp/0", "--peer", ownerPeer, ...chainArgs]);
    }),
  );
  step("five nodes running", names.map((n) => `${n} ${daemons[n]!.started.api}`).join(", "));

  const custodians = names.slice(1, 4);
  await Promise.all(
    custodians.map((name) =>
      cli(["custodian", "register", "--data-dir", dataDir(name), "--stake", "0.1eth", "--endpoint", daemons[name]!.started.api, ...chainArgs, "--json"]),
    ),
  );
  step("three custodians registered on chain, 0.1 ETH staked each");

  const model = loadMlp(demo.path);
  const commitment = await weightsCommitment(model);
  const { json: published } = await cli([
    "publish", demo.path, "--api", daemons.owner.started.api, "--name", demo.name, "--register",
    "--custodians", custodians.map((n) => daemons[n]!.started.address).join(","), "--threshold", "2",
    "--price", "1000000000000000", "--weights-commitment", commitment.toString(), "--json",
  ]);
  const modelId = published.modelId as string;
  step(
    `owner published model ${modelId}: sealed, 2-of-3 key shares deposited, registered`,
    `manifest ${published.manifestCid}, weights commitment ${commitment.toString().slice(0, 16)}…`,
  );

  const out = join(dir, `licensee-${demo.name}.safetensors`);
  const { stderr } = await cli(["access", modelId, "-o", out, "--buy", "--api", daemons.licensee!.started.api, "--data-dir", dataDir("licensee"), ...chainArgs]);
  step("licensee: licence bought, ticket issued, key released by 2 of 3 custodians, model fetched from the owner's peer and decrypted");
  for (const line of stderr.trim().split("\n").filter(Boolean)) console.log(`                         · ${line}`);
  const [original, decrypted] = await Promise.all([readFile(demo.path), readFile(out)]);
  if (!original.equals(decrypted)) throw new Error("the decrypted model differs from the original");
  step(`decrypted weights identical to the owner's file (${decrypted.length} bytes)`);

  const licenseeModel = loadMlp(out);
  const input = quantizeInput(licenseeModel.spec, demo.input);
  for (const line of demo.picture) console.log(`                         ${line}`);
  if (args["skip-proof"]) {
    step(`inference (not proved: --skip-proof) for ${demo.inputLabel}: class ${demo.classes[argmax(runQuantizedMlp(licenseeModel, input))]}`);
  } else {
    await proveAndAttest(devnet, modelId, licenseeModel, input);
  }

  console.log(`\ndone in ${((performance.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await terminateCurve();
  await stopAll();
}
