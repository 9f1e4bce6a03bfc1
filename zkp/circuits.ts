// The circuits this project builds: CI ones (fit a 2^12 ptau) and benchmark-only ones.
import { join } from "node:path";
import { PROJECT_ROOT, verifierContractName } from "./artifacts.js";
import { writeFileSync } from "node:fs";
import { SPEC_FILE } from "./inference.js";
import { writeInferenceCircuit, writeWellFormedCircuit } from "./mlp-circuit.js";
import { inferenceCircuitName, wellFormedCircuitName, type MlpSpec } from "./mlp-spec.js";
import { BENCH_MLP_SPEC, loadIrisModel } from "./models.js";
import { buildCircuit, type BuildOptions, type BuildResult, type CircuitSpec } from "./build.js";

export const OWNERSHIP: CircuitSpec = {
  name: "ownership",
  source: join(PROJECT_ROOT, "circuits", "ownership.circom"),
  contractName: verifierContractName("ownership"),
};

export interface BuildAllOptions extends BuildOptions {
  /** Also build the benchmark-only circuits (need a bigger ptau). */
  bench?: boolean;
  /** Restrict to these circuit names. */
  only?: string[];
}

export interface InferenceCircuitSpec extends CircuitSpec {
  mlp: MlpSpec;
}

export async function inferenceCircuit(mlp: MlpSpec): Promise<InferenceCircuitSpec> {
  const name = inferenceCircuitName(mlp);
  return { name, source: await writeInferenceCircuit(mlp), contractName: verifierContractName(name), mlp };
}

export async function wellFormedCircuit(mlp: MlpSpec): Promise<InferenceCircuitSpec> {
  const name = wellFormedCircuitName(mlp);
  return { name, source: await writeWellFormedCircuit(mlp), contractName: verifierContractName(name), mlp };
}

/** Builds an inference (or well-formedness) circuit and records the MLP spec it was generated for (checked when proving). */
export async function buildInference(spec: InferenceCircuitSpec, opts: BuildOptions = {}): Promise<BuildResult> {
  const res = await buildCircuit(spec, opts);
  writeFileSync(join(res.dir, SPEC_FILE), JSON.stringify(spec.mlp));
  return res;
}

/** CI circuits: ownership and the shipped Iris model's architecture (inference and well-formedness); bench adds 64-32-10. */
export async function circuitSpecs(bench: boolean): Promise<CircuitSpec[]> {
  const mlps = [loadIrisModel().spec, ...(bench ? [BENCH_MLP_SPEC] : [])];
  const specs: CircuitSpec[] = [OWNERSHIP];
  for (const mlp of mlps) specs.push(await inferenceCircuit(mlp), await wellFormedCircuit(mlp));
  return specs;
}

export async function buildAll(opts: BuildAllOptions = {}): Promise<BuildResult[]> {
  const specs = (await circuitSpecs(opts.bench ?? false)).filter((s) => !opts.only || opts.only.includes(s.name));
  const results: BuildResult[] = [];
  for (const spec of specs) results.push("mlp" in spec ? await buildInference(spec as InferenceCircuitSpec, opts) : await buildCircuit(spec, opts));
  return results;
}
