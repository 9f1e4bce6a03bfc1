// Gas of ProofAttestations' inference path for the Iris 4-16-3 architecture (bench/gas.ts): a
// model registered with the Iris weights commitment, its well-formedness verifier set and one
// well-formedness proof attested (an inference counts only after it), then each reveal variant's
// generated verifier deployed and set, and one real proof attested per variant.
import type { Hex } from "viem";
import { verifierContractName } from "../../zkp/artifacts.js";
import { weightsCommitment } from "../../zkp/commitment.js";
import { inferenceCalldata, proveInference } from "../../zkp/inference.js";
import { wellFormedCircuitName } from "../../zkp/mlp-spec.js";
import { loadIrisModel } from "../../zkp/models.js";
import { quantizeInput } from "../../zkp/quantize.js";
import { REVEAL_MODES, variantIndex } from "../../zkp/reveal-mode.js";
import { proveWellFormed, wellFormedCalldata } from "../../zkp/wellformed.js";

type Point = readonly [bigint, bigint];
type G2 = readonly [Point, Point];

interface Attestations {
  write: {
    setInferenceVerifier(args: readonly [bigint, number, Hex, bigint], opts: { account: never }): Promise<Hex>;
    attestInference(args: readonly [bigint, number, Point, G2, Point, readonly bigint[]], opts: { account: never }): Promise<Hex>;
    setWellFormedVerifier(args: readonly [bigint, Hex], opts: { account: never }): Promise<Hex>;
    attestWellFormed(args: readonly [bigint, Point, G2, Point, readonly [bigint]], opts: { account: never }): Promise<Hex>;
  };
}

export interface InferenceGasContext {
  attestations: Attestations;
  /** Registers a model with this weights commitment from the owner; resolves to its id. */
  registerModel: (weightsCommitment: bigint) => Promise<bigint>;
  deploy: (contract: string) => Promise<Hex>;
  gas: (tx: Promise<Hex>) => Promise<bigint>;
  owner: never;
  sender: never;
}

/**
 * { setWellFormedVerifier, attestWellFormed, setInferenceVerifier (public),
 *   attestInferencePublic, attestInferenceCommitted, attestInferenceArgmax } gas per transaction.
 */
export async function inferenceAttestGas(c: InferenceGasContext): Promise<Record<string, bigint>> {
  const iris = loadIrisModel();
  const modelId = await c.registerModel(await weightsCommitment(iris));
  const out: Record<string, bigint> = {};
  const wfVerifier = await c.deploy(verifierContractName(wellFormedCircuitName(iris.spec)));
  out.setWellFormedVerifier = await c.gas(c.attestations.write.setWellFormedVerifier([modelId, wfVerifier], { account: c.owner }));
  out.attestWellFormed = await c.gas(c.attestations.write.attestWellFormed([modelId, ...wellFormedCalldata(await proveWellFormed(iris))], { account: c.sender }));
  const x = quantizeInput(iris.spec, [6.7, 3.0, 5.2, 2.3]);
  for (const reveal of REVEAL_MODES) {
    const proof = await proveInference(iris, x, { reveal });
    const [pA, pB, pC, signals] = inferenceCalldata(proof);
    const variant = variantIndex(reveal);
    const set = c.gas(c.attestations.write.setInferenceVerifier([modelId, variant, await c.deploy(verifierContractName(proof.circuit)), BigInt(signals.length)], { account: c.owner }));
    if (reveal === "public") out.setInferenceVerifier = await set;
    else await set;
    const key = `attestInference${reveal.charAt(0).toUpperCase()}${reveal.slice(1)}`;
    out[key] = await c.gas(c.attestations.write.attestInference([modelId, variant, pA, pB, pC, [...signals]], { account: c.sender }));
  }
  return out;
}
