// Bit-exact integer reference of the inference circuit (circuits/lib/mlp.circom).
import { InputRangeError, assertInRange } from "./field.js";
import { MlpSpecError, layerPlans, type MlpSpec } from "./mlp-spec.js";

export interface QuantizedLayer {
  /** [out][in], signed weightBits-bit integers at scale 2^shift. */
  weights: bigint[][];
  /** [out], signed biasBits-bit integers at scale 2^(shift + fracBits). */
  biases: bigint[];
}

export interface QuantizedMlp {
  spec: MlpSpec;
  layers: QuantizedLayer[];
}

export class QuantizedModelError extends RangeError {
  override name = "QuantizedModelError";
}

/** Shapes and value ranges of a quantized model; throws QuantizedModelError naming the bad value. */
export function validateQuantizedMlp(model: QuantizedMlp): void {
  const { spec } = model;
  const plans = layerPlans(spec);
  if (model.layers.length !== plans.length) throw new MlpSpecError(`model has ${model.layers.length} layers, spec ${plans.length}`);
  const wHalf = 1n << BigInt(spec.weightBits - 1);
  const bHalf = 1n << BigInt(spec.biasBits - 1);
  model.layers.forEach((layer, l) => {
    const p = plans[l]!;
    if (layer.weights.length !== p.nOut || layer.weights.some((r) => r.length !== p.nIn) || layer.biases.length !== p.nOut) {
      throw new MlpSpecError(`layer ${l}: expected weights ${p.nOut}x${p.nIn} and ${p.nOut} biases`);
    }
    try {
      layer.weights.forEach((row, j) => row.forEach((w, i) => assertInRange(`layers[${l}].weight[${j}][${i}]`, w, -wHalf, wHalf - 1n)));
      layer.biases.forEach((b, j) => assertInRange(`layers[${l}].bias[${j}]`, b, -bHalf, bHalf - 1n));
    } catch (e) {
      if (e instanceof InputRangeError) throw new QuantizedModelError(e.message, { cause: e });
      throw e;
    }
  });
}

/** Checks the quantized input vector; throws InputRangeError naming input[i]. */
export function validateInput(spec: MlpSpec, input: readonly bigint[]): void {
  if (input.length !== spec.sizes[0]) throw new MlpSpecError(`input has ${input.length} values, model takes ${spec.sizes[0]}`);
  const half = 1n << BigInt(spec.inputBits - 1);
  input.forEach((x, i) => assertInRange(`input[${i}]`, x, -half, half - 1n));
}

/**
 * y = model(x) in integers: z = W.x + b; q = floor((z + 2^(shift-1)) / 2^shift); ReLU on hidden
 * layers. Returns the outputs at scale 2^fracBits.
 */
export function runQuantizedMlp(model: QuantizedMlp, input: readonly bigint[]): bigint[] {
  validateQuantizedMlp(model);
  validateInput(model.spec, input);
  return forwardUnchecked(model, input);
}

/**
 * The same arithmetic without the range checks: what the inference circuit computes for lanes
 * that are not in range (it does not check them; the well-formedness proof does). Tests only.
 */
export function forwardUnchecked(model: QuantizedMlp, input: readonly bigint[]): bigint[] {
  const plans = layerPlans(model.spec);
  let x: bigint[] = [...input];
  plans.forEach((p, l) => {
    const layer = model.layers[l]!;
    x = layer.weights.map((row, j) => {
      let z = layer.biases[j]!;
      for (let i = 0; i < p.nIn; i++) z += row[i]! * x[i]!;
      const q = (z + p.round) >> BigInt(p.shift); // BigInt >> is a floor division
      return p.relu && q < 0n ? 0n : q;
    });
  });
  return x;
}
