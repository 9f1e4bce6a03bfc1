// circomlib-compatible Poseidon (circomlibjs, WebAssembly), built once per process.
import { buildPoseidon, type Poseidon } from "circomlibjs";
import { assertFieldElement } from "./field.js";

let instance: Promise<Poseidon> | undefined;

function poseidonInstance(): Promise<Poseidon> {
  instance ??= buildPoseidon();
  return instance;
}

/** A synchronous Poseidon over 1..16 field elements, identical to circomlib's Poseidon(n). */
export type PoseidonFn = (inputs: readonly bigint[]) => bigint;

export async function getPoseidon(): Promise<PoseidonFn> {
  const p = await poseidonInstance();
  return (inputs) => {
    if (inputs.length < 1 || inputs.length > 16) throw new RangeError(`Poseidon takes 1..16 inputs, got ${inputs.length}`);
    inputs.forEach((v, i) => assertFieldElement(`poseidon input[${i}]`, v));
    return p.F.toObject(p([...inputs]));
  };
}

export async function poseidon(inputs: readonly bigint[]): Promise<bigint> {
  return (await getPoseidon())(inputs);
}

/** Elements absorbed per Poseidon call in a chain (the 16th input carries the running hash). */
export const CHAIN_RATE = 15;

/**
 * Chained Poseidon: h = iv; for each chunk c of up to 15 elements, h = Poseidon([h, ...c]).
 * The circuit (circuits/lib/chain_hash.circom) computes the same value.
 */
export function chainHash(hash: PoseidonFn, elements: readonly bigint[], iv: bigint): bigint {
  let h = iv;
  for (let i = 0; i < elements.length; i += CHAIN_RATE) {
    h = hash([h, ...elements.slice(i, i + CHAIN_RATE)]);
  }
  return h;
}
