// Off-chain half of the storage challenges, the reference implementation: the SHA-256 Merkle tree
// over 4 KiB ciphertext segments whose root a model version commits to, and the proofs
// StorageChallenges.respond checks. (node/storage/storage-tree.ts builds the same tree fast while publishing.)
import { SimpleMerkleTree } from "@openzeppelin/merkle-tree";
import { bytesToHex, concatHex, encodePacked, sha256, toHex } from "viem";
import type { Hex } from "viem";

import { STORAGE_SEGMENT_SIZE } from "./storage-segment.js";

export { STORAGE_SEGMENT_SIZE };

export class StorageTreeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StorageTreeError";
  }
}

/** leaf_i = sha256(sha256(abi.encodePacked(uint256 i, segment))), as the contract computes it. */
export function storageLeaf(index: number | bigint, segment: Uint8Array): Hex {
  if (segment.length === 0 || segment.length > STORAGE_SEGMENT_SIZE) {
    throw new StorageTreeError(`segment ${index} has ${segment.length} bytes; expected 1..${STORAGE_SEGMENT_SIZE}`);
  }
  return sha256(sha256(encodePacked(["uint256", "bytes"], [BigInt(index), toHex(segment)])));
}

/** Inner node: sha256 of the pair in ascending order (StorageChallenges._sortedSha256). */
export function storageNodeHash(a: Hex, b: Hex): Hex {
  return a.toLowerCase() < b.toLowerCase() ? sha256(concatHex([a, b])) : sha256(concatHex([b, a]));
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

/** OpenZeppelin hands node hashes over as hex strings or bytes. */
const asHex = (value: string | Uint8Array | readonly number[]): Hex =>
  typeof value === "string" ? (value as Hex) : bytesToHex(Uint8Array.from(value));

/** Builds the tree from the segments' leaves (OpenZeppelin SimpleMerkleTree, sorted-pair SHA-256). */
export function buildStorageTree(segments: readonly Uint8Array[]): StorageTree {
  if (segments.length === 0) throw new StorageTreeError("no segments");
  const tree = SimpleMerkleTree.of(segments.map((s, i) => storageLeaf(i, s)), {
    sortLeaves: false,
    nodeHash: (a, b) => storageNodeHash(asHex(a), asHex(b)),
  });
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
