/**
 * `architecture` of a registering publish (POST /v1/models?register=true&architecture=NAME, or
 * with rotate=ID): the deployment's inference verifier of that architecture is checked before
 * anything is published, and set for the model (ProofAttestations.setInferenceVerifier, one more
 * transaction from the node's account) once it is registered, with the architecture's
 * well-formedness verifier (setWellFormedVerifier, one more). node/chain/verifiers.ts does both.
 * The well-formedness proof itself is made and attested afterwards (`prove wellformed`, `attest wellformed`).
 */
import type { ChainClient } from "../chain/index.js";
import { ApiError } from "./errors.js";

/** What the answer says about the verifier: set (txHash null when it already was), or why not. */
export type PublishVerifierAnswer =
  | { architecture: string; verifier: string; signals: number; txHash: string | null; wellFormedVerifier: string | null; wellFormedTxHash: string | null }
  | { architecture: string; error: { code: string; message: string } };

/** The architecture's verifier, checked before the publish: 400 with the refusal's code otherwise. */
export async function checkPublishVerifier(chain: ChainClient, architecture: string): Promise<string> {
  const { resolveVerifier, VerifierError } = await import("../chain/verifiers.js");
  try {
    return (await resolveVerifier(chain, { architecture })).architecture!;
  } catch (error) {
    if (error instanceof VerifierError) throw new ApiError(error.code === "NO_ATTESTATIONS" ? 409 : 400, error.code, error.message);
    throw error;
  }
}

/**
 * Sets the model's inference verifier after it was registered. The model is registered whatever
 * happens here, so a failure is reported in the answer (with the command that retries it), not
 * as the publish's error.
 */
export async function setPublishVerifier(chain: ChainClient, modelId: bigint, architecture: string): Promise<PublishVerifierAnswer> {
  const { setInferenceVerifier } = await import("../chain/verifiers.js");
  try {
    const result = await setInferenceVerifier(chain, modelId, { architecture });
    return {
      architecture,
      verifier: result.verifier!,
      signals: result.signals,
      txHash: result.tx?.txHash ?? null,
      wellFormedVerifier: result.wellFormedVerifier,
      wellFormedTxHash: result.wellFormedTx?.txHash ?? null,
    };
  } catch (error) {
    const code = typeof (error as { code?: unknown }).code === "string" ? (error as { code: string }).code : "INTERNAL";
    const message = `${error instanceof Error ? error.message : String(error)}; the model is registered: set its verifier with \`modelvault model verifier ${modelId} --architecture ${architecture}\``;
    return { architecture, error: { code, message } };
  }
}
