/**
 * Proof files (docs/ZK.md "Proof files"): an ownership or inference Groth16 proof about a
 * registered model, made here, checked against the commitments the CHAIN registered for the
 * model and version (never what the file claims), off chain with the built verification key or
 * on chain by eth_call to the deployed verifier contracts, and attested through ProofAttestations.
 * The zkp modules (snarkjs, Poseidon) load on first use only.
 */
import type { Groth16Proof } from "snarkjs";
import { getAddress, isAddress, type Address } from "viem";
import { NodeError } from "../errors.js";
import type { ChainClient } from "./client.js";
import type { TxResult } from "./types.js";
import { openingChecks, openingFile, type InferenceOpeningFile } from "./openings.js";
import { isRevealMode, revealModeOf, variantIndex, variantSignalCount, type RevealMode } from "../../zkp/reveal-mode.js";

export const PROOF_FORMAT = "modelvault-proof/1";
const FIELD_P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

export interface ProofFile {
  format: typeof PROOF_FORMAT;
  kind: "ownership" | "inference" | "wellformed";
  /** The circuit (and so verification key) it was made with: "ownership", "inference_4_16_3", "inference_4_16_3_argmax", "wellformed_4_16_3". */
  circuit: string;
  /** Inference: what the proof publishes of the output (= the circuit's variant; absent in files from before variants: public). */
  reveal?: RevealMode;
  chainId: number;
  modelId: string;
  /** The version whose commitments it was made against. */
  version: number;
  /** Ownership: the claimant it is bound to (publicSignals[2]); inference, wellformed: who made it (informative). */
  prover: Address;
  /** Public signals in circuit order, decimal field elements. */
  publicSignals: string[];
  proof: Groth16Proof;
  /** Inference, public variant: y as signed integers at scale 2^fracBits (decimal). */
  outputs?: string[];
  /** Inference, argmax variant: the proven class (= publicSignals[2]). */
  predictedClass?: number;
  createdAt: string;
}

/** A proof file that is malformed, or a proof that cannot be made (secret does not match...). */
export class ProofError extends NodeError {}

/** What verifying a proof file found; `valid` only when every check held. */
export interface ProofVerdict {
  valid: boolean;
  /** Why not, when invalid. */
  reason?: string;
  kind: ProofFile["kind"];
  modelId: string;
  version: number;
  method: "off-chain" | "on-chain";
  /** Inference: the variant it was checked as. */
  reveal?: RevealMode;
  /** Ownership: the address the proof is bound to. */
  claimant?: Address;
  /** Ownership, on chain: whether the nonce was already used for an attestation. */
  nonceUsed?: boolean;
  checks: Record<string, boolean>;
}

const decimal = /^[0-9]{1,78}$/;

/** Parses and shape-checks a proof file's text. */
export function parseProofFile(text: string): ProofFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProofError("PROOF_FILE_INVALID", "the proof file is not JSON");
  }
  const f = value as Partial<ProofFile>;
  const bad = (what: string): never => {
    throw new ProofError("PROOF_FILE_INVALID", `the proof file's ${what}`);
  };
  if (typeof f !== "object" || f === null) bad("content is not an object");
  if (f.format !== PROOF_FORMAT) bad(`format is not ${PROOF_FORMAT}`);
  if (f.kind !== "ownership" && f.kind !== "inference" && f.kind !== "wellformed") bad("kind is not ownership, inference or wellformed");
  if (typeof f.circuit !== "string" || !/^(ownership|inference(_[0-9]{1,4}){2,8}(_committed|_argmax)?|wellformed(_[0-9]{1,4}){2,8})$/.test(f.circuit)) bad("circuit is not a circuit name");
  if (f.circuit!.split("_")[0] !== f.kind) bad("circuit does not match its kind");
  if (f.reveal !== undefined && (f.kind !== "inference" || !isRevealMode(f.reveal) || f.reveal !== revealModeOf(f.circuit!))) bad("reveal is not its circuit's variant");
  if (typeof f.modelId !== "string" || !/^[1-9][0-9]{0,76}$/.test(f.modelId)) bad("modelId is not a model id");
  if (!Number.isSafeInteger(f.version) || f.version! < 1) bad("version is not a version number");
  if (typeof f.prover !== "string" || !isAddress(f.prover)) bad("prover is not an address");
  const signals = f.publicSignals;
  if (!Array.isArray(signals) || !signals.every((s) => typeof s === "string" && decimal.test(s) && BigInt(s) < FIELD_P)) bad("publicSignals are not decimal field elements");
  const count = signals!.length;
  if (f.kind === "ownership" ? count !== 5 : f.kind === "wellformed" ? count !== 1 : count < 3 || count > 64) bad("publicSignals have the wrong count");
  if (f.kind === "inference" && revealModeOf(f.circuit!) !== "public" && count !== variantSignalCount(0, revealModeOf(f.circuit!))) bad("publicSignals have the wrong count");
  const p = f.proof as Groth16Proof | undefined;
  const point = (v: unknown, n: number) => Array.isArray(v) && v.length >= n && v.every((x) => typeof x === "string" && decimal.test(x));
  if (typeof p !== "object" || p === null || !point(p.pi_a, 2) || !point(p.pi_c, 2) || !Array.isArray(p.pi_b) || p.pi_b.length < 2 || !p.pi_b.every((row) => point(row, 2))) {
    bad("proof is not a Groth16 proof");
  }
  return f as ProofFile;
}

export async function modelVersion(chain: ChainClient, modelId: bigint, version?: number) {
  const state = await chain.modelState(modelId);
  if (state === null) throw new ProofError("UNKNOWN_MODEL", `model ${modelId} is not registered`);
  const v = version ?? state.version;
  const record = await chain.version(modelId, v);
  if (record === null) throw new ProofError("UNKNOWN_VERSION", `model ${modelId} has no version ${v} (current: ${state.version})`);
  return { state, version: v, record };
}

export function attestations(chain: ChainClient) {
  const contract = chain.contracts.attestations;
  if (contract === null) throw new ProofError("NO_ATTESTATIONS", "this deployment has no ProofAttestations contract (and so no deployed verifiers)");
  return contract;
}

export interface ProveOwnershipOptions {
  modelId: bigint;
  ownerSecret: bigint;
  /** The address the proof is for: whoever will attest it (msg.sender). */
  claimant: Address;
  /** One-time nonce; random by default. */
  nonce?: bigint;
  /** A model file or directory: its weights commitment must be the registered one. */
  weightsPath?: string;
}

/** An ownership proof file for the model's current version, checked against the chain first. */
export async function proveOwnershipFile(chain: ChainClient, options: ProveOwnershipOptions): Promise<ProofFile> {
  const { version, record } = await modelVersion(chain, options.modelId);
  if (record.ownerCommitment === 0n) {
    throw new ProofError("NO_OWNER_COMMITMENT", `model ${options.modelId} version ${version} registered no owner commitment: no ownership proof can be checked against it`);
  }
  const zkp = await import("../../zkp/ownership.js");
  if (options.weightsPath !== undefined) await registeredModel(options.weightsPath, record, `model ${options.modelId} version ${version}`);
  if ((await zkp.ownerCommitment(record.weightsCommitment, options.ownerSecret)) !== record.ownerCommitment) {
    throw new ProofError("OWNER_SECRET_MISMATCH", `this owner secret is not the one behind model ${options.modelId} version ${version}'s owner commitment`);
  }
  const nonce = options.nonce ?? zkp.randomOwnerSecret();
  const proof = await zkp.proveOwnership({
    weightsCommitment: record.weightsCommitment,
    ownerSecret: options.ownerSecret,
    claimant: options.claimant,
    modelId: options.modelId,
    nonce,
  });
  return {
    format: PROOF_FORMAT,
    kind: "ownership",
    circuit: zkp.OWNERSHIP_CIRCUIT,
    chainId: chain.chainId,
    modelId: options.modelId.toString(),
    version,
    prover: getAddress(options.claimant),
    publicSignals: proof.publicSignals.map(String),
    proof: proof.proof,
    createdAt: new Date().toISOString(),
  };
}

/** The model at `weightsPath`, refused (WEIGHTS_MISMATCH) unless it commits to what the version registered. */
export async function registeredModel(weightsPath: string, record: { weightsCommitment: bigint }, at: string) {
  const [{ loadMlp }, { weightsCommitment }] = await Promise.all([import("../../zkp/models.js"), import("../../zkp/commitment.js")]);
  const model = loadMlp(weightsPath);
  const local = await weightsCommitment(model);
  if (local !== record.weightsCommitment) {
    throw new ProofError("WEIGHTS_MISMATCH", `the weights at ${weightsPath} commit to ${local}, ${at} registered ${record.weightsCommitment}`);
  }
  return model;
}

export interface ProveInferenceOptions {
  modelId: bigint;
  /** What the proof publishes of the output (default public). */
  reveal?: RevealMode;
  /** The decrypted model (safetensors file or directory): it must commit to the registered weights commitment. */
  weightsPath: string;
  /** The input as real numbers (quantized with the model's spec). */
  input: readonly number[];
  /** Who made it (informative). */
  prover: Address;
}

/** An inference proof file y = model(x) for the model's current version's weights. */
export async function proveInferenceFile(chain: ChainClient, options: ProveInferenceOptions): Promise<ProofFile> {
  return (await proveInferenceWithOpening(chain, options)).file;
}

/** The proof file and, separately, the opening of its commitments (salts and private values). */
export async function proveInferenceWithOpening(chain: ChainClient, options: ProveInferenceOptions): Promise<{ file: ProofFile; opening: InferenceOpeningFile }> {
  const { version, record } = await modelVersion(chain, options.modelId);
  const [{ quantizeInput }, { proveInference }] = await Promise.all([import("../../zkp/quantize.js"), import("../../zkp/inference.js")]);
  const model = await registeredModel(options.weightsPath, record, `model ${options.modelId} version ${version}`);
  if (options.input.length !== model.spec.sizes[0]) throw new ProofError("INPUT_INVALID", `the model takes ${model.spec.sizes[0]} inputs, got ${options.input.length}`);
  let x: bigint[];
  try {
    x = quantizeInput(model.spec, [...options.input]);
  } catch (error) {
    throw new ProofError("INPUT_INVALID", `the input does not fit the model's quantization: ${(error as Error).message}`);
  }
  const reveal = options.reveal ?? "public";
  const proof = await proveInference(model, x, { reveal });
  const file: ProofFile = {
    ...proofFileOf(chain, "inference", options.modelId, version, options.prover, proof),
    reveal,
    ...(reveal === "public" ? { outputs: proof.outputs.map(String) } : {}),
    ...(proof.predictedClass === undefined ? {} : { predictedClass: proof.predictedClass }),
  };
  return { file, opening: openingFile(file, proof.opening) };
}

/** The file of an inference or well-formedness proof made against `version` (prover informative). */
export function proofFileOf(
  chain: ChainClient,
  kind: "inference" | "wellformed",
  modelId: bigint,
  version: number,
  prover: Address,
  proof: { circuit: string; proof: Groth16Proof; publicSignals: bigint[] },
): ProofFile {
  return {
    format: PROOF_FORMAT,
    kind,
    circuit: proof.circuit,
    chainId: chain.chainId,
    modelId: modelId.toString(),
    version,
    prover: getAddress(prover),
    publicSignals: proof.publicSignals.map(String),
    proof: proof.proof,
    createdAt: new Date().toISOString(),
  };
}

export interface VerifyProofOptions {
  modelId: bigint;
  /** Default: the model's current version. */
  version?: number;
  onChain?: boolean;
  /** Ownership: require the proof to be bound to this address. */
  claimant?: Address;
  /** Inference: also check that this opening opens the proof's commitments (node/chain/openings.ts). */
  opening?: InferenceOpeningFile;
}

/** Checks a proof file against what the chain registered for `modelId` (and `version`). */
export async function verifyProofFile(chain: ChainClient, file: ProofFile, options: VerifyProofOptions): Promise<ProofVerdict> {
  const { version, record } = await modelVersion(chain, options.modelId, options.version);
  const signals = file.publicSignals.map(BigInt);
  const checks: Record<string, boolean> = {};
  const reasons: string[] = [];
  const check = (name: string, ok: boolean, reason: string) => {
    checks[name] = ok;
    if (!ok) reasons.push(reason);
  };
  const at = `model ${options.modelId} version ${version}`;
  let claimant: Address | undefined;
  check("weightsCommitment", signals[0] === record.weightsCommitment, `the proof's weights commitment is not the one ${at} registered`);
  if (file.kind === "ownership") {
    check("ownerCommitmentRegistered", record.ownerCommitment !== 0n, `${at} registered no owner commitment`);
    check("ownerCommitment", signals[1] === record.ownerCommitment, `the proof's owner commitment is not the one ${at} registered`);
    check("modelId", signals[3] === options.modelId, `the proof is for model ${signals[3]}, not ${options.modelId}`);
    claimant = signals[2]! < 1n << 160n ? getAddress(`0x${signals[2]!.toString(16).padStart(40, "0")}`) : undefined;
    if (options.claimant !== undefined) check("claimant", claimant !== undefined && claimant === getAddress(options.claimant), `the proof is bound to ${claimant ?? "no address"}, not ${getAddress(options.claimant)}`);
  } else {
    check("weightsCommitmentRegistered", record.weightsCommitment !== 0n, `${at} registered no weights commitment`);
  }
  if (file.kind === "inference") {
    // The inference circuit trusts the lanes to be in range: only a well-formed commitment makes its proof mean y = model(x).
    const attested = chain.contracts.attestations !== null && (await attestations(chain).read.wellFormedAttested([options.modelId, version]));
    check("wellFormed", attested, `${at} has no well-formedness attestation (\`modelvault prove wellformed\`, \`attest wellformed\`): an inference proof of it proves nothing`);
  }
  const reveal = file.kind === "inference" ? (file.reveal ?? revealModeOf(file.circuit)) : undefined;
  if (options.opening !== undefined) {
    if (file.kind !== "inference") throw new ProofError("PROOF_FILE_INVALID", `an opening opens an inference proof, this one is ${file.kind}`);
    for (const [name, ok] of Object.entries(await openingChecks(file, options.opening))) check(name, ok, `the opening does not open the proof (${name})`);
  }
  let nonceUsed: boolean | undefined;
  let proofHolds: boolean;
  if (options.onChain) {
    const contract = attestations(chain);
    if (file.kind === "ownership") {
      const verifier = await contract.read.ownershipVerifier();
      const [{ ownershipVerifierAbi }, { groth16Calldata }] = await Promise.all([import("../../zkp/verifier-abi.js"), import("../../zkp/groth16.js")]);
      const [a, b, c] = groth16Calldata({ proof: file.proof, publicSignals: signals });
      proofHolds = await chain.publicClient.readContract({ address: verifier, abi: ownershipVerifierAbi, functionName: "verifyProof", args: [a, b, c, signals as unknown as readonly [bigint, bigint, bigint, bigint, bigint]] });
      nonceUsed = await contract.read.nonceUsed([options.modelId, signals[4]!]);
    } else if (file.kind === "wellformed") {
      const { wellFormedOnChain } = await import("./wellformed.js");
      proofHolds = await wellFormedOnChain(chain, options.modelId, file, signals);
    } else {
      proofHolds = await inferenceOnChain(chain, contract, options.modelId, reveal!, file, signals, check);
    }
  } else {
    const { verify } = await import("../../zkp/groth16.js");
    try {
      proofHolds = await verify(file.circuit, { proof: file.proof, publicSignals: signals });
    } catch (error) {
      if ((error as Error).name === "MissingArtifactError") throw new ProofError("CIRCUIT_MISSING", `${(error as Error).message} (or verify with --on-chain)`);
      proofHolds = false; // a malformed point
    }
  }
  check("proof", proofHolds, `the Groth16 proof does not verify${options.onChain ? " (the deployed verifier refused it)" : ""}`);
  return {
    valid: reasons.length === 0,
    ...(reasons.length === 0 ? {} : { reason: reasons.join("; ") }),
    kind: file.kind,
    modelId: options.modelId.toString(),
    version,
    method: options.onChain ? "on-chain" : "off-chain",
    ...(reveal === undefined ? {} : { reveal }),
    ...(claimant === undefined ? {} : { claimant }),
    ...(nonceUsed === undefined ? {} : { nonceUsed }),
    checks,
  };
}

/** The model's inference verifier of the proof's variant, set by its owner (ProofAttestations.setInferenceVerifier). */
async function inferenceOnChain(
  chain: ChainClient,
  contract: NonNullable<ChainClient["contracts"]["attestations"]>,
  modelId: bigint,
  reveal: RevealMode,
  file: ProofFile,
  signals: bigint[],
  check: (name: string, ok: boolean, reason: string) => void,
): Promise<boolean> {
  const variant = variantIndex(reveal);
  const [verifier, count] = await Promise.all([contract.read.inferenceVerifier([modelId, variant]), contract.read.inferenceSignals([modelId, variant])]);
  if (/^0x0{40}$/.test(verifier)) throw new ProofError("NO_INFERENCE_VERIFIER", `model ${modelId} has no ${reveal} inference verifier set: its owner sets one with \`modelvault model verifier ${modelId} --architecture ${file.circuit}\``);
  check("signalCount", BigInt(signals.length) === count, `the model's ${reveal} inference verifier takes ${count} public signals, the proof has ${signals.length}`);
  if (BigInt(signals.length) !== count) return false;
  const [{ groth16VerifierAbi }, { groth16Calldata }] = await Promise.all([import("../../zkp/verifier-abi.js"), import("../../zkp/groth16.js")]);
  const [a, b, c] = groth16Calldata({ proof: file.proof, publicSignals: signals });
  try {
    return await chain.publicClient.readContract({ address: verifier, abi: groth16VerifierAbi(signals.length), functionName: "verifyProof", args: [a, b, c, signals] as never });
  } catch {
    return false; // a verifier of another shape reverts
  }
}

/** Sends ProofAttestations.attestOwnership from the client's account (which must be the proof's claimant). */
export async function attestOwnershipFile(chain: ChainClient, file: ProofFile): Promise<TxResult & { modelId: string; version: number; claimant: Address }> {
  if (file.kind !== "ownership") throw new ProofError("PROOF_FILE_INVALID", `attest ownership takes an ownership proof, this one is ${file.kind}`);
  attestations(chain);
  const signals = file.publicSignals.map(BigInt);
  if (chain.address === undefined || signals[2] !== BigInt(chain.address)) {
    throw new ProofError("CLAIMANT_MISMATCH", `the proof is bound to ${file.prover}, not to this account ${chain.address ?? "(none)"}: only its claimant can attest it`);
  }
  const { groth16Calldata } = await import("../../zkp/groth16.js");
  const [a, b, c] = groth16Calldata({ proof: file.proof, publicSignals: signals });
  const modelId = BigInt(file.modelId);
  const result = await chain.write("attestations", "attestOwnership", [modelId, a, b, c, signals]);
  const version = await attestations(chain).read.ownershipAttested([modelId, chain.address!]);
  return { txHash: result.txHash, blockNumber: result.blockNumber, modelId: file.modelId, version: Number(version), claimant: chain.address! };
}
