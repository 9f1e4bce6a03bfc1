/**
 * Well-formedness proof files (docs/ZK.md): made once per registered version by whoever holds
 * the model (its owner, at publish), they show that every committed lane holds an in-range
 * weight, which the inference circuit relies on without checking. ProofAttestations records it
 * per (model, version); attestInference refuses a version without it.
 */
import type { Address } from "viem";
import type { ChainClient } from "./client.js";
import { ProofError, attestations, modelVersion, proofFileOf, registeredModel, type ProofFile } from "./proofs.js";
import type { TxResult } from "./types.js";

export interface ProveWellFormedOptions {
  modelId: bigint;
  /** The model (safetensors file or directory): it must commit to the registered weights commitment. */
  weightsPath: string;
  /** Who made it (informative). */
  prover: Address;
}

/** A well-formedness proof file for the model's current version's weights commitment. */
export async function proveWellFormedFile(chain: ChainClient, options: ProveWellFormedOptions): Promise<ProofFile> {
  const { version, record } = await modelVersion(chain, options.modelId);
  const model = await registeredModel(options.weightsPath, record, `model ${options.modelId} version ${version}`);
  const { proveWellFormed } = await import("../../zkp/wellformed.js");
  return proofFileOf(chain, "wellformed", options.modelId, version, options.prover, await proveWellFormed(model));
}

/** eth_call to the model's well-formedness verifier (NO_WELLFORMED_VERIFIER when its owner set none). */
export async function wellFormedOnChain(chain: ChainClient, modelId: bigint, file: ProofFile, signals: bigint[]): Promise<boolean> {
  const verifier = await attestations(chain).read.wellFormedVerifier([modelId]);
  if (/^0x0{40}$/.test(verifier)) throw new ProofError("NO_WELLFORMED_VERIFIER", `model ${modelId} has no well-formedness verifier set: its owner sets one with \`modelvault model verifier ${modelId} --architecture NAME\``);
  const [{ groth16VerifierAbi }, { groth16Calldata }] = await Promise.all([import("../../zkp/verifier-abi.js"), import("../../zkp/groth16.js")]);
  const [a, b, c] = groth16Calldata({ proof: file.proof, publicSignals: signals });
  try {
    return await chain.publicClient.readContract({ address: verifier, abi: groth16VerifierAbi(1), functionName: "verifyProof", args: [a, b, c, [signals[0]!]] });
  } catch {
    return false; // a verifier of another shape reverts
  }
}

/**
 * Sends ProofAttestations.attestWellFormed from the client's account (anyone may), after the
 * checks the contract would make: the current version's commitment, not yet attested, a proof
 * the model's verifier accepts (eth_call first, so no gas is spent on a bad one).
 */
export async function attestWellFormedFile(chain: ChainClient, file: ProofFile): Promise<TxResult & { modelId: string; version: number }> {
  if (file.kind !== "wellformed") throw new ProofError("PROOF_FILE_INVALID", `attest wellformed takes a well-formedness proof, this one is ${file.kind}`);
  const contract = attestations(chain);
  const modelId = BigInt(file.modelId);
  const { version, record } = await modelVersion(chain, modelId);
  const signals = file.publicSignals.map(BigInt);
  if (signals[0] !== record.weightsCommitment) throw new ProofError("WEIGHTS_MISMATCH", `the proof's weights commitment is not model ${modelId}'s current version ${version}'s`);
  if (await contract.read.wellFormedAttested([modelId, version])) throw new ProofError("ALREADY_ATTESTED", `model ${modelId} version ${version} is already attested well-formed`);
  if (!(await wellFormedOnChain(chain, modelId, file, signals))) throw new ProofError("PROOF_INVALID", `the proof is invalid: model ${modelId}'s well-formedness verifier refuses it`);
  const { groth16Calldata } = await import("../../zkp/groth16.js");
  const [a, b, c] = groth16Calldata({ proof: file.proof, publicSignals: signals });
  const result = await chain.write("attestations", "attestWellFormed", [modelId, a, b, c, [signals[0]!]]);
  return { txHash: result.txHash, blockNumber: result.blockNumber, modelId: file.modelId, version };
}
