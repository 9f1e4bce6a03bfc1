// Ownership proofs: knowledge of ownerSecret behind ownerCommitment = Poseidon(weightsCommitment, ownerSecret),
// bound to a claimant address, a model id and a nonce.
import { randomBytes } from "node:crypto";
import type { Address } from "viem";
import { FIELD_P, assertFieldElement, assertInRange } from "./field.js";
import { groth16Calldata, prove, verify, type ProofBundle, type VerifierCalldata } from "./groth16.js";
import { getPoseidon } from "./poseidon.js";

export const OWNERSHIP_CIRCUIT = "ownership";
const MAX_ADDRESS = (1n << 160n) - 1n;

export interface OwnershipClaim {
  weightsCommitment: bigint;
  ownerSecret: bigint;
  /** The address the proof is for (msg.sender of the on-chain attestation). */
  claimant: Address | bigint;
  modelId: bigint;
  nonce: bigint;
}

/** [weightsCommitment, ownerCommitment, claimant, modelId, nonce] */
export type OwnershipPublicSignals = readonly [bigint, bigint, bigint, bigint, bigint];

export interface OwnershipProof extends ProofBundle {
  publicSignals: [bigint, bigint, bigint, bigint, bigint];
}

/** A uniformly random nonzero field element to use as owner secret. */
export function randomOwnerSecret(): bigint {
  for (;;) {
    const v = BigInt(`0x${randomBytes(32).toString("hex")}`) % FIELD_P;
    if (v !== 0n) return v;
  }
}

/** ownerCommitment = Poseidon(weightsCommitment, ownerSecret), as the registry stores it. */
export async function ownerCommitment(weightsCommitment: bigint, ownerSecret: bigint): Promise<bigint> {
  const h = await getPoseidon();
  return h([assertFieldElement("weightsCommitment", weightsCommitment), assertFieldElement("ownerSecret", ownerSecret)]);
}

function claimantValue(claimant: Address | bigint): bigint {
  if (typeof claimant === "bigint") return assertInRange("claimant", claimant, 0n, MAX_ADDRESS);
  if (!/^0x[0-9a-fA-F]{40}$/.test(claimant)) throw new TypeError(`claimant is not an address: ${claimant}`);
  return BigInt(claimant);
}

export async function proveOwnership(claim: OwnershipClaim): Promise<OwnershipProof> {
  const input = {
    weightsCommitment: assertFieldElement("weightsCommitment", claim.weightsCommitment),
    ownerCommitment: await ownerCommitment(claim.weightsCommitment, claim.ownerSecret),
    claimant: claimantValue(claim.claimant),
    modelId: assertFieldElement("modelId", claim.modelId),
    nonce: assertFieldElement("nonce", claim.nonce),
    ownerSecret: claim.ownerSecret,
  };
  const bundle = await prove(OWNERSHIP_CIRCUIT, input);
  const s = bundle.publicSignals;
  if (s.length !== 5) throw new Error(`ownership circuit returned ${s.length} public signals, expected 5`);
  return { proof: bundle.proof, publicSignals: [s[0]!, s[1]!, s[2]!, s[3]!, s[4]!] };
}

export function verifyOwnership(proof: ProofBundle): Promise<boolean> {
  return verify(OWNERSHIP_CIRCUIT, proof);
}

/** Arguments for OwnershipVerifier.verifyProof / the attestation contract, typed for viem. */
export function ownershipCalldata(proof: OwnershipProof): VerifierCalldata<OwnershipPublicSignals> {
  const [a, b, c, s] = groth16Calldata(proof);
  return [a, b, c, [s[0]!, s[1]!, s[2]!, s[3]!, s[4]!]] as const;
}
