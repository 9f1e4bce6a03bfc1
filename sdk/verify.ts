/** Proof verification: ownership and inference proofs, off chain (snarkjs) or by a verifier contract. */
import type { Address } from "viem";
import { modelVaultAbi } from "../contracts/abi/ModelVault.js";
import { proofAttestationsAbi } from "../contracts/abi/ProofAttestations.js";
import type { ProofVerification, VerifyProofParams } from "./client-types.js";
import { checkModelId, type ClientRef, type SdkContext } from "./context.js";
import { SdkError } from "./errors.js";
import { fieldSignals, groth16Calldata, verifierAbi, verifyGroth16, type ProofKind } from "./proofs.js";
import { isRevealMode, variantIndex, variantSignalCount, type RevealMode } from "../zkp/reveal-mode.js";

export function proofCalls({ publicClient, deployment, vault, read }: SdkContext, client: ClientRef) {
  async function verifierFor(kind: ProofKind, modelId: bigint | undefined, reveal: RevealMode): Promise<Address> {
    const attestations = deployment.contracts.ProofAttestations ?? undefined;
    if (kind === "ownership") {
      if (deployment.contracts.OwnershipVerifier) return deployment.contracts.OwnershipVerifier;
      if (attestations !== undefined) {
        return read("ownershipVerifier", () => publicClient.readContract({ address: attestations, abi: proofAttestationsAbi, functionName: "ownershipVerifier" }));
      }
      throw new SdkError("NO_VERIFIER", "the deployment has no OwnershipVerifier: pass `verifier` or a `verificationKey`");
    }
    if (attestations === undefined || modelId === undefined) {
      throw new SdkError("NO_VERIFIER", "an inference proof is checked on chain by the model's verifier: pass `modelId` (with a ProofAttestations deployment), `verifier` or a `verificationKey`");
    }
    const verifier = await read("inferenceVerifier", () =>
      publicClient.readContract({ address: attestations, abi: proofAttestationsAbi, functionName: "inferenceVerifier", args: [modelId, variantIndex(reveal)] }),
    );
    if (/^0x0{40}$/.test(verifier)) throw new SdkError("NO_VERIFIER", `model ${modelId} has no ${reveal} inference verifier set`);
    return verifier;
  }

  return {
    /**
     * Checks an ownership or inference proof: the signals against the registered commitments
     * (with `modelId`, as ProofAttestations does), then the proof itself, off chain with snarkjs
     * when a verification key is given, else by the deployed verifier contract.
     */
    async verifyProof(params: VerifyProofParams): Promise<ProofVerification> {
      const method: ProofVerification["method"] = params.verificationKey === undefined ? "verifier-contract" : "snarkjs";
      const invalid = (reason: string, verifier?: Address): ProofVerification => ({ valid: false, method, reason, ...(verifier ? { verifier } : {}) });
      if (params.kind !== "ownership" && params.kind !== "inference") throw new SdkError("INVALID_ARGUMENT", "kind must be \"ownership\" or \"inference\"");
      const reveal = params.reveal ?? "public";
      if (!isRevealMode(reveal)) throw new SdkError("INVALID_ARGUMENT", "reveal must be \"public\", \"committed\" or \"argmax\"");
      let signals: bigint[];
      let calldata: ReturnType<typeof groth16Calldata>;
      try {
        signals = fieldSignals(params.publicSignals);
        calldata = groth16Calldata(params.proof, signals);
      } catch (error) {
        if (error instanceof SdkError && error.code === "INVALID_PROOF") return invalid(error.message);
        throw error;
      }
      if (params.kind === "ownership" && signals.length !== 5) return invalid(`an ownership proof has 5 public signals, not ${signals.length}`);
      if (params.kind === "inference" && (signals.length < 3 || signals.length > 64)) return invalid(`an inference proof has 3..64 public signals, not ${signals.length}`);
      if (params.kind === "inference" && reveal !== "public" && signals.length !== variantSignalCount(0, reveal)) return invalid(`a ${reveal} inference proof has 3 public signals, not ${signals.length}`);
      if (params.claimant !== undefined && params.kind === "ownership" && signals[2] !== BigInt(params.claimant)) {
        return invalid(`the proof is bound to claimant ${signals[2]}, not ${params.claimant}`);
      }
      if (params.modelId !== undefined) {
        const modelId = checkModelId(params.modelId);
        const version = params.version ?? (await client().getModel(modelId)).version;
        const [weights, owner] = await read("commitments", () =>
          publicClient.readContract({ address: vault, abi: modelVaultAbi, functionName: "commitments", args: [modelId, version] }),
        );
        if (signals[0] !== weights) return invalid(`weights commitment ${signals[0]} is not model ${modelId} v${version}'s ${weights}`);
        if (params.kind === "ownership") {
          if (signals[1] !== owner) return invalid(`owner commitment ${signals[1]} is not model ${modelId} v${version}'s ${owner}`);
          if (signals[3] !== modelId) return invalid(`the proof is for model ${signals[3]}, not ${modelId}`);
        } else {
          // The inference circuit trusts the committed lanes to be in range: only a version attested well-formed gives its proof meaning.
          const attestations = deployment.contracts.ProofAttestations ?? undefined;
          const wellFormed = attestations !== undefined && (await read("wellFormedAttested", () =>
            publicClient.readContract({ address: attestations, abi: proofAttestationsAbi, functionName: "wellFormedAttested", args: [modelId, version] }),
          ));
          if (!wellFormed) return invalid(`model ${modelId} v${version} is not attested well-formed: an inference proof of it proves nothing`);
        }
      }
      if (params.verificationKey !== undefined) {
        const valid = await verifyGroth16(params.verificationKey, params.proof, signals);
        return valid ? { valid, method } : invalid("the proof does not verify against the verification key");
      }
      const verifier = params.verifier ?? (await verifierFor(params.kind, params.modelId, reveal));
      const [pA, pB, pC] = calldata;
      const valid = await read("verifyProof", () =>
        publicClient.readContract({ address: verifier, abi: verifierAbi(signals.length), functionName: "verifyProof", args: [pA, pB, pC, signals] }) as Promise<boolean>,
      );
      return valid ? { valid, method, verifier } : invalid("the verifier contract rejected the proof", verifier);
    },
  };
}
