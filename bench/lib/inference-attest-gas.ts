// Gas of ProofAttestations.setInferenceVerifier and attestInference for each reveal variant of
// the Iris 4-16-3 circuit (bench/gas.ts): a model registered with the Iris weights commitment,
// each variant's generated verifier deployed and set, one real proof attested per variant.
import type { Hex } from "viem";
import { verifierContractName } from "../../zkp/artifacts.js";
import { weightsCommitment } from "../../zkp/commitment.js";
import { inferenceCalldata, proveInference } from "../../zkp/inference.js";
import { loadIrisModel } from "../../zkp/models.js";
import { quantizeInput } from "../../zkp/quantize.js";
import { REVEAL_MODES, variantIndex } from "../../zkp/reveal-mode.js";

interface Attestations {
  write: {
    setInferenceVerifier(args: readonly [bigint, number, Hex, bigint], opts: { account: never }): Promise<Hex>;
    attestInference(args: readonly [bigint, number, readonly [bigint, bigint], readonly [readonly [bigint, bigint], readonly [bigint, bigint]], readonly [bigint, bigint], readonly bigint[]], opts: { account: never }): Promise<Hex>;
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

/** { attestInferencePublic, attestInferenceCommitted, attestInferenceArgmax } gas per transaction. */
export async function inferenceAttestGas(c: InferenceGasContext): Promise<Record<string, bigint>> {
  const iris = loadIrisModel();
  const modelId = await c.registerModel(await weightsCommitment(iris));
  const x = quantizeInput(iris.spec, [6.7, 3.0, 5.2, 2.3]);
  const out: Record<string, bigint> = {};
  for (const reveal of REVEAL_MODES) {
    const proof = await proveInference(iris, x, { reveal });
    const [pA, pB, pC, signals] = inferenceCalldata(proof);
    const variant = variantIndex(reveal);
    await c.attestations.write.setInferenceVerifier([modelId, variant, await c.deploy(verifierContractName(proof.circuit)), BigInt(signals.length)], { account: c.owner });
    const key = `attestInference${reveal.charAt(0).toUpperCase()}${reveal.slice(1)}`;
    out[key] = await c.gas(c.attestations.write.attestInference([modelId, variant, pA, pB, pC, [...signals]], { account: c.sender }));
  }
  return out;
}
