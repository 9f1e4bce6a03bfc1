/** ChainClient's custodian calls: CustodianRegistry, StorageChallenges and LicenseeStaking reads and writes. */
import { custodianRegistryAbi, licenseeStakingAbi, storageChallengesAbi } from "../../contracts/abi/index.js";
import { challengeCommitment, randomChallengeSalt } from "../../contracts/challenge-seed.js";
import { address, bytes, bytes32, compressedKey, uint } from "./arguments.js";
import type { ChainClient } from "./client-types.js";
import { eventIn, type ChainContext } from "./context.js";
import { CHALLENGE_STATE } from "./types.js";

export type CustodianCalls = Pick<
  ChainClient,
  | "custodianInfo" | "isActiveCustodian" | "challengeInfo" | "segmentIndex" | "registerCustodian" | "updateCustodianProfile"
  | "challenge" | "revealChallenge" | "respondChallenge" | "slashChallenge" | "lapseChallenge" | "stakeLicensee"
>;

export function custodianCalls(ctx: ChainContext): CustodianCalls {
  const { publicClient, contracts, read, transact, txOf } = ctx;
  const { custodians: custodiansAddress, challenges: challengesAddress, staking: stakingAddress } = ctx.addresses;
  let bond: bigint | undefined; // immutable in StorageChallenges
  return {
    async custodianInfo(custodian) {
      const c = await read("custodianInfo", () => contracts.custodians.read.custodianInfo([address(custodian, "custodian")]));
      if (!c.registered) return null;
      return {
        stake: c.stake, unbonding: c.unbonding, unbondAt: c.unbondAt, openChallenges: c.openChallenges,
        publicKey: c.publicKey, endpoint: c.endpoint,
      };
    },

    isActiveCustodian(custodian) {
      return read("isActive", () => contracts.custodians.read.isActive([address(custodian, "custodian")]));
    },

    async challengeInfo(challengeId) {
      const [challenger, seedBlock, index, deadlineBlock, state, custodian, version, bondPaid, modelId, commitment] = await read(
        "challenges", () => contracts.challenges.read.challenges([uint(challengeId, "challengeId")]),
      );
      const named = CHALLENGE_STATE[state];
      if (named === undefined) return null;
      const segmentIndex = named === "committed" || named === "lapsed" ? null : BigInt(index);
      return { modelId, version, custodian, challenger, seedBlock, deadlineBlock, segmentIndex, commitment, state: named, bond: bondPaid };
    },

    segmentIndex(challengeId) {
      return read("segmentIndex", () => contracts.challenges.read.segmentIndex([uint(challengeId, "challengeId")]));
    },

    async registerCustodian(publicKey, endpoint, stake) {
      const key = compressedKey(publicKey, "publicKey");
      uint(stake, "stake");
      const receipt = await transact("register", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: custodiansAddress, abi: custodianRegistryAbi, functionName: "register", args: [key, endpoint], value: stake,
          account: from,
        });
        return wallet.writeContract(request);
      });
      return txOf(receipt);
    },

    async updateCustodianProfile(publicKey, endpoint) {
      const key = compressedKey(publicKey, "publicKey");
      const receipt = await transact("updateProfile", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: custodiansAddress, abi: custodianRegistryAbi, functionName: "updateProfile", args: [key, endpoint], account: from,
        });
        return wallet.writeContract(request);
      });
      return txOf(receipt);
    },

    async challenge(modelId, custodian, options = {}) {
      uint(modelId, "modelId");
      address(custodian, "custodian");
      const salt = options.salt === undefined ? randomChallengeSalt() : bytes32(options.salt, "salt");
      bond ??= await read("bond", () => contracts.challenges.read.bond());
      const value = bond;
      const receipt = await transact("challenge", async (wallet, from) => {
        const commitment = challengeCommitment(from.address, salt);
        const { request } = await publicClient.simulateContract({
          address: challengesAddress, abi: storageChallengesAbi, functionName: "challenge", args: [modelId, custodian, commitment],
          value, account: from,
        });
        return wallet.writeContract(request);
      });
      const { args } = eventIn(receipt, storageChallengesAbi, "ChallengeOpened", challengesAddress);
      return {
        challengeId: args.challengeId, version: args.version, seedBlock: args.seedBlock, deadlineBlock: args.deadlineBlock, salt,
        ...txOf(receipt),
      };
    },

    async revealChallenge(challengeId, salt) {
      uint(challengeId, "challengeId");
      bytes32(salt, "salt");
      const receipt = await transact("reveal", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: challengesAddress, abi: storageChallengesAbi, functionName: "reveal", args: [challengeId, salt], account: from,
        });
        return wallet.writeContract(request);
      });
      const { args } = eventIn(receipt, storageChallengesAbi, "ChallengeRevealed", challengesAddress);
      return { segmentIndex: args.segmentIndex, deadlineBlock: args.deadlineBlock, ...txOf(receipt) };
    },

    async respondChallenge(challengeId, segment, proof) {
      uint(challengeId, "challengeId");
      const data = bytes(segment, "segment");
      proof.forEach((node, i) => bytes32(node, `proof[${i}]`));
      const receipt = await transact("respond", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: challengesAddress, abi: storageChallengesAbi, functionName: "respond", args: [challengeId, data, proof],
          account: from,
        });
        return wallet.writeContract(request);
      });
      const { args } = eventIn(receipt, storageChallengesAbi, "ChallengeAnswered", challengesAddress);
      return { segmentIndex: args.segmentIndex, ...txOf(receipt) };
    },

    async slashChallenge(challengeId) {
      uint(challengeId, "challengeId");
      const receipt = await transact("slash", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: challengesAddress, abi: storageChallengesAbi, functionName: "slash", args: [challengeId], account: from,
        });
        return wallet.writeContract(request);
      });
      const { args } = eventIn(receipt, storageChallengesAbi, "ChallengeSlashed", challengesAddress);
      return { slashed: args.slashed, ...txOf(receipt) };
    },

    async lapseChallenge(challengeId) {
      uint(challengeId, "challengeId");
      const receipt = await transact("lapse", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: challengesAddress, abi: storageChallengesAbi, functionName: "lapse", args: [challengeId], account: from,
        });
        return wallet.writeContract(request);
      });
      eventIn(receipt, storageChallengesAbi, "ChallengeLapsed", challengesAddress);
      return txOf(receipt);
    },

    async stakeLicensee(modelId, amount) {
      uint(modelId, "modelId");
      uint(amount, "amount");
      const receipt = await transact("stake", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: stakingAddress, abi: licenseeStakingAbi, functionName: "stake", args: [modelId], value: amount, account: from,
        });
        return wallet.writeContract(request);
      });
      const { args } = eventIn(receipt, licenseeStakingAbi, "Staked", stakingAddress);
      return { total: args.total, ...txOf(receipt) };
    },
  };
}
