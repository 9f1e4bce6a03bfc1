// Constraints of the reveal variants (zkp/reveal.ts) for bench:zk, compile only (no setup):
// every variant's total per architecture, and what the salted input commitment costs alone.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUILD_DIR } from "../../zkp/artifacts.js";
import { countConstraints } from "../../zkp/build.js";
import { inferenceCircuit } from "../../zkp/circuits.js";
import { digitsPerElement } from "../../zkp/commitment.js";
import type { MlpSpec } from "../../zkp/mlp-spec.js";
import { REVEAL_MODES, inputCommitmentTag } from "../../zkp/reveal.js";

/** Compiles a one-component main (lib/mlp.circom and lib/reveal.circom included) and counts its constraints. */
async function templateConstraints(name: string, component: string): Promise<number> {
  const dir = join(BUILD_DIR, "generated");
  mkdirSync(dir, { recursive: true });
  const source = join(dir, `${name}.circom`);
  writeFileSync(source, `pragma circom 2.1.0;\ninclude "lib/mlp.circom";\ninclude "lib/reveal.circom";\ncomponent main = ${component};\n`);
  return countConstraints({ name, source, contractName: name });
}

export interface RevealConstraints {
  /** Markdown table rows: variant, constraints, difference to the public variant. */
  rows: string[];
  /** The salted input commitment of `inputSpec` alone: input range checks + Poseidon chain over packed input ++ salt. */
  privateInputConstraints: number;
  /** What the salt adds to it: the same commitment without the salt element. */
  privateInputSaltConstraints: number;
  variantConstraints: Record<string, number>;
}

export async function revealConstraints(specs: readonly MlpSpec[], inputSpec: MlpSpec): Promise<RevealConstraints> {
  const variantConstraints: Record<string, number> = {};
  const rows: string[] = [];
  for (const spec of specs) {
    let base = 0;
    for (const mode of REVEAL_MODES) {
      const circuit = await inferenceCircuit(spec, mode);
      const n = await countConstraints(circuit);
      if (mode === "public") base = n;
      variantConstraints[circuit.name] = n;
      rows.push(`| ${circuit.name} | ${mode} | ${n} | ${mode === "public" ? "-" : `${n - base >= 0 ? "+" : ""}${n - base}`} |`);
    }
  }
  const nIn = inputSpec.sizes[0]!;
  const per = digitsPerElement(inputSpec.inputBits);
  const tag = await inputCommitmentTag(inputSpec);
  const salted = await templateConstraints(`input_commitment_${nIn}`, `InputCommitment(${nIn}, ${inputSpec.inputBits}, ${per}, ${tag})`);
  // The unsalted counterpart: the same range checks and packing, the chain without the salt element.
  const nEl = Math.ceil(nIn / per);
  const unsalted = await templateConstraints(
    `input_hash_${nIn}`,
    `ChainHash(${nEl}, ${tag})`,
  ) + (await templateConstraints(`input_pack_${nIn}`, `RangePack(${nIn}, ${inputSpec.inputBits}, ${per})`));
  return { rows, privateInputConstraints: salted, privateInputSaltConstraints: salted - unsalted, variantConstraints };
}
