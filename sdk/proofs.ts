/**
 * Groth16 proofs of ownership and inference (docs/ZK.md), checked the two ways zkp/ does:
 *   - off chain with snarkjs's groth16.verify (its "browser" export is a self-contained ES module
 *     with no node: imports; loaded lazily, so the SDK costs nothing until a proof is checked);
 *   - on chain with a view call (viem readContract) to the deployed generated verifier.
 * Signals are field elements < the BN254 scalar modulus: snarkjs would reduce larger ones, the
 * verifier contracts refuse them, so they are refused here before either runs.
 */
import type { Abi } from "viem";
import { FIELD_P } from "../zkp/field.js";
import { groth16VerifierAbi } from "../zkp/verifier-abi.js";
import { SdkError } from "./errors.js";

export { FIELD_P };

/** A proof as snarkjs writes it (proof.json). */
export interface Groth16Proof {
  pi_a: readonly string[];
  pi_b: readonly (readonly string[])[];
  pi_c: readonly string[];
  protocol?: string;
  curve?: string;
}

/** A verification key as snarkjs exports it (verification_key.json). */
export interface Groth16VerificationKey {
  protocol: string;
  curve: string;
  nPublic: number;
  [field: string]: unknown;
}

type G1 = readonly [bigint, bigint];
type G2 = readonly [readonly [bigint, bigint], readonly [bigint, bigint]];
/** Arguments of a generated verifier's verifyProof(_pA, _pB, _pC, _pubSignals). */
export type VerifierCalldata = readonly [G1, G2, G1, readonly bigint[]];

export type ProofKind = "ownership" | "inference";

/** Public signals as field elements; INVALID_PROOF unless each is an integer in [0, P). */
export function fieldSignals(signals: readonly (bigint | string | number)[]): bigint[] {
  if (!Array.isArray(signals)) throw new SdkError("INVALID_PROOF", "publicSignals must be an array");
  return signals.map((s, i) => {
    let v: bigint;
    try {
      v = BigInt(s);
    } catch {
      throw new SdkError("INVALID_PROOF", `public signal ${i} is not an integer`);
    }
    if (v < 0n || v >= FIELD_P) throw new SdkError("INVALID_PROOF", `public signal ${i} is not a field element`);
    return v;
  });
}

/** Same layout as snarkjs exportSolidityCallData (zkp/groth16.ts): G2 coordinates swapped for the EVM precompile. */
export function groth16Calldata(proof: Groth16Proof, publicSignals: readonly (bigint | string | number)[]): VerifierCalldata {
  const n = (s: string | undefined): bigint => {
    if (s === undefined) throw new SdkError("INVALID_PROOF", "malformed Groth16 proof");
    try {
      return BigInt(s);
    } catch {
      throw new SdkError("INVALID_PROOF", "malformed Groth16 proof");
    }
  };
  const { pi_a: a, pi_b: b, pi_c: c } = proof ?? ({} as Groth16Proof);
  if (!Array.isArray(a) || !Array.isArray(b) || !Array.isArray(c)) throw new SdkError("INVALID_PROOF", "malformed Groth16 proof");
  return [
    [n(a[0]), n(a[1])],
    [
      [n(b[0]?.[1]), n(b[0]?.[0])],
      [n(b[1]?.[1]), n(b[1]?.[0])],
    ],
    [n(c[0]), n(c[1])],
    fieldSignals(publicSignals),
  ] as const;
}

/** Off chain: snarkjs groth16.verify, loaded on first use. */
export async function verifyGroth16(verificationKey: Groth16VerificationKey, proof: Groth16Proof, publicSignals: readonly (bigint | string | number)[]): Promise<boolean> {
  const signals = fieldSignals(publicSignals);
  if (typeof verificationKey !== "object" || verificationKey === null || verificationKey.protocol !== "groth16") {
    throw new SdkError("INVALID_ARGUMENT", "not a Groth16 verification key");
  }
  if (verificationKey.nPublic !== signals.length) return false;
  groth16Calldata(proof, signals); // shape check before snarkjs sees it
  const { groth16 } = await import("snarkjs");
  try {
    return await groth16.verify(
      verificationKey as Parameters<typeof groth16.verify>[0],
      signals.map(String),
      proof as unknown as Parameters<typeof groth16.verify>[2],
    );
  } catch {
    return false; // points not on the curve and the like: not a valid proof
  }
}

/** The ABI of a generated verifier with `nPublic` public signals (zkp/verifier-abi.ts). */
export function verifierAbi(nPublic: number): Abi {
  return groth16VerifierAbi(nPublic) as unknown as Abi;
}
