/** What the chain client reads and writes, in the contracts' terms with TypeScript types (bigint ids, viem Address/Hex). */
import type { Address, Hex } from "viem";
import type { ModelStatus } from "../../contracts/views.js";

export { MODEL_STATUS, type ModelStatus } from "../../contracts/views.js";

export interface ModelState {
  owner: Address;
  /** Current version (1 .. 65 535). */
  version: number;
  status: ModelStatus;
}

/** What registerModel and publishVersion publish (one definition: contracts/version-calls.ts). */
export type { VersionParams } from "../../contracts/version-calls.js";

/** Licence terms, fixed into each licence when it is issued (one definition: contracts/views.ts). */
export type { Terms } from "../../contracts/views.js";

export interface ModelVersion {
  manifestCid: string;
  storageRoot: Hex;
  segmentCount: number;
  threshold: number;
  custodians: readonly Address[];
  weightsCommitment: bigint;
  ownerCommitment: bigint;
  /** Unix time of publication. */
  publishedAt: bigint;
}

export interface License {
  /** Unix time; 0 = no expiry. */
  expiresAt: number;
  maxUses: number;
  used: number;
  /** Version the licence was issued for. */
  version: number;
  nonce: number;
  requiredStake: bigint;
  revoked: boolean;
}

export interface TicketView {
  modelId: bigint;
  version: number;
  licensee: Address;
  /** 33-byte compressed secp256k1 key that shares must be wrapped to. */
  recipientKey: Hex;
  expiresAt: bigint;
  licenceLive: boolean;
  /** licenceLive and the ticket not expired: the only condition for releasing a share. */
  valid: boolean;
}

export interface CustodianInfo {
  stake: bigint;
  unbonding: bigint;
  unbondAt: bigint;
  openChallenges: number;
  publicKey: Hex;
  endpoint: string;
}

export type ChallengeState = "committed" | "revealed" | "answered" | "slashed" | "lapsed";
/** By StorageChallenges.State (0 = no such challenge). */
export const CHALLENGE_STATE: readonly (ChallengeState | undefined)[] = [
  undefined, "committed", "revealed", "answered", "slashed", "lapsed",
];

export interface ChallengeInfo {
  modelId: bigint;
  version: number;
  custodian: Address;
  challenger: Address;
  seedBlock: bigint;
  /** Last block of the current step: the reveal while "committed", the response from "revealed" on. */
  deadlineBlock: bigint;
  /** null until the salt is revealed. */
  segmentIndex: bigint | null;
  /** keccak256(abi.encode(challenger, salt)). */
  commitment: Hex;
  state: ChallengeState;
  bond: bigint;
}

/** Where a write landed. */
export interface TxResult {
  txHash: Hex;
  blockNumber: bigint;
}

export interface KeyRequest extends TxResult {
  ticketId: Hex;
  version: number;
  expiresAt: bigint;
}

export interface OpenedChallenge extends TxResult {
  challengeId: bigint;
  version: number;
  seedBlock: bigint;
  /** Last block revealChallenge can land in (seedBlock + 256). */
  deadlineBlock: bigint;
  /** The committed salt: keep it secret until revealChallenge, after seedBlock is mined. */
  salt: Hex;
}

export interface RevealedChallenge extends TxResult {
  segmentIndex: bigint;
  /** Last block the custodian can respond in. */
  deadlineBlock: bigint;
}
