// Weight commitment and input hash, chained Poseidon over field elements: the weights' lane
// elements (zkp/lanes.ts), the input's packed digits (PACK_BITS per element).
// circuits/lib/mlp.circom computes the same.
import { assertInRange } from "./field.js";
import { flattenLanes, laneLayers } from "./lanes.js";
import { PACK_BITS, specHeader, type MlpSpec } from "./mlp-spec.js";
import { chainHash, getPoseidon } from "./poseidon.js";
import type { QuantizedMlp } from "./mlp.js";

export function digitsPerElement(bits: number): number {
  return Math.floor(PACK_BITS / bits);
}

/**
 * Packs signed `bits`-bit values, little-endian: element = sum (v_i + 2^(bits-1)) * 2^(bits*i).
 * `name` labels the values in range errors ("input" -> "input[3]").
 */
export function packSigned(values: readonly bigint[], bits: number, name: string): bigint[] {
  const half = 1n << BigInt(bits - 1);
  const per = digitsPerElement(bits);
  const out: bigint[] = [];
  for (let i = 0; i < values.length; i += per) {
    let acc = 0n;
    values.slice(i, i + per).forEach((v, j) => {
      assertInRange(`${name}[${i + j}]`, v, -half, half - 1n);
      acc |= (v + half) << BigInt(bits * j);
    });
    out.push(acc);
  }
  return out;
}

/** The field elements hashed by the commitment: every layer's lane elements (exposed for tests and docs). */
export function commitmentElements(model: QuantizedMlp): bigint[] {
  return flattenLanes(laneLayers(model));
}

export async function specTag(spec: MlpSpec): Promise<bigint> {
  return chainHash(await getPoseidon(), specHeader(spec), 0n);
}

/** weightsCommitment registered on chain for a quantized model. */
export async function weightsCommitment(model: QuantizedMlp): Promise<bigint> {
  return commitLanes(model.spec, commitmentElements(model));
}

/** The commitment of lane elements as given (unchecked: a malformed lane commits too, which is why well-formedness is proved). */
export async function commitLanes(spec: MlpSpec, elements: readonly bigint[]): Promise<bigint> {
  return chainHash(await getPoseidon(), elements, await specTag(spec));
}
