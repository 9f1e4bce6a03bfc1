// Off-chain half of the storage-challenge draw, the reference implementation: the commitment a
// challenger sends with challenge() and the segment index reveal() fixes. StorageChallenges.sol
// computes the same; test/contracts/vectors/challenge-seed-v1.json pins the bytes.
import { encodeAbiParameters, keccak256, toHex } from "viem";
import type { Address, Hex } from "viem";

/** A fresh secret salt: 32 bytes from the CSPRNG (Web Crypto, in Node and browsers). Whoever learns it before the reveal learns the index early. */
export function randomChallengeSalt(): Hex {
  return toHex(globalThis.crypto.getRandomValues(new Uint8Array(32)));
}

/** keccak256(abi.encode(address challenger, bytes32 salt)): what challenge() stores. */
export function challengeCommitment(challenger: Address, salt: Hex): Hex {
  return keccak256(encodeAbiParameters([{ type: "address" }, { type: "bytes32" }], [challenger, salt]));
}

/** keccak256(abi.encode(bytes32 salt, bytes32 blockhash(seedBlock), uint256 challengeId)) mod segmentCount. */
export function challengeSegmentIndex(salt: Hex, seedBlockHash: Hex, challengeId: bigint, segmentCount: number): bigint {
  if (!Number.isSafeInteger(segmentCount) || segmentCount < 1) throw new RangeError(`segmentCount must be >= 1, not ${segmentCount}`);
  const draw = keccak256(encodeAbiParameters(
    [{ type: "bytes32" }, { type: "bytes32" }, { type: "uint256" }], [salt, seedBlockHash, challengeId],
  ));
  return BigInt(draw) % BigInt(segmentCount);
}
