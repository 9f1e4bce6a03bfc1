// The input and output lines of a generated inference main, per reveal mode (zkp/mlp-circuit.ts
// calls these; circuits/lib/reveal.circom holds the templates). Public signals, in order:
//   public    [weightsCommitment, inputCommitment, y_0 .. y_{m-1}]
//   committed [weightsCommitment, inputCommitment, outputCommitment]
//   argmax    [weightsCommitment, inputCommitment, class]
import { digitsPerElement } from "./commitment.js";
import type { MlpSpec } from "./mlp-spec.js";
import { inputCommitmentTag, outputBits, outputCommitmentTag, type RevealMode } from "./reveal.js";

export interface RevealLines {
  /** Signal declarations (public ones first, in public order, then the private salts). */
  declarations: string[];
  /** Commits the private input x. */
  input: string[];
  /** Constrains what is revealed of the computed outputs `yExpr`. */
  output: (yExpr: string) => string[];
  /** The public signals after weightsCommitment, for `component main {public [...]}`. */
  publicList: string;
}

export async function revealLines(spec: MlpSpec, mode: RevealMode): Promise<RevealLines> {
  const nIn = spec.sizes[0]!;
  const nOut = spec.sizes.at(-1)!;
  const revealed = { public: `signal input y[${nOut}];`, committed: "signal input outputCommitment;", argmax: "signal input class;" }[mode];
  const declarations = ["    signal input inputCommitment;", `    ${revealed}`, "    signal input inputSalt;"];
  if (mode === "committed") declarations.push("    signal input outputSalt;");
  const input = [
    `    component cx = InputCommitment(${nIn}, ${spec.inputBits}, ${digitsPerElement(spec.inputBits)}, ${await inputCommitmentTag(spec)});`,
    "    cx.x <== x;",
    "    cx.salt <== inputSalt;",
    "    inputCommitment === cx.out;",
    "",
  ];
  const outTag = await outputCommitmentTag(spec);
  const output = (yExpr: string): string[] => {
    if (mode === "public") return [`    for (var j = 0; j < ${nOut}; j++) y[j] === ${yExpr}[j];`];
    if (mode === "committed") {
      return [`    component cy = OutputCommitment(${nOut}, ${outTag});`, `    cy.y <== ${yExpr};`, "    cy.salt <== outputSalt;", "    outputCommitment === cy.out;"];
    }
    return [`    component am = ArgmaxClass(${nOut}, ${outputBits(spec)});`, `    am.y <== ${yExpr};`, "    am.class <== class;"];
  };
  const publicList = { public: "inputCommitment, y", committed: "inputCommitment, outputCommitment", argmax: "inputCommitment, class" }[mode];
  return { declarations, input, output, publicList };
}
