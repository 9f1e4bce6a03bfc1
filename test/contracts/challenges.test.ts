import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { getAddress, type Address, type Hex } from "viem";
import { challengeCommitment, challengeSegmentIndex, randomChallengeSalt } from "../../contracts/challenge-seed.js";
import { BOND, deployFixture, MIN_STAKE, REWARD_BPS, SLASH_BPS, WINDOW, type Fixture } from "./fixture.js";

const REVEAL_WINDOW = 256n;
const vectors = JSON.parse(readFileSync(new URL("vectors/challenge-seed-v1.json", import.meta.url), "utf8")) as {
  cases: { challenger: Address; salt: Hex; seedBlockHash: Hex; challengeId: string; segmentCount: number; commitment: Hex; segmentIndex: string }[];
};

const hexOf = (bytes: Uint8Array): Hex => `0x${Buffer.from(bytes).toString("hex")}`;

/** Opens a challenge from `who` against the first custodian; returns its id, salt and seed block. */
async function open(f: Fixture, who = f.other, salt: Hex = randomChallengeSalt()) {
  const custodian = f.custodianAddresses[0]!;
  await f.challenges.write.challenge([f.modelId, custodian, challengeCommitment(who.account.address, salt)], { account: who.account, value: BOND });
  const id = await f.challenges.read.challengeCount();
  const [, seedBlock] = await f.challenges.read.challenges([id]);
  return { id, salt, seedBlock };
}

/** Mines until the next transaction lands in block `n`. */
async function mineUntilNextIs(f: Fixture, n: bigint) {
  const head = await f.publicClient.getBlockNumber();
  if (n - 1n > head) await f.networkHelpers.mine(n - 1n - head);
}

const seedHash = async (f: Fixture, seedBlock: bigint) => (await f.publicClient.getBlock({ blockNumber: seedBlock })).hash;

describe("Storage challenges: a committed salt mixed with the seed block's hash picks the segment", () => {
  it("the draw matches the committed vectors (test/contracts/vectors/challenge-seed-v1.json)", () => {
    for (const v of vectors.cases) {
      assert.equal(challengeCommitment(v.challenger, v.salt), v.commitment);
      assert.equal(challengeSegmentIndex(v.salt, v.seedBlockHash, BigInt(v.challengeId), v.segmentCount), BigInt(v.segmentIndex));
    }
  });

  it("a custodian that produces the seed block can neither read nor steer the index before the reveal", async () => {
    const f = await deployFixture();
    const a = f.viem.assertions;
    const custodian = f.custodianWallets[0]!;
    // A lazy custodian kept only segment 0 and builds the seed block itself: it tries prevrandao
    // values (as a sequencer can, and as any producer can vary its block) looking for one that
    // draws segment 0. Under the old draw (blockhash(seedBlock) alone) the index was readable from
    // the seed block on, so this loop found such a block in a few tries.
    const { id, salt, seedBlock } = await open(f);
    const kept = hexOf(f.segments[0]!);
    const drawn = new Set<bigint>();
    for (let attempt = 1; attempt <= 8; attempt++) {
      const snapshot = await f.networkHelpers.takeSnapshot();
      await f.networkHelpers.setPrevRandao(attempt);
      await f.networkHelpers.mine(2); // the seed block, then one more
      await a.revertWithCustomErrorWithArgs(f.challenges.read.segmentIndex([id]), f.challenges, "NotRevealed", [id]);
      await a.revertWithCustomErrorWithArgs(f.challenges.write.respond([id, kept, f.tree.proof(0)], { account: custodian.account }),
        f.challenges, "NotRevealed", [id]);
      // What the challenger's reveal then fixes follows the seed block the custodian made and the
      // salt it did not know, exactly as the draw says.
      await f.challenges.write.reveal([id, salt], { account: f.other.account });
      const index = await f.challenges.read.segmentIndex([id]);
      assert.equal(index, challengeSegmentIndex(salt, await seedHash(f, seedBlock), id, f.segments.length));
      drawn.add(index);
      await snapshot.restore();
    }
    assert.ok(drawn.size > 1, "different seed blocks draw different segments");
  });

  it("the index follows each challenger's salt; a wrong salt or a copied commitment is refused", async () => {
    const f = await deployFixture();
    const a = f.viem.assertions;
    const custodian = f.custodianAddresses[0]!;
    const [s1, s2] = [randomChallengeSalt(), randomChallengeSalt()];
    const c1 = challengeCommitment(f.other.account.address, s1);
    // Three challenges in one block share one seed block: two honest ones, and a copy of the
    // first one's commitment by another account, which hopes to reveal with the first one's salt.
    await f.connection.provider.request({ method: "evm_setAutomine", params: [false] });
    await f.challenges.write.challenge([f.modelId, custodian, c1], { account: f.other.account, value: BOND });
    await f.challenges.write.challenge([f.modelId, custodian, challengeCommitment(f.buyer.account.address, s2)], { account: f.buyer.account, value: BOND });
    await f.challenges.write.challenge([f.modelId, custodian, c1], { account: f.owner.account, value: BOND });
    await f.networkHelpers.mine(1);
    await f.connection.provider.request({ method: "evm_setAutomine", params: [true] });
    const seedBlocks = await Promise.all([1n, 2n, 3n].map(async (id) => (await f.challenges.read.challenges([id]))[1]));
    assert.deepEqual(new Set(seedBlocks).size, 1);
    const seedBlock = seedBlocks[0]!;

    await a.revertWithCustomErrorWithArgs(f.challenges.write.reveal([1n, s1]), f.challenges, "SeedNotReady", [seedBlock]);
    await f.networkHelpers.mine(1); // the seed block
    await a.revertWithCustomErrorWithArgs(f.challenges.write.reveal([1n, s2]), f.challenges, "InvalidReveal", [1n]);
    await a.revertWithCustomErrorWithArgs(f.challenges.write.reveal([3n, s1]), f.challenges, "InvalidReveal", [3n]);
    const hash = await seedHash(f, seedBlock);
    // Anyone holding the salt may reveal (here the deployer, for challenger 1).
    await a.emitWithArgs(f.challenges.write.reveal([1n, s1]), f.challenges, "ChallengeRevealed",
      [1n, custodian, s1, challengeSegmentIndex(s1, hash, 1n, f.segments.length), (await f.publicClient.getBlockNumber()) + 1n + WINDOW]);
    await f.challenges.write.reveal([2n, s2], { account: f.buyer.account });
    assert.equal(await f.challenges.read.segmentIndex([2n]), challengeSegmentIndex(s2, hash, 2n, f.segments.length));
    await a.revertWithCustomErrorWithArgs(f.challenges.write.reveal([1n, s1]), f.challenges, "AlreadyRevealed", [1n]);
    await a.revertWithCustomErrorWithArgs(f.challenges.write.lapse([1n]), f.challenges, "AlreadyRevealed", [1n]);
  });

  it("an unrevealed challenge lapses after seedBlock + 256: bond to the pool, custodian released, never slashed", async () => {
    const f = await deployFixture();
    const a = f.viem.assertions;
    const custodian = f.custodianWallets[0]!;
    const cAddr = getAddress(custodian.account.address);
    const { id, salt, seedBlock } = await open(f);
    const revealDeadline = seedBlock + REVEAL_WINDOW;
    assert.equal((await f.challenges.read.challenges([id]))[3], revealDeadline);
    await a.revertWithCustomErrorWithArgs(f.challenges.write.lapse([id]), f.challenges, "DeadlineNotReached", [revealDeadline]);

    // The last block the salt can be revealed in is seedBlock + 256 (BLOCKHASH still answers)...
    const snapshot = await f.networkHelpers.takeSnapshot();
    await mineUntilNextIs(f, revealDeadline);
    await f.challenges.write.reveal([id, salt], { account: f.other.account });
    assert.equal(await f.challenges.read.segmentIndex([id]), challengeSegmentIndex(salt, await seedHash(f, seedBlock), id, f.segments.length));
    await snapshot.restore();

    // ...one block later only lapse is left.
    await mineUntilNextIs(f, revealDeadline + 1n);
    await a.revertWithCustomErrorWithArgs(f.challenges.write.reveal([id, salt], { account: f.other.account }), f.challenges,
      "DeadlinePassed", [revealDeadline]);
    await a.revertWithCustomErrorWithArgs(f.challenges.write.slash([id]), f.challenges, "NotRevealed", [id]);
    await a.revertWithCustomErrorWithArgs(f.challenges.write.respond([id, hexOf(f.segments[0]!), f.tree.proof(0)], { account: custodian.account }),
      f.challenges, "NotRevealed", [id]);
    await a.emitWithArgs(f.challenges.write.lapse([id], { account: f.buyer.account }), f.challenges, "ChallengeLapsed", [id]);
    assert.equal(await f.challenges.read.balanceOf([f.pool.account.address]), BOND);
    assert.equal(await f.challenges.read.balanceOf([cAddr]), 0n);
    assert.equal(await f.challenges.read.balanceOf([f.other.account.address]), 0n);
    const info = await f.custodians.read.custodianInfo([cAddr]);
    assert.equal(info.stake, MIN_STAKE);
    assert.equal(info.openChallenges, 0);
    await a.revertWithCustomErrorWithArgs(f.challenges.write.slash([id]), f.challenges, "ChallengeNotOpen", [id]);
    await a.revertWithCustomErrorWithArgs(f.challenges.write.lapse([id]), f.challenges, "ChallengeNotOpen", [id]);
    await a.revertWithCustomErrorWithArgs(f.challenges.read.segmentIndex([id]), f.challenges, "NotRevealed", [id]);
  });

  it("an answered challenge pays the bond to the custodian; a missed one slashes exactly, only after a full window from the reveal", async () => {
    const f = await deployFixture();
    const a = f.viem.assertions;
    const custodian = f.custodianWallets[0]!;
    const cAddr = getAddress(custodian.account.address);
    await a.revertWithCustomErrorWithArgs(f.challenges.write.challenge([f.modelId, cAddr, challengeCommitment(f.other.account.address, randomChallengeSalt())],
      { account: f.other.account, value: 1n }), f.challenges, "WrongBond", [BOND, 1n]);
    const stranger = getAddress(f.other.account.address);
    await a.revertWithCustomErrorWithArgs(f.challenges.write.challenge([f.modelId, stranger, challengeCommitment(stranger, randomChallengeSalt())],
      { account: f.other.account, value: BOND }), f.challenges, "NotACustodian", [f.modelId, 1, stranger]);

    const first = await open(f);
    await f.networkHelpers.mine(1);
    await f.challenges.write.reveal([first.id, first.salt], { account: f.other.account });
    const index = Number(await f.challenges.read.segmentIndex([first.id]));
    const wrong = (index + 1) % f.segments.length;
    await a.revertWithCustomError(f.challenges.write.respond([first.id, hexOf(f.segments[wrong]!), f.tree.proof(wrong)], { account: custodian.account }),
      f.challenges, "InvalidStorageProof");
    const seg = hexOf(f.segments[index]!);
    await a.revertWithCustomErrorWithArgs(f.challenges.write.respond([first.id, seg, f.tree.proof(index)], { account: f.other.account }),
      f.challenges, "NotChallengedCustodian", [stranger]);
    await a.emitWithArgs(f.challenges.write.respond([first.id, seg, f.tree.proof(index)], { account: custodian.account }), f.challenges,
      "ChallengeAnswered", [first.id, BigInt(index)]);
    assert.equal(await f.challenges.read.balanceOf([cAddr]), BOND);

    // Second challenge: the challenger reveals at the last moment; the custodian unbonds meanwhile
    // and stays silent. Its window still runs WINDOW blocks from the reveal.
    const second = await open(f);
    await f.custodians.write.requestUnbond([MIN_STAKE / 2n], { account: custodian.account });
    await mineUntilNextIs(f, second.seedBlock + REVEAL_WINDOW);
    await f.challenges.write.reveal([second.id, second.salt], { account: f.other.account });
    const deadline = (await f.challenges.read.challenges([second.id]))[3];
    assert.equal(deadline, second.seedBlock + REVEAL_WINDOW + WINDOW);
    const secondIndex = Number(await f.challenges.read.segmentIndex([second.id]));
    const answer = () => f.challenges.write.respond([second.id, hexOf(f.segments[secondIndex]!), f.tree.proof(secondIndex)],
      { account: custodian.account });
    await mineUntilNextIs(f, deadline);
    const snapshot = await f.networkHelpers.takeSnapshot();
    await a.emit(answer(), f.challenges, "ChallengeAnswered"); // in the deadline block itself
    await snapshot.restore();
    await a.revertWithCustomErrorWithArgs(f.challenges.write.slash([second.id]), f.challenges, "DeadlineNotReached", [deadline]);
    await f.networkHelpers.time.increase(7n * 24n * 3600n);
    await a.revertWithCustomErrorWithArgs(f.custodians.write.withdrawUnbonded({ account: custodian.account }), f.custodians, "ChallengesOpen", [1]);
    await a.revertWithCustomError(f.challenges.write.respond([second.id, hexOf(f.segments[secondIndex]!), f.tree.proof(secondIndex)],
      { account: custodian.account }), f.challenges, "DeadlinePassed");
    const slashed = MIN_STAKE * BigInt(SLASH_BPS) / 10_000n;
    const reward = slashed * BigInt(REWARD_BPS) / 10_000n;
    await a.emitWithArgs(f.challenges.write.slash([second.id]), f.custodians, "Slashed", [cAddr, slashed, stranger, reward, slashed - reward]);
    const info = await f.custodians.read.custodianInfo([cAddr]);
    assert.equal(info.stake + info.unbonding, MIN_STAKE - slashed);
    assert.equal(await f.custodians.read.balanceOf([stranger]), reward);
    assert.equal(await f.custodians.read.balanceOf([f.pool.account.address]), slashed - reward);
    assert.equal(await f.challenges.read.balanceOf([stranger]), BOND);
    await a.revertWithCustomErrorWithArgs(f.challenges.write.slash([second.id]), f.challenges, "ChallengeNotOpen", [second.id]);
    await a.revertWithCustomErrorWithArgs(f.custodians.write.slash([cAddr, 1, cAddr, 1]), f.custodians, "NotSlasher", [getAddress(f.deployer.account.address)]);
  });
});
