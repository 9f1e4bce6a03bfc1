// Minimal types for the part of circomlibjs (which ships none) that zkp/ uses.
declare module "circomlibjs" {
  export interface PoseidonField {
    toObject(e: Uint8Array): bigint;
  }
  export interface Poseidon {
    (inputs: (bigint | number | string)[]): Uint8Array;
    F: PoseidonField;
  }
  export function buildPoseidon(): Promise<Poseidon>;
}
