// What an inference proof reveals (docs/ZK.md "Private input and output"): the salted input
// commitment every variant publishes, and per variant the outputs, their salted commitment or
// only the argmax class. circuits/lib/reveal.circom computes the same values.
import { getRandomValues } from "node:crypto";
import { FIELD_P, assertFieldElement, encodeSigned } from "./field.js";
import { packSigned } from "./commitment.js";
import { inferenceCircuitName, layerPlans, type MlpSpec } from "./mlp-spec.js";
import { chainHash, getPoseidon } from "./poseidon.js";
import { withReveal, type RevealMode } from "./reveal-mode.js";

export { REVEAL_MODES, isRevealMode, revealModeOf, variantIndex, variantSignalCount, type RevealMode } from "./reveal-mode.js";

/** Domain tags of the commitments' headers (the weights commitment uses 1, the unsalted input hash 2). */
const INPUT_COMMITMENT_DOMAIN = 3n;
const OUTPUT_COMMITMENT_DOMAIN = 4n;

/** "inference_4_16_3" (public), "inference_4_16_3_committed", "inference_4_16_3_argmax". */
export function variantCircuitName(spec: MlpSpec, mode: RevealMode): string {
  return withReveal(inferenceCircuitName(spec), mode);
}

/** A uniformly random field element (rejection sampling of 254-bit draws, so no modulo bias). */
export function randomSalt(): bigint {
  const bytes = new Uint8Array(32);
  for (;;) {
    getRandomValues(bytes);
    bytes[0]! &= 0x3f; // 254-bit draws: P > 2^253, so fewer than 2 draws on average
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
