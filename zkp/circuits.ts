// The circuits this project builds: CI ones (fit a 2^12 ptau) and benchmark-only ones.
import { join } from "node:path";
import { PROJECT_ROOT, verifierContractName } from "./artifacts.js";
import { writeFileSync } from "node:fs";
import { SPEC_FILE } from "./inference.js";
import { writeInferenceCircuit, writeWellFormedCircuit } from "./mlp-circuit.js";
import { wellFormedCircuitName, type MlpSpec } from "./mlp-spec.js";
import { REVEAL_MODES, variantCircuitName, type RevealMode } from "./reveal.js";
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

/** A circuit generated for one MLP architecture (inference or well-formedness). */
export interface MlpCircuitSpec extends CircuitSpec {
  mlp: MlpSpec;
}

export interface InferenceCircuitSpec extends MlpCircuitSpec {
  reveal: RevealMode;
}

/** One variant of an architecture's inference circuit (zkp/reveal.ts): public outputs by default. */
export async function inferenceCircuit(mlp: MlpSpec, reveal: RevealMode = "public"): Promise<InferenceCircuitSpec> {
  const name = variantCircuitName(mlp, reveal);
  return { name, source: await writeInferenceCircuit(mlp, reveal), contractName: verifierContractName(name), mlp, reveal };
}

/** The well-formedness circuit of an architecture's committed lane elements (zkp/lanes.ts). */
export async function wellFormedCircuit(mlp: MlpSpec): Promise<MlpCircuitSpec> {
  const name = wellFormedCircuitName(mlp);
  return { name, source: await writeWellFormedCircuit(mlp), contractName: verifierContractName(name), mlp };
}

/** Builds an inference (or well-formedness) circuit and records the MLP spec it was generated for (checked when proving). */
export async function buildInference(spec: MlpCircuitSpec, opts: BuildOptions = {}): Promise<BuildResult> {
  const res = await buildCircuit(spec, opts);
  writeFileSync(join(res.dir, SPEC_FILE), JSON.stringify(spec.mlp));
  return res;
}

/**
 * CI circuits: ownership, and for the shipped Iris model's architecture every reveal variant of
 * the inference and the well-formedness circuit; bench adds 64-32-10 (public) and its well-formedness.
 */
export async function circuitSpecs(bench: boolean): Promise<CircuitSpec[]> {
  const iris = (await loadIrisModel()).spec;
  const specs: CircuitSpec[] = [OWNERSHIP];
  for (const mode of REVEAL_MODES) specs.push(await inferenceCircuit(iris, mode));
  specs.push(await wellFormedCircuit(iris));
  if (bench) specs.push(await inferenceCircuit(BENCH_MLP_SPEC), await wellFormedCircuit(BENCH_MLP_SPEC));
  return specs;
}

export async function buildAll(opts: BuildAllOptions = {}): Promise<BuildResult[]> {
  const specs = (await circuitSpecs(opts.bench ?? false)).filter((s) => !opts.only || opts.only.includes(s.name));
  const results: BuildResult[] = [];
  for (const spec of specs) results.push("mlp" in spec ? await buildInference(spec as MlpCircuitSpec, opts) : await buildCircuit(spec, opts));
  return results;
}
