// Off-chain half of the storage challenges: the keccak256 Merkle tree over 1 KiB ciphertext
// segments whose root a model version commits to, and the proofs StorageChallenges.respond checks.
import { SimpleMerkleTree } from "@openzeppelin/merkle-tree";
import { encodeAbiParameters, keccak256, toHex } from "viem";
import type { Hex } from "viem";

/** Segment size the on-chain root is built over (StorageChallenges.SEGMENT_SIZE). */
export const STORAGE_SEGMENT_SIZE = 1024;

export class StorageTreeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StorageTreeError";
  }
}

/** leaf_i = keccak256(keccak256(abi.encode(uint256 i, bytes segment))), as the contract computes it. */
export function storageLeaf(index: number | bigint, segment: Uint8Array): Hex {
  if (segment.length === 0 || segment.length > STORAGE_SEGMENT_SIZE) {
    throw new StorageTreeError(`segment ${index} has ${segment.length} bytes; expected 1..${STORAGE_SEGMENT_SIZE}`);
  }
  const inner = keccak256(encodeAbiParameters([{ type: "uint256" }, { type: "bytes" }], [BigInt(index), toHex(segment)]));
  return keccak256(inner);
}

/** Splits ciphertext into the fixed segments the tree is built over (the last may be shorter). */
export function storageSegments(ciphertext: Uint8Array): Uint8Array[] {
  if (ciphertext.length === 0) throw new StorageTreeError("ciphertext is empty");
  const out: Uint8Array[] = [];
  for (let i = 0; i < ciphertext.length; i += STORAGE_SEGMENT_SIZE) out.push(ciphertext.subarray(i, i + STORAGE_SEGMENT_SIZE));
  return out;
}

export interface StorageTree {
  root: Hex;
  segmentCount: number;
  /** Sibling hashes for segment `index`, for StorageChallenges.respond. */
  proof(index: number): Hex[];
}

/** Builds the tree from the segments' leaves (OpenZeppelin SimpleMerkleTree, sorted-pair hashing). */
export function buildStorageTree(segments: readonly Uint8Array[]): StorageTree {
  if (segments.length === 0) throw new StorageTreeError("no segments");
  const tree = SimpleMerkleTree.of(segments.map((s, i) => storageLeaf(i, s)), { sortLeaves: false });
  return {
    root: tree.root as Hex,
    segmentCount: segments.length,
    proof: (index) => {
      if (!Number.isInteger(index) || index < 0 || index >= segments.length) {
        throw new StorageTreeError(`segment index ${index} out of range 0..${segments.length - 1}`);
      }
      return tree.getProof(index) as Hex[];
    },
  };
}
