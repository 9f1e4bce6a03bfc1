// The lane encoding of a model's parameters (docs/ZK.md "Commitments"): the committed field
// elements are exactly the ones the inference circuit multiplies. Layer l, group g, input i:
//   wl[l][g][i] = sum_m (w[g*k+m][i] + 2^(weightBits-1)) * 2^(slotBits*m),
//   bl[l][g]    = sum_m (b[g*k+m]    + 2^(biasBits-1))   * 2^(slotBits*m),
// with k = slotsPerProduct and slotBits of layerPlans; the last group may hold fewer lanes.
// circuits/lib/mlp.circom (DenseLayer, LaneDigits) computes the same.
import { assertInRange } from "./field.js";
import { layerPlans, type LayerPlan, type MlpSpec } from "./mlp-spec.js";
import type { QuantizedMlp } from "./mlp.js";

export interface LaneLayer {
  /** [group][input] lane elements of the weights. */
  weights: bigint[][];
  /** [group] lane elements of the biases. */
  biases: bigint[];
}

/** Groups of neurons sharing one lane element: ceil(nOut / slotsPerProduct). */
export function groupCount(plan: LayerPlan): number {
  return Math.ceil(plan.nOut / plan.slotsPerProduct);
}

/** Lanes of group g (the last group may be short). */
export function lanesOf(plan: LayerPlan, g: number): number {
  return Math.min(plan.slotsPerProduct, plan.nOut - g * plan.slotsPerProduct);
}

/** Packs signed `bits`-bit values one per slot: sum_m (v_m + 2^(bits-1)) * 2^(slotBits*m). */
export function packLanes(values: readonly bigint[], slotBits: number, bits: number, name: (m: number) => string): bigint {
  const half = 1n << BigInt(bits - 1);
  return values.reduce((acc, v, m) => acc | ((assertInRange(name(m), v, -half, half - 1n) + half) << BigInt(slotBits * m)), 0n);
}

/** The model's lane elements, layer by layer; throws InputRangeError naming an out-of-range parameter. */
export function laneLayers(model: QuantizedMlp): LaneLayer[] {
  const { spec } = model;
  return layerPlans(spec).map((p, l) => {
    const layer = model.layers[l]!;
    const groups = Array.from({ length: groupCount(p) }, (_, g) => g * p.slotsPerProduct);
    const neurons = (j0: number, g: number) => Array.from({ length: lanesOf(p, g) }, (_, m) => j0 + m);
    return {
      weights: groups.map((j0, g) =>
        Array.from({ length: p.nIn }, (_, i) =>
          packLanes(neurons(j0, g).map((j) => layer.weights[j]![i]!), p.slotBits, spec.weightBits, (m) => `layers[${l}].weight[${j0 + m}][${i}]`),
        ),
      ),
      biases: groups.map((j0, g) => packLanes(neurons(j0, g).map((j) => layer.biases[j]!), p.slotBits, spec.biasBits, (m) => `layers[${l}].bias[${j0 + m}]`)),
    };
  });
}

/** Hash order of the commitment: per layer, its weight lanes group by group (input order), then its bias lanes. */
export function flattenLanes(layers: readonly LaneLayer[]): bigint[] {
  return layers.flatMap((l) => [...l.weights.flat(), ...l.biases]);
}

/** Number of committed lane elements of an architecture. */
export function laneElementCount(spec: MlpSpec): number {
  return layerPlans(spec).reduce((n, p) => n + groupCount(p) * (p.nIn + 1), 0);
}
