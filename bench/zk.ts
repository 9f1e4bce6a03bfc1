// npm run bench:zk — constraints, setup/prove/verify seconds and on-chain verify gas for the
// ownership circuit, each MLP size's inference circuit and the Iris well-formedness circuit;
// then (compile only) the 64-32-10 well-formedness circuit, other weight widths and the largest
// 64-H-10 inference circuit that fits a 2^14 ptau (proved once). Ends with one JSON line.
// 64-32-10 and the largest MLP need a 2^14 ptau: made (slowly) on first run with the dev ceremony, or pass --ptau.
import { parseArgs } from "node:util";
import hre, { network } from "hardhat";
import { encodeFunctionData } from "viem";
import { OWNERSHIP, buildAll, buildInference, inferenceCircuit, wellFormedCircuit } from "../zkp/circuits.js";
import { countConstraints, requiredPower } from "../zkp/build.js";
import { digitsAccuracy } from "../zkp/digits.js";
import { terminateCurve } from "../zkp/curve.js";
import { inferenceCalldata, proveInference, verifyInference } from "../zkp/inference.js";
import { paramCount, weightCount, type MlpSpec } from "../zkp/mlp-spec.js";
import { BENCH_MLP_SPEC, OLD_BENCH_MLP_SPEC, loadIrisModel, randomInput, randomQuantizedMlp } from "../zkp/models.js";
import { proveWellFormed, verifyWellFormed, wellFormedCalldata } from "../zkp/wellformed.js";
import { ownershipCalldata, proveOwnership, randomOwnerSecret, verifyOwnership } from "../zkp/ownership.js";
import { groth16VerifierAbi, ownershipVerifierAbi } from "../zkp/verifier-abi.js";
import { revealConstraints } from "./lib/reveal-constraints.js";

const { values } = parseArgs({ options: { ptau: { type: "string" }, runs: { type: "string", default: "3" }, "skip-large": { type: "boolean", default: false } } });
const RUNS = Number(values.runs);

interface Row {
  circuit: string;
  constraints: number;
  weights: number;
  perWeight: number;
  setupS: number;
  proveS: number;
  verifyS: number;
  gas: bigint;
}

// Build every circuit first, then compile Solidity so the fresh verifiers have artifacts.
const irisModel = loadIrisModel();
const specs = [irisModel.spec, ...(values["skip-large"] ? [] : [BENCH_MLP_SPEC])];
const built = await buildAll({ ptau: values.ptau, only: ["ownership"] });
for (const spec of specs) built.push(await buildInference(await inferenceCircuit(spec), { ptau: values.ptau }));
// The largest 64-H-10 within 2^14 (searched compile-only) is built here too: Hardhat reads the
// artifact list once per process, so every verifier must exist before this one compile.
const largest = values["skip-large"] ? undefined : await largestMlp2p14();
if (largest) await buildInference(await inferenceCircuit(largest.spec), { ptau: values.ptau });
await hre.tasks.getTask("build").run({ quiet: true, noTests: true });

const { viem } = await network.create();
const client = await viem.getPublicClient();
const [wallet] = await viem.getWalletClients();

async function gasOf(contract: string, data: `0x${string}`): Promise<bigint> {
  const { address } = await viem.deployContract(contract);
  // Gas of a transaction calling verifyProof (includes the 21k base and calldata), as a relayer pays it.
  return client.estimateGas({ account: wallet!.account, to: address, data });
}

async function median(f: () => Promise<unknown>): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await f();
    t.push((performance.now() - t0) / 1000);
  }
  return t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!;
}

const rows: Row[] = [];
const own = built[0];
{
  const claim = { weightsCommitment: 123n, ownerSecret: randomOwnerSecret(), claimant: wallet!.account.address, modelId: 1n, nonce: 1n };
  const proof = await proveOwnership(claim); // warm-up: loads wasm and zkey
  const proveS = await median(() => proveOwnership(claim));
  const verifyS = await median(() => verifyOwnership(proof));
  const data = encodeFunctionData({ abi: ownershipVerifierAbi, functionName: "verifyProof", args: ownershipCalldata(proof) });
  rows.push({ circuit: OWNERSHIP.name, constraints: own!.constraints, weights: 0, perWeight: 0, setupS: own!.setupSeconds, proveS, verifyS, gas: await gasOf(OWNERSHIP.contractName, data) });
}

async function benchMlp(spec: MlpSpec, model = randomQuantizedMlp(spec, 7)): Promise<Row> {
  const built = await buildInference(await inferenceCircuit(spec), { ptau: values.ptau }); // up to date: reads build-info
  const input = randomInput(spec, 8);
  const proof = await proveInference(model, input);
  const proveS = await median(() => proveInference(model, input));
  const verifyS = await median(() => verifyInference(proof));
  const abi = groth16VerifierAbi(proof.publicSignals.length);
  const data = encodeFunctionData({ abi, functionName: "verifyProof", args: inferenceCalldata(proof) as never });
  const row = {
    circuit: built.name,
    constraints: built.constraints,
    weights: paramCount(spec),
    perWeight: built.constraints / weightCount(spec),
    setupS: built.setupSeconds,
    proveS,
    verifyS,
    gas: await gasOf(built.contractName, data),
  };
  rows.push(row);
  return row;
}

/** The well-formedness circuit, proved once per registered commitment. */
async function benchWellFormed(spec: MlpSpec, model = randomQuantizedMlp(spec, 7)): Promise<void> {
  const built = await buildInference(await wellFormedCircuit(spec), { ptau: values.ptau });
  const proof = await proveWellFormed(model);
  const proveS = await median(() => proveWellFormed(model));
  const verifyS = await median(() => verifyWellFormed(proof));
  const data = encodeFunctionData({ abi: groth16VerifierAbi(1), functionName: "verifyProof", args: wellFormedCalldata(proof) });
  rows.push({ circuit: built.name, constraints: built.constraints, weights: paramCount(spec), perWeight: built.constraints / weightCount(spec), setupS: built.setupSeconds, proveS, verifyS, gas: await gasOf(built.contractName, data) });
}

function fits2p14(constraints: number, spec: MlpSpec): boolean {
  return requiredPower(constraints, 2 + spec.sizes.at(-1)!) <= 14;
}

/** Largest 64-H-10 (the bench spec's quantization) whose inference circuit fits 2^14, by bisection on H (compile only). */
async function largestMlp2p14(): Promise<{ spec: MlpSpec; constraints: number }> {
  const at = (h: number): MlpSpec => ({ ...BENCH_MLP_SPEC, sizes: [64, h, 10] });
  let lo = { h: BENCH_MLP_SPEC.sizes[1]!, constraints: await countConstraints(await inferenceCircuit(at(BENCH_MLP_SPEC.sizes[1]!))) };
  if (!fits2p14(lo.constraints, at(lo.h))) throw new Error(`${lo.h} hidden neurons do not fit 2^14`);
  let hi = 128; // does not fit: 128 x 64 lane slots alone exceed 2^14 constraints of hashing
  while (hi - lo.h > 1) {
    const h = (lo.h + hi) >> 1;
    const n = await countConstraints(await inferenceCircuit(at(h)));
    if (fits2p14(n, at(h))) lo = { h, constraints: n };
    else hi = h;
  }
  return { spec: at(lo.h), constraints: lo.constraints };
}

/** Constraints of 64-32-10 at other weight widths (compile only: no setup, no proof). */
async function widthRows(): Promise<string[]> {
  const out: string[] = [];
  for (const weightBits of [4, 5, 6, 8]) {
    const spec = { ...BENCH_MLP_SPEC, weightBits };
    const n = await countConstraints(await inferenceCircuit(spec));
    out.push(`| 64-32-10, ${weightBits}-bit weights | ${n} | ${(n / weightCount(spec)).toFixed(2)} |`);
  }
  // Leave the generated source of the benchmarked width in place.
  await inferenceCircuit(BENCH_MLP_SPEC);
  return out;
}
const widths = values["skip-large"] ? [] : await widthRows();
const reveal = await revealConstraints(specs, BENCH_MLP_SPEC); // compile only; the input commitment is always 64-32-10's
const large = values["skip-large"]
  ? undefined
  : {
      wellFormed: await countConstraints(await wellFormedCircuit(BENCH_MLP_SPEC)),
      oldSpec: await countConstraints(await inferenceCircuit(OLD_BENCH_MLP_SPEC)),
      largest: largest!,
    };

await benchMlp(irisModel.spec, irisModel);
await benchWellFormed(irisModel.spec, irisModel);
const mlpRow = values["skip-large"] ? undefined : await benchMlp(BENCH_MLP_SPEC);
let largestRow: Row | undefined;
if (large) {
  largestRow = await benchMlp(large.largest.spec);
}

console.log(`\nmedian of ${RUNS} runs, warm (witness calculator and zkey in memory); setup from the last (re)build;\nconstraints/weight = all constraints (commitment, input hash, layers) / weights; gas = eth_estimateGas of a verifyProof tx (21k base + calldata included)`);
console.log("| circuit | constraints | weights+biases | constraints/weight | setup s | prove s | verify s | verify gas (tx) |");
console.log("|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  console.log(
    `| ${r.circuit} | ${r.constraints} | ${r.weights || "-"} | ${r.weights ? r.perWeight.toFixed(2) : "-"} | ${r.setupS.toFixed(1)} | ${r.proveS.toFixed(3)} | ${r.verifyS.toFixed(3)} | ${r.gas} |`,
  );
}
if (widths.length > 0) {
  console.log("\n| weight width (compile only) | constraints | constraints/weight |\n|---|---|---|");
  widths.forEach((r) => console.log(r));
}
console.log("\n| circuit (compile only) | reveal | constraints | vs public |\n|---|---|---|---|");
reveal.rows.forEach((r) => console.log(r));
console.log(`salted input commitment, 64 inputs: ${reveal.privateInputConstraints} constraints (the salt: ${reveal.privateInputSaltConstraints})`);
if (large) {
  const wfPower = requiredPower(large.wellFormed, 1);
  console.log(`\nwellformed_64_32_10 (compile only): ${large.wellFormed} constraints, needs ptau 2^${wfPower}`);
  console.log(`inference_64_32_10 at the old spec ${JSON.stringify(OLD_BENCH_MLP_SPEC)}: ${large.oldSpec} constraints, ${(large.oldSpec / weightCount(OLD_BENCH_MLP_SPEC)).toFixed(2)}/weight`);
  console.log(`largest 64-H-10 within 2^14: ${large.largest.spec.sizes.join("-")}, ${large.largest.constraints} constraints`);
}
const mlp = mlpRow ?? rows.find((r) => r.circuit.startsWith("inference_"))!;
const digits = digitsAccuracy(); // test split of the shipped digits model (docs/ZK.md)
console.log(
  JSON.stringify({
    constraintsPerWeight: Number(mlp.perWeight.toFixed(3)),
    mlp: mlp.circuit,
    ownershipProveS: Number(rows[0]!.proveS.toFixed(3)),
    ownershipVerifyS: Number(rows[0]!.verifyS.toFixed(3)),
    ownershipVerifyGas: Number(rows[0]!.gas),
    ownershipConstraints: rows[0]!.constraints,
    mlpProveS: Number(mlp.proveS.toFixed(3)),
    mlpVerifyGas: Number(mlp.gas),
    mlpConstraints: mlp.constraints,
    mlpSetupS: Number(mlp.setupS.toFixed(1)),
    digitsAccuracyFloat: Number(digits.float.toFixed(4)),
    digitsAccuracyQuantized: Number(digits.quantized.toFixed(4)),
    privateInputConstraints: reveal.privateInputConstraints,
    privateInputSaltConstraints: reveal.privateInputSaltConstraints,
    variantConstraints: reveal.variantConstraints,
    wellFormedConstraints: large?.wellFormed ?? rows.find((r) => r.circuit.startsWith("wellformed_"))!.constraints,
    wellFormedProveS: Number(rows.find((r) => r.circuit.startsWith("wellformed_"))!.proveS.toFixed(3)),
    wellFormedVerifyGas: Number(rows.find((r) => r.circuit.startsWith("wellformed_"))!.gas),
    ...(large && largestRow
      ? {
          constraintsPerWeightOldSpec: Number((large.oldSpec / weightCount(OLD_BENCH_MLP_SPEC)).toFixed(3)),
          largestMlp2p14: large.largest.spec.sizes.join("-"),
          largestMlp2p14Constraints: large.largest.constraints,
          largestMlp2p14ProveS: Number(largestRow.proveS.toFixed(3)),
        }
      : {}),
  }),
);
await terminateCurve();
