/**
 * Openings of inference proofs (docs/ZK.md "Private input and output"): the salts and private
 * values that open a proof's input and output commitments, kept by the prover apart from the
 * proof file, and the check a recipient makes that an opening is the proof's.
 */
import type { InferenceOpening } from "../../zkp/inference.js";
import { revealModeOf } from "../../zkp/reveal-mode.js";
import { NodeError } from "../errors.js";
import type { ProofFile } from "./proofs.js";

export const OPENING_FORMAT = "modelvault-opening/1";

export interface InferenceOpeningFile {
  format: typeof OPENING_FORMAT;
  circuit: string;
  modelId: string;
  version: number;
  /** publicSignals[1], opened by (input, inputSalt). */
  inputCommitment: string;
  /** The quantized input (signed, scale 2^fracBits) and its salt, decimal. */
  input: string[];
  inputSalt: string;
  /** The outputs (signed, scale 2^fracBits), decimal. */
  outputs: string[];
  /** committed variant: publicSignals[2], opened by (outputs, outputSalt). */
  outputCommitment?: string;
  outputSalt?: string;
}

/** An opening file that is malformed. */
export class OpeningError extends NodeError {}

export function openingFile(file: ProofFile, opening: InferenceOpening): InferenceOpeningFile {
  return {
    format: OPENING_FORMAT,
    circuit: file.circuit,
    modelId: file.modelId,
    version: file.version,
    inputCommitment: file.publicSignals[1]!,
    input: opening.input.map(String),
    inputSalt: opening.inputSalt.toString(),
    outputs: opening.outputs.map(String),
    ...(opening.outputSalt === undefined ? {} : { outputCommitment: file.publicSignals[2]!, outputSalt: opening.outputSalt.toString() }),
  };
}

const signedDecimal = /^-?[0-9]{1,78}$/;
const decimal = /^[0-9]{1,78}$/;

/** Parses and shape-checks an opening file's text (OPENING_INVALID). */
export function parseOpeningFile(text: string): InferenceOpeningFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new OpeningError("OPENING_INVALID", "the opening file is not JSON");
  }
  const o = value as Partial<InferenceOpeningFile> | null;
  const bad = (what: string): never => {
    throw new OpeningError("OPENING_INVALID", `the opening file's ${what}`);
  };
  if (typeof o !== "object" || o === null) return bad("content is not an object");
  if (o.format !== OPENING_FORMAT) bad(`format is not ${OPENING_FORMAT}`);
  if (typeof o.circuit !== "string") bad("circuit is not a string");
  const ints = (v: unknown, re: RegExp) => Array.isArray(v) && v.length > 0 && v.length <= 4096 && v.every((s) => typeof s === "string" && re.test(s));
  if (!ints(o.input, signedDecimal) || !ints(o.outputs, signedDecimal)) bad("input or outputs are not decimal integers");
  if (typeof o.inputSalt !== "string" || !decimal.test(o.inputSalt)) bad("inputSalt is not a decimal field element");
  if (o.outputSalt !== undefined && (typeof o.outputSalt !== "string" || !decimal.test(o.outputSalt))) bad("outputSalt is not a decimal field element");
  return o as InferenceOpeningFile;
}

/**
 * Whether `opening` opens the proof's commitments: the input commitment (every variant), the
 * output commitment (committed), and that its outputs are what the proof published (public: y;
 * argmax: their argmax is the class). Recomputed with the built circuit's spec.
 */
export async function openingChecks(file: ProofFile, opening: InferenceOpeningFile): Promise<Record<string, boolean>> {
  const [{ builtSpec }, reveal] = await Promise.all([import("../../zkp/inference.js"), import("../../zkp/reveal.js")]);
  const { encodeSigned } = await import("../../zkp/field.js");
  let spec: ReturnType<typeof builtSpec>;
  try {
    spec = builtSpec(file.circuit);
  } catch (error) {
    throw new OpeningError("CIRCUIT_MISSING", `checking an opening needs the circuit's spec: ${(error as Error).message}`);
  }
  const signals = file.publicSignals.map(BigInt);
  const outputs = opening.outputs.map(BigInt);
  const committed = async (f: () => Promise<bigint>, expected: bigint | undefined) => expected !== undefined && (await f().catch(() => undefined)) === expected;
  const checks: Record<string, boolean> = {
    openingCircuit: opening.circuit === file.circuit,
    inputOpening: await committed(() => reveal.inputCommitment(spec, opening.input.map(BigInt), BigInt(opening.inputSalt)), signals[1]),
  };
  const mode = revealModeOf(file.circuit);
  if (mode === "public") checks.outputOpening = outputs.length === signals.length - 2 && outputs.every((y, j) => encodeSigned(y) === signals[j + 2]);
  if (mode === "committed") {
    checks.outputOpening = opening.outputSalt !== undefined && (await committed(() => reveal.outputCommitment(spec, outputs, BigInt(opening.outputSalt!)), signals[2]));
  }
  if (mode === "argmax") checks.outputOpening = outputs.length === spec.sizes.at(-1) && BigInt(reveal.argmaxClass(outputs)) === signals[2];
  return checks;
}
