// Inference proofs: y = model(x) for the committed weights. Public signals per reveal mode (zkp/reveal.ts):
// [weightsCommitment, inputCommitment, y... | outputCommitment | class].
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { circuitArtifacts } from "./artifacts.js";
import { commitLanes } from "./commitment.js";
import { assertFieldElement, decodeSigned, encodeSigned } from "./field.js";
import { groth16Calldata, prove, verify, type ProofBundle, type VerifierCalldata } from "./groth16.js";
import { flattenLanes, laneLayers, type LaneLayer } from "./lanes.js";
import type { MlpSpec } from "./mlp-spec.js";
import { runQuantizedMlp, validateInput, validateQuantizedMlp, type QuantizedMlp } from "./mlp.js";
import { argmaxClass, inputCommitment, outputCommitment, randomSalt, variantCircuitName, type RevealMode } from "./reveal.js";

export class CircuitMismatchError extends Error {
  override name = "CircuitMismatchError";
}

/**
 * What the prover keeps to open the proof's commitments later (never part of a proof file):
 * the input commitment opens with (input, inputSalt), the output commitment with (outputs, outputSalt).
 */
export interface InferenceOpening {
  input: bigint[];
  inputSalt: bigint;
  /** Signed, scale 2^fracBits: the model's outputs, whatever the reveal mode published of them. */
  outputs: bigint[];
  /** committed mode only. */
  outputSalt?: bigint;
}

export interface InferenceProof extends ProofBundle {
  /** Public outputs as signed integers at scale 2^fracBits (publicSignals[2..]); empty unless reveal is public. */
  outputs: bigint[];
  circuit: string;
  reveal: RevealMode;
  /** argmax mode: the proven class (publicSignals[2]). */
  predictedClass?: number;
  opening: InferenceOpening;
}

export interface ProveInferenceOptions {
  /** What the proof publishes of the outputs (default public). */
  reveal?: RevealMode;
  /** Salts are random field elements by default; pass them only to reproduce a commitment (tests, vectors). */
  inputSalt?: bigint;
  outputSalt?: bigint;
  /** argmax mode: claim this class instead of the computed one (the witness then fails: for tests). */
  claimedClass?: number;
}

export const SPEC_FILE = "mlp-spec.json";

/** The spec the built circuit was generated for; a model must match it exactly. */
export function builtSpec(circuit: string): MlpSpec {
  const file = join(circuitArtifacts(circuit).dir, SPEC_FILE);
  if (!existsSync(file)) throw new CircuitMismatchError(`${circuit} is not built: run \`npm run build:circuits\``);
  return JSON.parse(readFileSync(file, "utf8")) as MlpSpec;
}

/** The circuit `name(spec)` if it was built for exactly this spec; CircuitMismatchError otherwise. */
export function assertBuiltFor(spec: MlpSpec, name: (spec: MlpSpec) => string = (s) => variantCircuitName(s, "public")): string {
  const circuit = name(spec);
  const built = builtSpec(circuit);
  if (JSON.stringify(built) !== JSON.stringify(spec)) {
    throw new CircuitMismatchError(`${circuit} was built for ${JSON.stringify(built)}, model needs ${JSON.stringify(spec)}`);
  }
  return circuit;
}

export async function proveInference(model: QuantizedMlp, input: readonly bigint[], options: ProveInferenceOptions = {}): Promise<InferenceProof> {
  const reveal = options.reveal ?? "public";
  const circuit = assertBuiltFor(model.spec, (spec) => variantCircuitName(spec, reveal));
  // The circuit does not range-check the weights (the well-formedness proof does): refuse an
  // out-of-range one here. The reference fills in the public outputs; a circuit that disagreed
  // with it could not produce a witness. Inputs are passed unchecked so the witness error path stays real.
  validateQuantizedMlp(model);
  const lanes = laneLayers(model);
  const diagnose = (): void => validateInput(model.spec, input);
  let outputs: bigint[];
  try {
    outputs = runQuantizedMlp(model, input);
  } catch {
    outputs = new Array<bigint>(model.spec.sizes.at(-1)!).fill(0n);
  }
  const { bundle, opening } = await proveWithLanes(circuit, model.spec, lanes, input, outputs, { ...options, reveal }, diagnose);
  return {
    ...bundle,
    outputs: reveal === "public" ? bundle.publicSignals.slice(2).map(decodeSigned) : [],
    circuit,
    reveal,
    ...(reveal === "argmax" ? { predictedClass: Number(bundle.publicSignals[2]) } : {}),
    opening,
  };
}

/** The witness inputs wl<l>, bl<l> of a circuit that takes lane elements. */
export function laneSignals(lanes: readonly LaneLayer[]): Record<string, string[] | string[][]> {
  const signals: Record<string, string[] | string[][]> = {};
  lanes.forEach((layer, l) => {
    signals[`wl${l}`] = layer.weights.map((row) => row.map(String));
    signals[`bl${l}`] = layer.biases.map(String);
  });
  return signals;
}

/**
 * Proves y = outputs for the given lane elements, as they are: the circuit does not range-check
 * lanes (the well-formedness proof does), so this also proves for malformed lanes; exposed for
 * the soundness tests that show why an inference proof needs a well-formedness attestation.
 */
export async function proveWithLanes(
  circuit: string,
  spec: MlpSpec,
  lanes: readonly LaneLayer[],
  input: readonly bigint[],
  outputs: readonly bigint[],
  options: ProveInferenceOptions = {},
  diagnose: () => void = () => {},
): Promise<{ bundle: ProofBundle; opening: InferenceOpening }> {
  const reveal = options.reveal ?? "public";
  const inputSalt = assertFieldElement("inputSalt", options.inputSalt ?? randomSalt());
  const outputSalt = reveal === "committed" ? assertFieldElement("outputSalt", options.outputSalt ?? randomSalt()) : undefined;
  const signals: Record<string, string | string[] | string[][]> = {
    weightsCommitment: String(await commitLanes(spec, flattenLanes(lanes))),
    inputCommitment: String(await safe(() => inputCommitment(spec, input, inputSalt))),
    inputSalt: String(inputSalt),
    x: input.map((v) => encodeSigned(v).toString()),
    ...laneSignals(lanes),
  };
  if (reveal === "public") signals.y = outputs.map((v) => encodeSigned(v).toString());
  if (outputSalt !== undefined) {
    signals.outputCommitment = String(await outputCommitment(spec, outputs, outputSalt));
    signals.outputSalt = String(outputSalt);
  }
  if (reveal === "argmax") signals.class = String(options.claimedClass ?? argmaxClass(outputs));
  const bundle = await prove(circuit, signals, diagnose);
  const opening: InferenceOpening = { input: [...input], inputSalt, outputs: [...outputs], ...(outputSalt === undefined ? {} : { outputSalt }) };
  return { bundle, opening };
}

/** Commitment/hash of out-of-range values cannot be packed; the witness then fails on the range check. */
async function safe(f: () => Promise<bigint>): Promise<bigint> {
  try {
    return await f();
  } catch {
    return 0n;
  }
}

/** Off-chain check with the circuit's verification key (the circuit name says the reveal mode). */
export function verifyInference(proof: ProofBundle & { circuit: string }): Promise<boolean> {
  return verify(proof.circuit, proof);
}

/** Arguments for InferenceVerifier_<sizes>.verifyProof, typed for viem. */
export function inferenceCalldata(proof: InferenceProof): VerifierCalldata {
  return groth16Calldata(proof);
}
