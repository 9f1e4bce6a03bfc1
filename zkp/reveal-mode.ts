// Reveal modes of an inference proof by name only (no Poseidon, no snarkjs), so the node and the
// SDK can name variants without loading the prover. zkp/reveal.ts computes what each publishes.

/** public: y is public; committed: only outputCommitment (salted) is; argmax: only the predicted class is. */
export const REVEAL_MODES = ["public", "committed", "argmax"] as const;
export type RevealMode = (typeof REVEAL_MODES)[number];

export function isRevealMode(value: unknown): value is RevealMode {
  return typeof value === "string" && (REVEAL_MODES as readonly string[]).includes(value);
}

/** ProofAttestations' variant number: the index in REVEAL_MODES (public 0, committed 1, argmax 2). */
export function variantIndex(mode: RevealMode): number {
  return REVEAL_MODES.indexOf(mode);
}

const SUFFIX = /_(committed|argmax)$/;

/** Circuit (and verifier) name of a variant: "inference_4_16_3" (public), "inference_4_16_3_argmax". */
export function withReveal(architecture: string, mode: RevealMode): string {
  return mode === "public" ? architecture : `${architecture}_${mode}`;
}

/** The reveal mode a circuit name encodes (no suffix: public). */
export function revealModeOf(circuit: string): RevealMode {
  return (SUFFIX.exec(circuit)?.[1] ?? "public") as RevealMode;
}

/** The architecture part of a circuit name: "inference_4_16_3_argmax" -> "inference_4_16_3". */
export function architectureOfCircuit(circuit: string): string {
  return circuit.replace(SUFFIX, "");
}

/** Public signals of a variant: [weightsCommitment, inputCommitment, y_0..y_{m-1} | outputCommitment | class]. */
export function variantSignalCount(nOutputs: number, mode: RevealMode): number {
  return 2 + (mode === "public" ? nOutputs : 1);
}
