// What an inference proof reveals (docs/ZK.md "Private input and output"): the salted input
// commitment every variant publishes, and per variant the outputs, their salted commitment or
// only the argmax class. circuits/lib/reveal.circom computes the same values.
import { getRandomValues } from "node:crypto";
import { FIELD_P, assertFieldElement, encodeSigned } from "./field.js";
import { packSigned } from "./commitment.js";
import { inferenceCircuitName, layerPlans, type MlpSpec } from "./mlp-spec.js";
import { chainHash, getPoseidon } from "./poseidon.js";

/** public: y is public; committed: only outputCommitment (salted) is; argmax: only the predicted class is. */
export const REVEAL_MODES = ["public", "committed", "argmax"] as const;
export type RevealMode = (typeof REVEAL_MODES)[number];

/** Domain tags of the commitments' headers (the weights commitment uses 1, the unsalted input hash 2). */
const INPUT_COMMITMENT_DOMAIN = 3n;
const OUTPUT_COMMITMENT_DOMAIN = 4n;

export class RevealModeError extends Error {
  override name = "RevealModeError";
}

export function isRevealMode(value: unknown): value is RevealMode {
  return typeof value === "string" && (REVEAL_MODES as readonly string[]).includes(value);
}

/** ProofAttestations' variant number: the index in REVEAL_MODES (public 0, committed 1, argmax 2). */
export function variantIndex(mode: RevealMode): number {
  return REVEAL_MODES.indexOf(mode);
}

/** "inference_4_16_3" (public), "inference_4_16_3_committed", "inference_4_16_3_argmax". */
export function variantCircuitName(spec: MlpSpec, mode: RevealMode): string {
  const base = inferenceCircuitName(spec);
  return mode === "public" ? base : `${base}_${mode}`;
}

/** The reveal mode a circuit name encodes (no suffix: public). */
export function revealModeOf(circuit: string): RevealMode {
  const suffix = /_(committed|argmax)$/.exec(circuit)?.[1];
  return (suffix ?? "public") as RevealMode;
}

/** The architecture part of a circuit name: "inference_4_16_3_argmax" -> "inference_4_16_3". */
export function architectureOfCircuit(circuit: string): string {
  return circuit.replace(/_(committed|argmax)$/, "");
}

/** Public signals of a variant: [weightsCommitment, inputCommitment, y_0..y_{m-1} | outputCommitment | class]. */
export function variantSignalCount(nOutputs: number, mode: RevealMode): number {
  return 2 + (mode === "public" ? nOutputs : 1);
}

/** A uniformly random field element (rejection sampling of 254-bit draws, so no modulo bias). */
export function randomSalt(): bigint {
  const bytes = new Uint8Array(32);
  for (;;) {
    getRandomValues(bytes);
    bytes[0]! &= 0x3f; // 254 bits: P > 2^253, so at most ~4 draws are expected
    const v = BigInt(`0x${Buffer.from(bytes).toString("hex")}`);
    if (v < FIELD_P) return v;
  }
}

export function inputCommitmentHeader(spec: MlpSpec): bigint[] {
  return [INPUT_COMMITMENT_DOMAIN, BigInt(spec.inputBits), BigInt(spec.fracBits), BigInt(spec.sizes[0]!)];
}

export function outputCommitmentHeader(spec: MlpSpec): bigint[] {
  return [OUTPUT_COMMITMENT_DOMAIN, BigInt(spec.fracBits), BigInt(spec.sizes.at(-1)!)];
}

export async function inputCommitmentTag(spec: MlpSpec): Promise<bigint> {
  return chainHash(await getPoseidon(), inputCommitmentHeader(spec), 0n);
}

export async function outputCommitmentTag(spec: MlpSpec): Promise<bigint> {
  return chainHash(await getPoseidon(), outputCommitmentHeader(spec), 0n);
}

/** inputCommitment = chain(packSigned(x, inputBits) ++ [salt], iv = inputCommitmentTag). */
export async function inputCommitment(spec: MlpSpec, input: readonly bigint[], salt: bigint): Promise<bigint> {
  const elements = [...packSigned(input, spec.inputBits, "input"), assertFieldElement("inputSalt", salt)];
  return chainHash(await getPoseidon(), elements, await inputCommitmentTag(spec));
}

/** outputCommitment = chain([encodeSigned(y_j)...] ++ [salt], iv = outputCommitmentTag). */
export async function outputCommitment(spec: MlpSpec, outputs: readonly bigint[], salt: bigint): Promise<bigint> {
  const elements = [...outputs.map(encodeSigned), assertFieldElement("outputSalt", salt)];
  return chainHash(await getPoseidon(), elements, await outputCommitmentTag(spec));
}

/** The predicted class: the index of the largest output, the lowest such index on ties. */
export function argmaxClass(outputs: readonly bigint[]): number {
  let best = 0;
  outputs.forEach((v, j) => {
    if (v > outputs[best]!) best = j;
  });
  return best;
}

/** Bits b with |y| <= 2^(b-1) for every output of every in-range model and input (the argmax range checks use b+1). */
export function outputBits(spec: MlpSpec): number {
  const last = layerPlans(spec).at(-1)!;
  return last.slotBits - last.shift;
}
