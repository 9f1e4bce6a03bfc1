/**
 * Inference verifiers: the generated Groth16 verifier contract of each MLP architecture
 * (contracts/verifiers/InferenceVerifier_<sizes>.sol, deployed by scripts/deploy-suite.ts and
 * recorded in the deployment's `inferenceVerifiers`), set per model by its owner
 * (ProofAttestations.setInferenceVerifier), read back, and inference proofs attested through it.
 *
 * An architecture is named like its circuit (zkp/mlp-spec.ts inferenceCircuitName):
 * "inference_4_16_3" for the layer widths 4, 16, 3; "4-16-3" is accepted as a shorthand. Each
 * has one verifier per reveal variant (zkp/reveal-mode.ts), named with the variant's suffix
 * ("inference_4_16_3_argmax"; none for public) and set per model and variant: the public one
 * takes 2 + outputs public signals ([weightsCommitment, inputCommitment, y...]), the committed
 * and argmax ones 3. Its well-formedness verifier (WellformedVerifier_<sizes>,
 * `wellFormedVerifiers` in the deployment, one for all variants) is set along with it when the
 * architecture is named: inferences count only for versions attested well-formed
 * (node/chain/wellformed.ts).
 */
import { encodeAbiParameters, getAddress, isAddress, isAddressEqual, keccak256, toFunctionSelector, type Address, type Hex } from "viem";
import { NodeError } from "../errors.js";
import type { ChainClient } from "./client.js";
import { ownedModel, send, modelOrRefuse, type SentTx } from "./owner-actions.js";
import type { ProofFile } from "./proofs.js";
import type { TxResult } from "./types.js";
import { architectureOfCircuit, revealModeOf, variantIndex, withReveal, type RevealMode } from "../../zkp/reveal-mode.js";

export type VerifierErrorCode =
  | "INVALID_ARCHITECTURE"
  | "UNKNOWN_ARCHITECTURE"
  | "NO_CONTRACT_CODE"
  | "NOT_AN_INFERENCE_VERIFIER"
  | "NO_ATTESTATIONS"
  | "NO_INFERENCE_VERIFIER"
  | "SIGNAL_COUNT_MISMATCH"
  | "WEIGHTS_MISMATCH"
  | "ALREADY_ATTESTED"
  | "NOT_WELL_FORMED"
  | "PROOF_FILE_INVALID"
  | "PROOF_INVALID";

/** Refusal of a verifier action: what is wrong with the architecture, the address or the proof. */
export class VerifierError extends NodeError {
  declare readonly code: VerifierErrorCode;
  constructor(code: VerifierErrorCode, message: string) {
    super(code, message);
  }
}

/** An architecture, or one of its variants ("inference_4_16_3_committed"). */
export const ARCHITECTURE_PATTERN = /^inference(_[1-9][0-9]{0,3}){2,8}(_committed|_argmax)?$/;
/** ProofAttestations' bounds on an inference verifier's public-signal count. */
const MIN_SIGNALS = 3;
const MAX_SIGNALS = 64;

/**
 * "inference_4_16_3" or "4-16-3" -> "inference_4_16_3"; with `reveal`, that variant's name
 * ("inference_4_16_3_argmax"). A name with a variant suffix is taken as is, and must agree with
 * `reveal` when both are given. INVALID_ARCHITECTURE otherwise.
 */
export function architectureId(text: string, reveal?: RevealMode): string {
  const id = /^[1-9][0-9]{0,3}(-[1-9][0-9]{0,3}){1,7}$/.test(text) ? `inference_${text.split("-").join("_")}` : text;
  if (!ARCHITECTURE_PATTERN.test(id)) {
    throw new VerifierError("INVALID_ARCHITECTURE", `an architecture is named by its layer widths, e.g. inference_4_16_3 or 4-16-3 (a variant: inference_4_16_3_argmax); got ${JSON.stringify(text.slice(0, 80))}`);
  }
  if (reveal === undefined) return id;
  if (architectureOfCircuit(id) !== id && revealModeOf(id) !== reveal) {
    throw new VerifierError("INVALID_ARCHITECTURE", `${id} is the ${revealModeOf(id)} variant, not ${reveal}`);
  }
  return withReveal(architectureOfCircuit(id), reveal);
}

/** Public signals of a variant's verifier: weights commitment, input commitment, then one per output (public) or one. */
export function signalsOf(architecture: string): number {
  const id = architectureId(architecture);
  return revealModeOf(id) === "public" ? 2 + Number(id.split("_").at(-1)) : 3;
}

/** Selector of verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[K]). */
export function verifierSelector(signals: number): Hex {
  return toFunctionSelector(`verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[${signals}])`);
}

/** The deployment's inference verifiers by architecture (empty for records written before them). */
export function deployedInferenceVerifiers(chain: ChainClient): Record<string, Address> {
  return chain.deployment.inferenceVerifiers ?? {};
}

function attestationsOf(chain: ChainClient) {
  const contract = chain.contracts.attestations;
  if (contract === null) throw new VerifierError("NO_ATTESTATIONS", "this deployment has no ProofAttestations contract: redeploy with the circuits built (`npm run build:circuits && npm run deploy`)");
  return contract;
}

/**
 * The public-signal count of the verifier contract at `address`, read from its code: the
 * dispatcher of a compiled verifier pushes its verifyProof selector. NO_CONTRACT_CODE when the
 * address holds no code, NOT_AN_INFERENCE_VERIFIER when no verifyProof shape (or it is the
 * deployment's ownership verifier, whose 5 signals would look like a 3-output MLP's).
 */
export async function verifierSignalsAt(chain: ChainClient, address: Address): Promise<number> {
  const code = (await chain.publicClient.getCode({ address })) ?? "0x";
  if (code === "0x") throw new VerifierError("NO_CONTRACT_CODE", `no contract code at ${address} on chain ${chain.chainId}`);
  const ownership = chain.deployment.contracts.OwnershipVerifier;
  if (ownership !== null && isAddressEqual(ownership, address)) {
    throw new VerifierError("NOT_AN_INFERENCE_VERIFIER", `${address} is the deployment's ownership verifier, not an inference verifier`);
  }
  const text = code.toLowerCase();
  const found: number[] = [];
  for (let k = MIN_SIGNALS; k <= MAX_SIGNALS; k++) if (text.includes(`63${verifierSelector(k).slice(2)}`)) found.push(k);
  if (found.length !== 1) {
    throw new VerifierError("NOT_AN_INFERENCE_VERIFIER", `the contract at ${address} has ${found.length === 0 ? "no" : "more than one"} Groth16 verifyProof(…, uint256[K]) function with K in ${MIN_SIGNALS}..${MAX_SIGNALS}`);
  }
  return found[0]!;
}

export interface InferenceVerifierView {
  modelId: string;
  /** The variant this verifier is set for. */
  reveal: RevealMode;
  /** null when none is set. */
  verifier: Address | null;
  /** Its public-signal count (0 when none is set). */
  signals: number;
  /** The deployment's architecture at that address, if it is one of them. */
  architecture: string | null;
}

/** The deployment's architecture (variant name) at `address`, if it is one of them. */
function deployedNameAt(chain: ChainClient, address: Address): string | null {
  return Object.entries(deployedInferenceVerifiers(chain)).find(([, at]) => isAddressEqual(at, address))?.[0] ?? null;
}

/** The model's inference verifier for one variant (default public) as ProofAttestations records it. */
export async function inferenceVerifierOf(chain: ChainClient, modelId: bigint, reveal: RevealMode = "public"): Promise<InferenceVerifierView> {
  const contract = attestationsOf(chain);
  await modelOrRefuse(chain, modelId);
  const variant = variantIndex(reveal);
  const [verifier, signals] = await Promise.all([contract.read.inferenceVerifier([modelId, variant]), contract.read.inferenceSignals([modelId, variant])]);
  const set = !/^0x0{40}$/.test(verifier);
  return { modelId: modelId.toString(), reveal, verifier: set ? getAddress(verifier) : null, signals: Number(signals), architecture: set ? deployedNameAt(chain, verifier) : null };
}

/**
 * Which verifier to set: one of the deployment's architectures (its name says the variant), or
 * any verifier contract for `reveal` (default: the variant the deployment records for that
 * address, else public).
 */
export type VerifierTarget = { architecture: string } | { address: Address; reveal?: RevealMode };

export interface SetVerifierResult extends InferenceVerifierView {
  previous: InferenceVerifierView;
  /** null when the model already had exactly this verifier: nothing was sent. */
  tx: SentTx | null;
  /** The architecture's well-formedness verifier, when the deployment has one for it. */
  wellFormedVerifier: Address | null;
  /** null when nothing was sent for it (already set, or no architecture named). */
  wellFormedTx: SentTx | null;
}

/** Sets the deployment's well-formedness verifier of `architecture` for the model, unless it already is. */
async function setWellFormedVerifierOf(chain: ChainClient, modelId: bigint, architecture: string | null): Promise<{ wellFormedVerifier: Address | null; wellFormedTx: SentTx | null }> {
  const address = architecture === null ? undefined : chain.deployment.wellFormedVerifiers?.[architecture];
  if (address === undefined) return { wellFormedVerifier: null, wellFormedTx: null };
  const current = await attestationsOf(chain).read.wellFormedVerifier([modelId]);
  if (isAddressEqual(current, address)) return { wellFormedVerifier: address, wellFormedTx: null };
  const { receipt: _receipt, ...tx } = await send(chain, "attestations", "setWellFormedVerifier", [modelId, address], { modelId });
  return { wellFormedVerifier: address, wellFormedTx: tx };
}

/** Resolves a target to an address with its signal count, checking the code there. */
export async function resolveVerifier(chain: ChainClient, target: VerifierTarget): Promise<{ address: Address; signals: number; architecture: string | null; reveal: RevealMode }> {
  if ("architecture" in target) {
    const id = architectureId(target.architecture);
    const deployed = deployedInferenceVerifiers(chain);
    const address = deployed[id];
    if (address === undefined) {
      const known = Object.keys(deployed);
      throw new VerifierError("UNKNOWN_ARCHITECTURE", `this deployment has no inference verifier for ${id} (it has ${known.length === 0 ? "none: build the circuits and redeploy, or pass --address" : known.join(", ")})`);
    }
    const signals = await verifierSignalsAt(chain, address);
    if (signals !== signalsOf(id)) throw new VerifierError("NOT_AN_INFERENCE_VERIFIER", `the verifier recorded for ${id} at ${address} takes ${signals} public signals, ${id} needs ${signalsOf(id)}: the deployment record is stale`);
    return { address, signals, architecture: id, reveal: revealModeOf(id) };
  }
  if (!isAddress(target.address)) throw new VerifierError("NO_CONTRACT_CODE", `${String(target.address)} is not an address`);
  const address = getAddress(target.address);
  const signals = await verifierSignalsAt(chain, address);
  const architecture = deployedNameAt(chain, address);
  const reveal = target.reveal ?? (architecture === null ? "public" : revealModeOf(architecture));
  if (reveal !== "public" && signals !== 3) throw new VerifierError("SIGNAL_COUNT_MISMATCH", `a ${reveal} verifier takes 3 public signals, the contract at ${address} takes ${signals}`);
  return { address, signals, architecture, reveal };
}

/**
 * Owner: sets the model's inference verifier of the target's variant
 * (ProofAttestations.setInferenceVerifier) from the client's account. Refuses (NOT_OWNER,
 * UNKNOWN_MODEL, UNKNOWN_ARCHITECTURE, NO_CONTRACT_CODE, NOT_AN_INFERENCE_VERIFIER,
 * SIGNAL_COUNT_MISMATCH) before sending; sends nothing when it is already set so.
 */
export async function setInferenceVerifier(chain: ChainClient, modelId: bigint, target: VerifierTarget): Promise<SetVerifierResult> {
  attestationsOf(chain);
  await ownedModel(chain, modelId, { allowRetired: true });
  const { address, signals, architecture, reveal } = await resolveVerifier(chain, target);
  const previous = await inferenceVerifierOf(chain, modelId, reveal);
  const view = { modelId: modelId.toString(), reveal, verifier: address, signals, architecture };
  let tx: SentTx | null = null;
  if (previous.verifier === null || !isAddressEqual(previous.verifier, address) || previous.signals !== signals) {
    const { receipt: _receipt, ...sent } = await send(chain, "attestations", "setInferenceVerifier", [modelId, variantIndex(reveal), address, BigInt(signals)], { modelId });
    tx = sent;
  }
  const base = architecture === null ? null : architectureOfCircuit(architecture);
  return { ...view, previous, tx, ...(await setWellFormedVerifierOf(chain, modelId, base)) };
}

/** keccak256(abi.encode(modelId, variant, pubSignals)): ProofAttestations' id of an inference attestation. */
export function inferenceAttestationId(modelId: bigint, signals: readonly bigint[], reveal: RevealMode = "public"): Hex {
  return keccak256(encodeAbiParameters([{ type: "uint256" }, { type: "uint8" }, { type: "uint256[]" }], [modelId, variantIndex(reveal), signals]));
}

/** The variant of an inference proof file: its `reveal`, or for files written before variants, its circuit's. */
export function revealOfFile(file: ProofFile): RevealMode {
  return file.reveal ?? revealModeOf(file.circuit);
}

export interface InferenceAttestation extends TxResult {
  attestationId: Hex;
  modelId: string;
  reveal: RevealMode;
  version: number;
  prover: Address;
  verifier: Address;
}

/**
 * Sends ProofAttestations.attestInference for an inference proof file from the client's account
 * (anyone may: the proof says nothing about who sends it). Checks first what the contract would
 * refuse: no verifier set, another signal count, weights other than the current version's, a
 * version not attested well-formed, an attestation already recorded, a proof the verifier refuses (eth_call, so no gas is spent on it).
 */
export async function attestInferenceFile(chain: ChainClient, file: ProofFile): Promise<InferenceAttestation> {
  if (file.kind !== "inference") throw new VerifierError("PROOF_FILE_INVALID", `attest inference takes an inference proof, this one is ${file.kind}`);
  const contract = attestationsOf(chain);
  const modelId = BigInt(file.modelId);
  const state = await modelOrRefuse(chain, modelId);
  const reveal = revealOfFile(file);
  const current = await inferenceVerifierOf(chain, modelId, reveal);
  if (current.verifier === null) throw new VerifierError("NO_INFERENCE_VERIFIER", `model ${modelId} has no ${reveal} inference verifier set: its owner sets one with \`modelvault model verifier ${modelId} --architecture ${file.circuit}\``);
  const signals = file.publicSignals.map(BigInt);
  if (signals.length !== current.signals) throw new VerifierError("SIGNAL_COUNT_MISMATCH", `model ${modelId}'s ${reveal} inference verifier takes ${current.signals} public signals, the proof has ${signals.length}`);
  const record = await chain.version(modelId, state.version);
  if (record === null || signals[0] !== record.weightsCommitment) {
    throw new VerifierError("WEIGHTS_MISMATCH", `the proof's weights commitment is not model ${modelId}'s current version ${state.version}'s${file.version === state.version ? "" : ` (the proof was made for version ${file.version})`}`);
  }
  if (!(await contract.read.wellFormedAttested([modelId, state.version]))) {
    throw new VerifierError("NOT_WELL_FORMED", `model ${modelId} version ${state.version} is not attested well-formed: \`modelvault prove wellformed ${modelId}\` and \`attest wellformed\` first`);
  }
  const attestationId = inferenceAttestationId(modelId, signals, reveal);
  const earlier = await contract.read.inferenceAttested([attestationId]);
  if (earlier !== 0) throw new VerifierError("ALREADY_ATTESTED", `this inference of model ${modelId} is already attested (version ${earlier}, attestation ${attestationId})`);
  const [{ groth16VerifierAbi }, { groth16Calldata }] = await Promise.all([import("../../zkp/verifier-abi.js"), import("../../zkp/groth16.js")]);
  const [a, b, c] = groth16Calldata({ proof: file.proof, publicSignals: signals });
  const holds = await chain.publicClient
    .readContract({ address: current.verifier, abi: groth16VerifierAbi(signals.length), functionName: "verifyProof", args: [a, b, c, signals] as never })
    .catch(() => false);
  if (!holds) throw new VerifierError("PROOF_INVALID", `the proof is invalid: model ${modelId}'s inference verifier ${current.verifier} refuses it`);
  const sent = await send(chain, "attestations", "attestInference", [modelId, variantIndex(reveal), a, b, c, signals], { modelId });
  return { txHash: sent.txHash, blockNumber: sent.blockNumber, attestationId, modelId: file.modelId, reveal, version: state.version, prover: chain.address!, verifier: current.verifier };
}
