// Inference proofs: y = model(x) for the committed weights, with public [weightsCommitment, inputHash, y...].
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { circuitArtifacts } from "./artifacts.js";
import { commitLanes, inputHash } from "./commitment.js";
import { decodeSigned, encodeSigned } from "./field.js";
import { groth16Calldata, prove, verify, type ProofBundle, type VerifierCalldata } from "./groth16.js";
import { flattenLanes, laneLayers, type LaneLayer } from "./lanes.js";
import { inferenceCircuitName, type MlpSpec } from "./mlp-spec.js";
import { runQuantizedMlp, validateInput, validateQuantizedMlp, type QuantizedMlp } from "./mlp.js";

export class CircuitMismatchError extends Error {
  override name = "CircuitMismatchError";
}

export interface InferenceProof extends ProofBundle {
  /** Outputs as signed integers at scale 2^fracBits (publicSignals[2..] hold them as field elements). */
  outputs: bigint[];
  circuit: string;
}

export const SPEC_FILE = "mlp-spec.json";

/** The spec the built circuit was generated for; a model must match it exactly. */
export function builtSpec(circuit: string): MlpSpec {
  const file = join(circuitArtifacts(circuit).dir, SPEC_FILE);
  if (!existsSync(file)) throw new CircuitMismatchError(`${circuit} is not built: run \`npm run build:circuits\``);
  return JSON.parse(readFileSync(file, "utf8")) as MlpSpec;
}

/** The circuit `name(spec)` if it was built for exactly this spec; CircuitMismatchError otherwise. */
export function assertBuiltFor(spec: MlpSpec, name: (spec: MlpSpec) => string = inferenceCircuitName): string {
  const circuit = name(spec);
  const built = builtSpec(circuit);
  if (JSON.stringify(built) !== JSON.stringify(spec)) {
    throw new CircuitMismatchError(`${circuit} was built for ${JSON.stringify(built)}, model needs ${JSON.stringify(spec)}`);
  }
  return circuit;
}

export async function proveInference(model: QuantizedMlp, input: readonly bigint[]): Promise<InferenceProof> {
  const circuit = assertBuiltFor(model.spec);
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
  const bundle = await proveWithLanes(circuit, model.spec, lanes, input, outputs, diagnose);
  return { ...bundle, outputs: bundle.publicSignals.slice(2).map(decodeSigned), circuit };
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
  diagnose: () => void = () => {},
): Promise<ProofBundle> {
  const signals = {
    weightsCommitment: String(await commitLanes(spec, flattenLanes(lanes))),
    inputHash: String(await safe(() => inputHash(spec, input))),
    y: outputs.map((v) => encodeSigned(v).toString()),
    x: input.map((v) => encodeSigned(v).toString()),
    ...laneSignals(lanes),
  };
  return prove(circuit, signals, diagnose);
}

/** Commitment/hash of out-of-range values cannot be packed; the witness then fails on the range check. */
async function safe(f: () => Promise<bigint>): Promise<bigint> {
  try {
    return await f();
  } catch {
    return 0n;
  }
}

export function verifyInference(proof: ProofBundle & { circuit: string }): Promise<boolean> {
  return verify(proof.circuit, proof);
}

/** Arguments for InferenceVerifier_<sizes>.verifyProof, typed for viem. */
export function inferenceCalldata(proof: InferenceProof): VerifierCalldata {
  return groth16Calldata(proof);
}
