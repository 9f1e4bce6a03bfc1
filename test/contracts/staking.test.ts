import assert from "node:assert/strict";
import { encodeFunctionData, getAddress, parseAbi } from "viem";
import { COOLDOWN, deployFixture, MIN_STAKE, PRICE, PUBKEY, UNBOND_DELAY } from "./fixture.js";

const receiverAbi = parseAbi([
  "function setReenter(bytes data)",
  "function forward(bytes data) payable",
  "function reentryAttempted() view returns (bool)",
  "function reentrySucceeded() view returns (bool)",
  "function received() view returns (uint256)",
]);

describe("Staking and reentrancy", () => {
  it("locks a licensee's required stake while the licence is live, then releases it after the cooldown", async () => {
    const f = await deployFixture();
    const a = f.viem.assertions;
    const buyer = getAddress(f.buyer.account.address);
    const stake = 10n ** 15n;
    await f.vault.write.setTerms([f.modelId, { ...f.terms, minStake: stake }], { account: f.owner.account });
    await a.revertWithCustomErrorWithArgs(f.staking.write.stake([42n], { account: f.buyer.account, value: 1n }), f.staking, "UnknownModel", [42n]);
    await a.emitWithArgs(f.staking.write.stake([f.modelId], { account: f.buyer.account, value: stake }), f.staking, "Staked",
      [buyer, f.modelId, stake, stake]);
    await f.vault.write.buy([f.modelId], { account: f.buyer.account, value: PRICE });
    await a.revertWithCustomErrorWithArgs(f.staking.write.requestUnstake([f.modelId, 1n], { account: f.buyer.account }), f.staking,
      "StakeLocked", [stake, stake - 1n]);
    await a.revertWithCustomErrorWithArgs(f.staking.write.requestUnstake([f.modelId, stake + 1n], { account: f.buyer.account }), f.staking,
      "AmountExceedsStake", [stake + 1n, stake]);
    const { expiresAt } = await f.vault.read.licenseOf([f.modelId, buyer]);
    await f.networkHelpers.time.increaseTo(expiresAt);
    await a.emit(f.staking.write.requestUnstake([f.modelId, stake], { account: f.buyer.account }), f.staking, "UnstakeRequested");
    const [, , unlockAt] = await f.staking.read.stakes([buyer, f.modelId]);
    await a.revertWithCustomErrorWithArgs(f.staking.write.withdraw([f.modelId], { account: f.buyer.account }), f.staking,
      "CooldownActive", [unlockAt]);
    await f.networkHelpers.time.increase(COOLDOWN);
    await a.balancesHaveChanged(f.staking.write.withdraw([f.modelId], { account: f.buyer.account }), [{ address: buyer, amount: stake }]);
    await a.revertWithCustomError(f.staking.write.withdraw([f.modelId], { account: f.buyer.account }), f.staking, "NothingUnbonding");
  });

  it("binds once, by the deployer only", async () => {
    const f = await deployFixture();
    await f.viem.assertions.revertWithCustomErrorWithArgs(f.staking.write.bind([f.vault.address]), f.staking, "AlreadyBound", [getAddress(f.vault.address)]);
    await f.viem.assertions.revertWithCustomErrorWithArgs(f.custodians.write.bind([f.vault.address], { account: f.other.account }),
      f.custodians, "NotDeployer", [getAddress(f.other.account.address)]);
  });

  it("custodians register with a valid key and minimum stake, and unbond after the delay", async () => {
    const f = await deployFixture();
    const a = f.viem.assertions;
    const me = { account: f.other.account };
    await a.revertWithCustomError(f.custodians.write.register(["0x04", "http://127.0.0.1:9"], { ...me, value: MIN_STAKE }), f.custodians, "InvalidPublicKey");
    await a.revertWithCustomError(f.custodians.write.register([PUBKEY, ""], { ...me, value: MIN_STAKE }), f.custodians, "InvalidEndpoint");
    await a.revertWithCustomErrorWithArgs(f.custodians.write.register([PUBKEY, "http://127.0.0.1:9"], { ...me, value: 1n }), f.custodians,
      "StakeBelowMinimum", [MIN_STAKE, 1n]);
    await a.emit(f.custodians.write.register([PUBKEY, "http://127.0.0.1:9"], { ...me, value: MIN_STAKE }), f.custodians, "CustodianRegistered");
    assert.equal(await f.custodians.read.isActive([f.other.account.address]), true);
    await f.custodians.write.requestUnbond([1n], me);
    assert.equal(await f.custodians.read.isActive([f.other.account.address]), false);
    await a.revertWithCustomError(f.custodians.write.withdrawUnbonded(me), f.custodians, "UnbondingActive");
    await f.networkHelpers.time.increase(UNBOND_DELAY);
    await a.balancesHaveChanged(f.custodians.write.withdrawUnbonded(me), [{ address: getAddress(f.other.account.address), amount: 1n }]);
  });

  it("withdraw and unstake cannot be re-entered", async () => {
    const f = await deployFixture();
    const attacker = f.typed(receiverAbi, (await f.viem.deployContract("ReentrantReceiver", [f.vault.address])).address);
    // The attacker owns a model, sells one licence and withdraws; on receipt it tries withdraw() again.
    const stakingAttacker = f.typed(receiverAbi, (await f.viem.deployContract("ReentrantReceiver", [f.staking.address])).address);
    const withdrawCall = encodeFunctionData({ abi: f.vault.abi, functionName: "withdraw" });
    await attacker.write.forward([encodeFunctionData({ abi: f.vault.abi, functionName: "registerModel", args: [f.versionParams(), f.terms] })]);
    await f.vault.write.buy([2n], { account: f.buyer.account, value: PRICE });
    await attacker.write.forward([encodeFunctionData({ abi: f.vault.abi, functionName: "claimRevenue", args: [2n, 1] })]);
    const due = await f.vault.read.balanceOf([attacker.address]);
    await attacker.write.setReenter([withdrawCall]);
    await attacker.write.forward([withdrawCall]);
    assert.equal(await attacker.read.reentryAttempted(), true);
    assert.equal(await attacker.read.reentrySucceeded(), false);
    assert.equal(await attacker.read.received(), due, "paid exactly once");
    assert.equal(await f.vault.read.balanceOf([attacker.address]), 0n);

    const unstake = encodeFunctionData({ abi: f.staking.abi, functionName: "withdraw", args: [f.modelId] });
    await stakingAttacker.write.forward([encodeFunctionData({ abi: f.staking.abi, functionName: "stake", args: [f.modelId] })], { value: 1000n });
    await stakingAttacker.write.forward([encodeFunctionData({ abi: f.staking.abi, functionName: "requestUnstake", args: [f.modelId, 1000n] })]);
    await f.networkHelpers.time.increase(COOLDOWN);
    await stakingAttacker.write.setReenter([unstake]);
    await stakingAttacker.write.forward([unstake]);
    assert.equal(await stakingAttacker.read.reentryAttempted(), true);
    assert.equal(await stakingAttacker.read.reentrySucceeded(), false);
    assert.equal(await stakingAttacker.read.received(), 1000n);
  });
});
