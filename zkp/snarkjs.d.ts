// Minimal types for the parts of snarkjs (which ships none) that zkp/ uses.
declare module "snarkjs" {
  export type NumericString = string;

  export interface Groth16Proof {
    pi_a: NumericString[];
    pi_b: NumericString[][];
    pi_c: NumericString[];
    protocol: "groth16";
    curve: string;
  }

  export interface VerificationKey {
    protocol: string;
    curve: string;
    nPublic: number;
    [key: string]: unknown;
  }

  export interface MemFile {
    type: "mem";
    data: Uint8Array;
  }

  export interface Logger {
    debug(msg: string): void;
    info(msg: string): void;
    warn(msg: string): void;
    error(msg: string): void;
  }

  export interface Curve {
    terminate(): Promise<void>;
  }

  export type SignalValue = bigint | string | number | SignalValue[];
  export type CircuitSignals = Record<string, SignalValue>;

  export const powersOfTau: {
    newAccumulator(curve: Curve, power: number, fileName: string, logger?: Logger): Promise<unknown>;
    beacon(
      oldPtau: string,
      newPtau: string,
      name: string,
      beaconHashHex: string,
      numIterationsExp: number,
      logger?: Logger,
    ): Promise<unknown>;
    preparePhase2(oldPtau: string, newPtau: string, logger?: Logger): Promise<void>;
  };

  export const zKey: {
    newZKey(r1cs: string, ptau: string, zkey: string, logger?: Logger): Promise<unknown>;
    beacon(
      oldZkey: string,
      newZkey: string,
      name: string,
      beaconHashHex: string,
      numIterationsExp: number,
      logger?: Logger,
    ): Promise<unknown>;
    contribute(oldZkey: string, newZkey: string, name: string, entropy: string, logger?: Logger): Promise<unknown>;
    exportVerificationKey(zkey: string, logger?: Logger): Promise<VerificationKey>;
    exportSolidityVerifier(zkey: string, templates: { groth16: string }, logger?: Logger): Promise<string>;
  };

  export const groth16: {
    fullProve(
      input: CircuitSignals,
      wasmFile: string | Uint8Array,
      zkeyFile: string | Uint8Array,
      logger?: Logger,
    ): Promise<{ proof: Groth16Proof; publicSignals: NumericString[] }>;
    /** Files by path, or in memory as { type: "mem", data }. */
    prove(zkey: string | MemFile, witness: string | MemFile, logger?: Logger): Promise<{ proof: Groth16Proof; publicSignals: NumericString[] }>;
    verify(vk: VerificationKey, publicSignals: NumericString[], proof: Groth16Proof, logger?: Logger): Promise<boolean>;
    exportSolidityCallData(proof: Groth16Proof, publicSignals: NumericString[]): Promise<string>;
  };

  export const curves: {
    getCurveFromName(name: string, options?: { singleThread?: boolean }): Promise<Curve>;
  };

  export const r1cs: {
    info(r1csFile: string, logger?: Logger): Promise<{ nConstraints: number; nVars: number; nOutputs: number; nPubInputs: number; nPrvInputs: number }>;
  };
}

declare module "circom_runtime" {
  export interface WitnessCalculator {
    calculateWTNSBin(input: Record<string, unknown>, sanityCheck?: boolean): Promise<Uint8Array>;
  }
  export function WitnessCalculatorBuilder(code: Uint8Array, options?: { logOutput?: boolean }): Promise<WitnessCalculator>;
}
