// Well-formedness proofs, made once per registered weights commitment: every lane of every
// committed element holds an in-range weight or bias digit (circuits/lib/mlp.circom LaneDigits).
// An inference proof is worth nothing without one for the same commitment (docs/ZK.md).
import { commitLanes } from "./commitment.js";
import { groth16Calldata, prove, verify, type ProofBundle, type VerifierCalldata } from "./groth16.js";
import { assertBuiltFor, laneSignals } from "./inference.js";
import { flattenLanes, laneLayers, type LaneLayer } from "./lanes.js";
import { wellFormedCircuitName, type MlpSpec } from "./mlp-spec.js";
import { validateQuantizedMlp, type QuantizedMlp } from "./mlp.js";

export interface WellFormedProof extends ProofBundle {
  /** "wellformed_4_16_3"; publicSignals = [weightsCommitment]. */
  circuit: string;
}

/** A well-formedness proof of the model's weights commitment; QuantizedModelError names an out-of-range parameter. */
export async function proveWellFormed(model: QuantizedMlp): Promise<WellFormedProof> {
  validateQuantizedMlp(model);
  return proveWellFormedLanes(model.spec, laneLayers(model));
}

/** Proves for lane elements as given: a malformed lane makes the witness fail (WitnessError). */
export async function proveWellFormedLanes(spec: MlpSpec, lanes: readonly LaneLayer[]): Promise<WellFormedProof> {
  const circuit = assertBuiltFor(spec, wellFormedCircuitName);
  const signals = { weightsCommitment: String(await commitLanes(spec, flattenLanes(lanes))), ...laneSignals(lanes) };
  return { ...(await prove(circuit, signals)), circuit };
}

export function verifyWellFormed(proof: ProofBundle & { circuit: string }): Promise<boolean> {
  return verify(proof.circuit, proof);
}

/** Arguments for WellformedVerifier_<sizes>.verifyProof, typed for viem. */
export function wellFormedCalldata(proof: WellFormedProof): VerifierCalldata<readonly [bigint]> {
  return groth16Calldata(proof) as VerifierCalldata<readonly [bigint]>;
}
