// Fixed-point MLP architecture shared by the TypeScript reference and the circuit generator.
// Numbers: inputs/activations at scale 2^fracBits; layer l's weights at scale 2^shifts[l]
// and its biases at scale 2^(shifts[l] + fracBits); each layer rescales by 2^shifts[l].

/** Bits per packed field element (< 253, so every packing is unique below the field modulus). */
export const PACK_BITS = 252;
/** 2: the weights are committed as lane elements (zkp/lanes.ts); 1 packed them densely. */
export const COMMITMENT_VERSION = 2n;

export class MlpSpecError extends Error {
  override name = "MlpSpecError";
}

export interface MlpSpec {
  /** Layer widths, input first: [4, 16, 3] is 4 inputs, one hidden layer of 16, 3 outputs. */
  sizes: readonly number[];
  /** Signed bits per weight (two's-complement range [-2^(b-1), 2^(b-1)-1]). */
  weightBits: number;
  /** Signed bits per bias. */
  biasBits: number;
  /** Signed bits per input value. */
  inputBits: number;
  /** Fraction bits of inputs and activations. */
  fracBits: number;
  /** Per layer: fraction bits of its weights, and the right shift that rescales its sums. */
  shifts: readonly number[];
}

export interface LayerPlan {
  nIn: number;
  nOut: number;
  shift: number;
  relu: boolean;
  /** Rounding constant added before the shift (round half up). */
  round: bigint;
  /** Bits of one slot: z + round + 2^(slotBits-1) is in [0, 2^slotBits) for every in-range model and input. */
  slotBits: number;
  /** Neurons whose products share one multiplication (packed in slots of slotBits). */
  slotsPerProduct: number;
}

const bitLength = (v: bigint): number => (v === 0n ? 0 : v.toString(2).length);

export function validateSpec(spec: MlpSpec): void {
  const { sizes, shifts } = spec;
  if (sizes.length < 2 || sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 4096)) {
    throw new MlpSpecError(`bad layer sizes ${JSON.stringify(sizes)}`);
  }
  if (shifts.length !== sizes.length - 1 || shifts.some((s) => !Number.isInteger(s) || s < 0 || s > 32)) {
    throw new MlpSpecError(`need one shift in [0, 32] per layer, got ${JSON.stringify(shifts)}`);
  }
  for (const [k, v] of Object.entries({ weightBits: spec.weightBits, biasBits: spec.biasBits, inputBits: spec.inputBits })) {
    if (!Number.isInteger(v) || v < 2 || v > 64) throw new MlpSpecError(`${k} must be an integer in [2, 64]`);
  }
  if (!Number.isInteger(spec.fracBits) || spec.fracBits < 0 || spec.fracBits > 32) throw new MlpSpecError("fracBits in [0, 32]");
}

/**
 * Worst-case magnitudes per layer, from the range checks on inputs, weights and biases alone:
 * no in-range model and input can overflow a slot, so the circuit never wraps around.
 */
export function layerPlans(spec: MlpSpec): LayerPlan[] {
  validateSpec(spec);
  const plans: LayerPlan[] = [];
  let inMax = 1n << BigInt(spec.inputBits - 1); // |x| <= inMax
  for (let l = 0; l + 1 < spec.sizes.length; l++) {
    const nIn = spec.sizes[l]!;
    const nOut = spec.sizes[l + 1]!;
    const shift = spec.shifts[l]!;
    const round = shift > 0 ? 1n << BigInt(shift - 1) : 0n;
    const zMax = BigInt(nIn) * (1n << BigInt(spec.weightBits - 1)) * inMax + (1n << BigInt(spec.biasBits - 1)) + round;
    const slotBits = bitLength(zMax) + 1;
    if (slotBits > PACK_BITS) throw new MlpSpecError(`layer ${l}: sums need ${slotBits} bits`);
    if (shift >= slotBits) throw new MlpSpecError(`layer ${l}: shift ${shift} >= slot bits ${slotBits}`);
    plans.push({
      nIn,
      nOut,
      shift,
      relu: l + 2 < spec.sizes.length,
      round,
      slotBits,
      slotsPerProduct: Math.max(1, Math.min(nOut, Math.floor(PACK_BITS / slotBits))),
    });
    inMax = 1n << BigInt(slotBits - 1 - shift);
  }
  return plans;
}

/** Header hashed into the commitment, so it also binds the architecture and quantization. */
export function specHeader(spec: MlpSpec): bigint[] {
  const ints = [COMMITMENT_VERSION, spec.weightBits, spec.biasBits, spec.inputBits, spec.fracBits, spec.sizes.length - 1];
  return [...ints, ...spec.sizes, ...spec.shifts].map((v) => BigInt(v));
}

export function weightCount(spec: MlpSpec): number {
  let n = 0;
  for (let l = 0; l + 1 < spec.sizes.length; l++) n += spec.sizes[l]! * spec.sizes[l + 1]!;
  return n;
}

export function paramCount(spec: MlpSpec): number {
  return weightCount(spec) + spec.sizes.slice(1).reduce((a, b) => a + b, 0);
}

/** "inference_4_16_3" */
export function inferenceCircuitName(spec: MlpSpec): string {
  return `inference_${spec.sizes.join("_")}`;
}

/** "wellformed_4_16_3": the well-formedness circuit of the architecture's lane elements. */
export function wellFormedCircuitName(spec: MlpSpec): string {
  return `wellformed_${spec.sizes.join("_")}`;
}
