// Groth16 prove/verify over built circuit artifacts, and calldata typed for viem.
import { readFileSync } from "node:fs";
import * as snarkjs from "snarkjs";
import type { CircuitSignals, Groth16Proof, VerificationKey } from "snarkjs";
import { WitnessCalculatorBuilder, type WitnessCalculator } from "circom_runtime";
import { builtArtifacts } from "./artifacts.js";

/** Witness generation failed: the inputs do not satisfy the circuit. */
export class WitnessError extends Error {
  override name = "WitnessError";
}

export interface ProofBundle {
  proof: Groth16Proof;
  /** Public signals in circuit order, as field elements. */
  publicSignals: bigint[];
}

type G1 = readonly [bigint, bigint];
type G2 = readonly [readonly [bigint, bigint], readonly [bigint, bigint]];

/** Arguments of the generated verifier's verifyProof(_pA, _pB, _pC, _pubSignals). */
export type VerifierCalldata<S extends readonly bigint[] = readonly bigint[]> = readonly [G1, G2, G1, S];

const vkeys = new Map<string, VerificationKey>();

function verificationKey(circuit: string): VerificationKey {
  let vk = vkeys.get(circuit);
  if (!vk) {
    vk = JSON.parse(readFileSync(builtArtifacts(circuit).vkey, "utf8")) as VerificationKey;
    vkeys.set(circuit, vk);
  }
  return vk;
}

interface Prover {
  witness: WitnessCalculator;
  zkey: Uint8Array;
}

// Warm proving: the compiled witness calculator and the zkey stay in memory per circuit.
const provers = new Map<string, Promise<Prover>>();

function prover(circuit: string): Promise<Prover> {
  let p = provers.get(circuit);
  if (!p) {
    const art = builtArtifacts(circuit);
    p = (async () => ({ witness: await WitnessCalculatorBuilder(readFileSync(art.wasm)), zkey: readFileSync(art.zkey) }))();
    provers.set(circuit, p);
    p.catch(() => provers.delete(circuit));
  }
  return p;
}

/** Drops cached provers (after a rebuild in the same process). */
export function clearProverCache(): void {
  provers.clear();
  vkeys.clear();
}

/**
 * Proves `input` for `circuit`. When witness generation fails, `diagnose` gets the chance to
 * throw a precise typed error (which input is out of range) before the generic WitnessError.
 */
export async function prove(circuit: string, input: CircuitSignals, diagnose?: () => void): Promise<ProofBundle> {
  const { witness, zkey } = await prover(circuit);
  let wtns: Uint8Array;
  try {
    wtns = await witness.calculateWTNSBin(input, true);
  } catch (err) {
    provers.delete(circuit); // the wasm instance keeps the failed run's error text: start afresh
    diagnose?.();
    const msg = err instanceof Error ? err.message : String(err);
    throw new WitnessError(`${circuit}: witness generation failed: ${msg}`, { cause: err });
  }
  const result = await snarkjs.groth16.prove({ type: "mem", data: zkey }, { type: "mem", data: wtns });
  return { proof: result.proof, publicSignals: result.publicSignals.map((s) => BigInt(s)) };
}

export async function verify(circuit: string, bundle: ProofBundle): Promise<boolean> {
  return snarkjs.groth16.verify(verificationKey(circuit), bundle.publicSignals.map(String), bundle.proof);
}

/** Same layout as snarkjs exportSolidityCallData: G2 coordinates are swapped for the EVM precompile. */
export function groth16Calldata(bundle: ProofBundle): VerifierCalldata {
  const { pi_a: a, pi_b: b, pi_c: c } = bundle.proof;
  const n = (s: string | undefined): bigint => {
    if (s === undefined) throw new TypeError("malformed Groth16 proof");
    return BigInt(s);
  };
  return [
    [n(a[0]), n(a[1])],
    [
      [n(b[0]?.[1]), n(b[0]?.[0])],
      [n(b[1]?.[1]), n(b[1]?.[0])],
    ],
    [n(c[0]), n(c[1])],
    [...bundle.publicSignals],
  ] as const;
}
