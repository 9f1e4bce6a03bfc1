// BN254 scalar field helpers shared by the circuits' TypeScript side.

/** The BN254 (alt_bn128) scalar field modulus: every signal and public input is < P. */
export const FIELD_P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** An input to a circuit that is outside the range the circuit accepts. */
export class InputRangeError extends RangeError {
  override name = "InputRangeError";
  constructor(
    /** Name of the input, with its index for vectors, e.g. "input[3]" or "claimant". */
    readonly input: string,
    readonly value: bigint,
    readonly min: bigint,
    readonly max: bigint,
  ) {
    super(`${input} = ${value} is out of range [${min}, ${max}]`);
  }
}

export function assertInRange(input: string, value: bigint, min: bigint, max: bigint): bigint {
  if (value < min || value > max) throw new InputRangeError(input, value, min, max);
  return value;
}

export function assertFieldElement(input: string, value: bigint): bigint {
  return assertInRange(input, value, 0n, FIELD_P - 1n);
}

/** Signed integer -> field element (negative v encoded as P - |v|). */
export function encodeSigned(v: bigint): bigint {
  return v < 0n ? FIELD_P + v : v;
}

/** Field element -> signed integer, taking values above P/2 as negative. */
export function decodeSigned(e: bigint): bigint {
  return e > FIELD_P / 2n ? e - FIELD_P : e;
}
