// The models `npm run demo` publishes and proves (`-- --model iris|digits`): the shipped Iris
// 4-16-3 (the default; its circuit fits CI's 2^12 ptau and comes with `build:circuits`) and the
// 64-32-10 digits model, whose circuit is built here on first use from a cached ptau.
import { existsSync } from "node:fs";
import { artifactPath } from "../deploy-suite.js";
import { verifierContractName } from "../../zkp/artifacts.js";
import { buildInference, inferenceCircuit, wellFormedCircuit } from "../../zkp/circuits.js";
import { digitsFeatures, readDigits } from "../../zkp/digits.js";
import { inferenceCircuitName, wellFormedCircuitName } from "../../zkp/mlp-spec.js";
import { DIGITS_MODEL_PATH, IRIS_MODEL_PATH, loadMlp } from "../../zkp/models.js";
import { compileContracts } from "./devnet.js";

export interface DemoModel {
  /** Name it is published under. */
  name: string;
  path: string;
  /** The sample proved, as the model takes it. */
  input: number[];
  /** How the step line names the sample. */
  inputLabel: string;
  /** Lines that show the sample (the digit's picture), or none. */
  picture: string[];
  classes: readonly string[];
  /** Makes sure the inference circuit and its verifier contract are built (throws when it cannot be). */
  ensureCircuit(log: (line: string) => void): Promise<void>;
}

const IRIS_SAMPLE = [6.7, 3.0, 5.2, 2.3]; // sepal length/width, petal length/width (cm)
/** Row of data/digits/digits.csv.gz proved by the demo: a handwritten 7 of the test split. */
export const DIGITS_DEMO_ROW = 7;
const SHADES = " .:-=+*#@";

/** An 8x8 image of pixels 0..16 as text, two characters per pixel. */
export function digitPicture(pixels: readonly number[]): string[] {
  return Array.from({ length: 8 }, (_, r) =>
    pixels
      .slice(r * 8, r * 8 + 8)
      .map((p) => SHADES[Math.round((p / 16) * (SHADES.length - 1))]!.repeat(2))
      .join(""),
  );
}

function iris(): DemoModel {
  return {
    name: "iris-4-16-3",
    path: IRIS_MODEL_PATH,
    input: IRIS_SAMPLE,
    inputLabel: JSON.stringify(IRIS_SAMPLE),
    picture: [],
    classes: ["setosa", "versicolor", "virginica"],
    ensureCircuit: () => Promise.resolve(), // a CI circuit: ensureBuilt builds it
  };
}

function digits(): DemoModel {
  const data = readDigits();
  const pixels = data.x[DIGITS_DEMO_ROW]!;
  return {
    name: "digits-64-32-10",
    path: DIGITS_MODEL_PATH,
    input: digitsFeatures(pixels),
    inputLabel: `the handwritten digit of row ${DIGITS_DEMO_ROW} of data/digits (labelled ${data.y[DIGITS_DEMO_ROW]})`,
    picture: digitPicture(pixels),
    classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    async ensureCircuit(log) {
      const spec = loadMlp(DIGITS_MODEL_PATH).spec; // the file names its quantization
      // Never make a dev ptau here: a 2^15 one takes half an hour.
      // The inference circuit fits 2^14; its well-formedness circuit needs 2^15 (docs/ZK.md).
      const built = [await buildInference(await inferenceCircuit(spec), { makeDevPtau: false, log }), await buildInference(await wellFormedCircuit(spec), { makeDevPtau: false, log })];
      const contracts = [inferenceCircuitName(spec), wellFormedCircuitName(spec)].map(verifierContractName);
      if (built.some((b) => b.rebuilt) || contracts.some((c) => !existsSync(artifactPath(c, "contracts/verifiers")))) compileContracts({ log });
    },
  };
}

export const DEMO_MODELS = { iris, digits } as const;
export type DemoModelName = keyof typeof DEMO_MODELS;

export function demoModel(name: string): DemoModel {
  if (!Object.hasOwn(DEMO_MODELS, name)) throw new Error(`unknown demo model ${JSON.stringify(name)}: ${Object.keys(DEMO_MODELS).join(" or ")}`);
  return DEMO_MODELS[name as DemoModelName]();
}
