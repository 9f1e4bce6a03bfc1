// Inference proofs: y = model(x) for the committed weights, with public [weightsCommitment, inputHash, y...].
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { circuitArtifacts } from "./artifacts.js";
import { inputHash, weightsCommitment } from "./commitment.js";
import { decodeSigned, encodeSigned } from "./field.js";
import { groth16Calldata, prove, verify, type ProofBundle, type VerifierCalldata } from "./groth16.js";
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

function assertBuiltFor(spec: MlpSpec): string {
  const circuit = inferenceCircuitName(spec);
  const built = builtSpec(circuit);
  if (JSON.stringify(built) !== JSON.stringify(spec)) {
    throw new CircuitMismatchError(`${circuit} was built for ${JSON.stringify(built)}, model needs ${JSON.stringify(spec)}`);
  }
  return circuit;
}

export async function proveInference(model: QuantizedMlp, input: readonly bigint[]): Promise<InferenceProof> {
  const circuit = assertBuiltFor(model.spec);
  // The reference fills in the public outputs; a circuit that disagreed with it could not
  // produce a witness. Inputs are passed unchecked so the witness error path stays real.
  const diagnose = (): void => {
    validateQuantizedMlp(model);
    validateInput(model.spec, input);
  };
  let outputs: bigint[];
  try {
    outputs = runQuantizedMlp(model, input);
  } catch {
    outputs = new Array<bigint>(model.spec.sizes.at(-1)!).fill(0n);
  }
  const signals: Record<string, string | string[] | string[][]> = {
    weightsCommitment: String(await safe(() => weightsCommitment(model))),
    inputHash: String(await safe(() => inputHash(model.spec, input))),
    y: outputs.map((v) => encodeSigned(v).toString()),
    x: input.map((v) => encodeSigned(v).toString()),
  };
  model.layers.forEach((layer, l) => {
    signals[`w${l}`] = layer.weights.map((row) => row.map((w) => encodeSigned(w).toString()));
    signals[`b${l}`] = layer.biases.map((b) => encodeSigned(b).toString());
  });
  const bundle = await prove(circuit, signals, diagnose);
  return { ...bundle, outputs: bundle.publicSignals.slice(2).map(decodeSigned), circuit };
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
