import assert from "node:assert/strict";
import { getAddress } from "viem";
import { deployFixture, PRICE, PUBKEY, SHARE_BPS, TICKET_TTL, ticketIdOf } from "./fixture.js";
import type { Fixture } from "./fixture.js";

async function gasOf(f: Fixture, hash: Promise<`0x${string}`>): Promise<bigint> {
  return (await f.publicClient.waitForTransactionReceipt({ hash: await hash })).gasUsed;
}

describe("Licenses and access tickets", () => {
  it("buy takes the exact price, emits LicensePurchased and grants access", async () => {
    const f = await deployFixture();
    const a = f.viem.assertions;
    const buyer = f.buyer.account.address;
    await a.revertWithCustomErrorWithArgs(f.vault.write.buy([f.modelId], { account: f.buyer.account, value: PRICE - 1n }),
      f.vault, "WrongPayment", [PRICE, PRICE - 1n]);
    await a.revertWithCustomErrorWithArgs(f.vault.write.buy([9n], { account: f.buyer.account }), f.vault, "UnknownModel", [9n]);
    const now = BigInt((await f.publicClient.getBlock()).timestamp);
    const tx = f.vault.write.buy([f.modelId], { account: f.buyer.account, value: PRICE });
    await a.emitWithArgs(tx, f.vault, "LicensePurchased", [f.modelId, getAddress(buyer), 1, (v: number) => BigInt(v) >= now + BigInt(f.terms.duration), 3, PRICE]);
    assert.equal(await f.vault.read.hasAccess([f.modelId, buyer]), true);
    assert.equal(await f.vault.read.hasAccess([f.modelId, f.other.account.address]), false);
    await a.revertWithCustomErrorWithArgs(f.vault.write.buy([f.modelId], { account: f.buyer.account, value: PRICE }),
      f.vault, "LicenseStillActive", [f.modelId, getAddress(buyer)]);
  });

  it("keeps buy under 100k gas and requestKey under 80k gas", async () => {
    const f = await deployFixture();
    const buyGas = await gasOf(f, f.vault.write.buy([f.modelId], { account: f.buyer.account, value: PRICE }));
    const keyGas = await gasOf(f, f.vault.write.requestKey([f.modelId, PUBKEY], { account: f.buyer.account }));
    assert.ok(buyGas <= 100_000n, `buy used ${buyGas} gas`);
    assert.ok(keyGas <= 80_000n, `requestKey used ${keyGas} gas`);
  });

  it("does not sell while paused or retired", async () => {
    const f = await deployFixture();
    await f.vault.write.pause([f.modelId], { account: f.owner.account });
    await f.viem.assertions.revertWithCustomErrorWithArgs(f.vault.write.buy([f.modelId], { account: f.buyer.account, value: PRICE }),
      f.vault, "ModelNotForSale", [f.modelId, 1]);
    await f.vault.write.retire([f.modelId], { account: f.owner.account });
    await f.viem.assertions.revertWithCustomErrorWithArgs(f.vault.write.buy([f.modelId], { account: f.buyer.account, value: PRICE }),
      f.vault, "ModelNotForSale", [f.modelId, 2]);
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.vault.write.grant([f.modelId, f.buyer.account.address, 0, 0], { account: f.owner.account }), f.vault, "ModelIsRetired", [f.modelId]);
  });

  it("requestKey emits KeyRequested and ticket() tells a custodian everything in one call", async () => {
    const f = await deployFixture();
    const buyer = getAddress(f.buyer.account.address);
    await f.vault.write.buy([f.modelId], { account: f.buyer.account, value: PRICE });
    const id = ticketIdOf(f.modelId, buyer, 0);
    const tx = f.vault.write.requestKey([f.modelId, PUBKEY], { account: f.buyer.account });
    await f.viem.assertions.emitWithArgs(tx, f.vault, "KeyRequested", [id, f.modelId, 1, buyer, PUBKEY, (e: bigint) => e > 0n]);
    const t = await f.vault.read.ticket([id]);
    assert.equal(t.modelId, f.modelId);
    assert.equal(t.version, 1);
    assert.equal(t.licensee, buyer);
    assert.equal(t.recipientKey, PUBKEY);
    assert.equal(t.licenceLive, true);
    assert.equal(t.valid, true);
    assert.equal((await f.vault.read.licenseOf([f.modelId, buyer])).used, 1);
    await f.networkHelpers.time.increase(TICKET_TTL);
    const later = await f.vault.read.ticket([id]);
    assert.equal(later.valid, false, "ticket expires after its TTL");
    assert.equal(later.licenceLive, true);
    await f.viem.assertions.revertWithCustomErrorWithArgs(f.vault.read.ticket([`0x${"11".repeat(32)}`]), f.vault,
      "UnknownTicket", [`0x${"11".repeat(32)}`]);
  });

  it("rejects malformed recipient keys and missing licences", async () => {
    const f = await deployFixture();
    const a = f.viem.assertions;
    const bad = [`0x04${PUBKEY.slice(4)}`, PUBKEY.slice(0, -2), `${PUBKEY}00`] as `0x${string}`[];
    for (const key of bad) {
      await a.revertWithCustomError(f.vault.write.requestKey([f.modelId, key], { account: f.buyer.account }), f.vault, "InvalidRecipientKey");
    }
    await a.revertWithCustomErrorWithArgs(f.vault.write.requestKey([f.modelId, PUBKEY], { account: f.buyer.account }), f.vault,
      "NoLicense", [f.modelId, getAddress(f.buyer.account.address)]);
  });

  it("an exhausted licence yields no ticket; maxUses 0 is unlimited", async () => {
    const f = await deployFixture();
    const buyer = getAddress(f.buyer.account.address);
    await f.vault.write.buy([f.modelId], { account: f.buyer.account, value: PRICE });
    for (let i = 0; i < 3; i++) await f.vault.write.requestKey([f.modelId, PUBKEY], { account: f.buyer.account });
    await f.viem.assertions.revertWithCustomErrorWithArgs(f.vault.write.requestKey([f.modelId, PUBKEY], { account: f.buyer.account }),
      f.vault, "LicenseExhausted", [f.modelId, buyer, 3]);
    assert.equal(await f.vault.read.hasAccess([f.modelId, buyer]), false);
    // An exhausted licence may be bought again; the ticket nonce keeps counting.
    await f.vault.write.buy([f.modelId], { account: f.buyer.account, value: PRICE });
    await f.viem.assertions.emitWithArgs(f.vault.write.requestKey([f.modelId, PUBKEY], { account: f.buyer.account }), f.vault,
      "KeyRequested", [ticketIdOf(f.modelId, buyer, 3), f.modelId, 1, buyer, PUBKEY, (e: bigint) => e > 0n]);
    await f.vault.write.grant([f.modelId, f.other.account.address, 0, 0], { account: f.owner.account });
    for (let i = 0; i < 5; i++) await f.vault.write.requestKey([f.modelId, PUBKEY], { account: f.other.account });
    assert.equal(await f.vault.read.hasAccess([f.modelId, f.other.account.address]), true);
  });

  it("an expired licence yields no ticket and its tickets stop being live", async () => {
    const f = await deployFixture();
    const buyer = getAddress(f.buyer.account.address);
    await f.vault.write.buy([f.modelId], { account: f.buyer.account, value: PRICE });
    await f.vault.write.requestKey([f.modelId, PUBKEY], { account: f.buyer.account });
    const { expiresAt } = await f.vault.read.licenseOf([f.modelId, buyer]);
    await f.networkHelpers.time.increaseTo(expiresAt);
    await f.viem.assertions.revertWithCustomErrorWithArgs(f.vault.write.requestKey([f.modelId, PUBKEY], { account: f.buyer.account }),
      f.vault, "LicenseExpired", [f.modelId, buyer, expiresAt]);
    assert.equal((await f.vault.read.ticket([ticketIdOf(f.modelId, buyer, 0)])).licenceLive, false);
  });

  it("owner grants (allow-list) and revokes; a revoked licence yields no ticket and cannot be re-bought", async () => {
    const f = await deployFixture();
    const a = f.viem.assertions;
    const buyer = getAddress(f.buyer.account.address);
    const asOwner = { account: f.owner.account };
    const now = BigInt((await f.publicClient.getBlock()).timestamp);
    await a.revertWithCustomErrorWithArgs(f.vault.write.grant([f.modelId, buyer, Number(now), 1], asOwner), f.vault, "ExpiryInPast", [Number(now)]);
    await a.revertWithCustomErrorWithArgs(f.vault.write.grant([f.modelId, buyer, 0, 1], { account: f.other.account }), f.vault,
      "NotModelOwner", [f.modelId, getAddress(f.other.account.address)]);
    await a.revertWithCustomError(f.vault.write.grant([f.modelId, "0x0000000000000000000000000000000000000000", 0, 1], asOwner), f.vault, "ZeroAddress");
    const until = Number(now) + 1000;
    await a.emitWithArgs(f.vault.write.grant([f.modelId, buyer, until, 2], asOwner), f.vault, "LicenseGranted", [f.modelId, buyer, 1, until, 2]);
    await f.vault.write.requestKey([f.modelId, PUBKEY], { account: f.buyer.account });
    await a.revertWithCustomErrorWithArgs(f.vault.write.revoke([f.modelId, buyer], { account: f.other.account }), f.vault,
      "NotModelOwner", [f.modelId, getAddress(f.other.account.address)]);
    await a.emitWithArgs(f.vault.write.revoke([f.modelId, buyer], asOwner), f.vault, "LicenseRevoked", [f.modelId, buyer]);
    await a.revertWithCustomErrorWithArgs(f.vault.write.revoke([f.modelId, buyer], asOwner), f.vault, "LicenseIsRevoked", [f.modelId, buyer]);
    await a.revertWithCustomErrorWithArgs(f.vault.write.revoke([f.modelId, f.other.account.address], asOwner), f.vault,
      "NoLicense", [f.modelId, getAddress(f.other.account.address)]);
    await a.revertWithCustomErrorWithArgs(f.vault.write.requestKey([f.modelId, PUBKEY], { account: f.buyer.account }), f.vault,
      "LicenseIsRevoked", [f.modelId, buyer]);
    await a.revertWithCustomErrorWithArgs(f.vault.write.buy([f.modelId], { account: f.buyer.account, value: PRICE }), f.vault,
      "LicenseIsRevoked", [f.modelId, buyer]);
    assert.equal((await f.vault.read.ticket([ticketIdOf(f.modelId, buyer, 0)])).licenceLive, false);
    await f.vault.write.grant([f.modelId, buyer, 0, 0], asOwner);
    assert.equal(await f.vault.read.hasAccess([f.modelId, buyer]), true);
  });

  it("carries licences over to new versions only when the owner chose so", async () => {
    const f = await deployFixture();
    const buyer = getAddress(f.buyer.account.address);
    const asOwner = { account: f.owner.account };
    await f.vault.write.buy([f.modelId], { account: f.buyer.account, value: PRICE });
    await f.vault.write.requestKey([f.modelId, PUBKEY], { account: f.buyer.account });
    await f.vault.write.publishVersion([f.modelId, f.versionParams(undefined, "bafy-v2")], asOwner);
    assert.equal((await f.vault.read.ticket([ticketIdOf(f.modelId, buyer, 0)])).licenceLive, false, "old-version ticket dies on rotation");
    await f.viem.assertions.revertWithCustomErrorWithArgs(f.vault.write.requestKey([f.modelId, PUBKEY], { account: f.buyer.account }),
      f.vault, "LicenseNotForVersion", [f.modelId, 1, 2]);
    await f.vault.write.setTerms([f.modelId, { ...f.terms, carryOver: true }], asOwner);
    await f.viem.assertions.emitWithArgs(f.vault.write.requestKey([f.modelId, PUBKEY], { account: f.buyer.account }), f.vault,
      "KeyRequested", [ticketIdOf(f.modelId, buyer, 1), f.modelId, 2, buyer, PUBKEY, (e: bigint) => e > 0n]);
  });

  it("splits revenue between owner and custodians exactly and pays out by withdraw", async () => {
    const f = await deployFixture();
    const a = f.viem.assertions;
    const price = 10_001n; // not divisible: dust must go to the owner
    await f.vault.write.setTerms([f.modelId, { ...f.terms, price }], { account: f.owner.account });
    await f.vault.write.buy([f.modelId], { account: f.buyer.account, value: price });
    await f.vault.write.buy([f.modelId], { account: f.other.account, value: price });
    const each = price * BigInt(SHARE_BPS) / 10_000n / 3n;
    const ownerDue = 2n * (price - 3n * each);
    const owner = getAddress(f.owner.account.address);
    assert.equal(await f.vault.read.pendingRevenue([f.modelId, 1, owner]), ownerDue);
    await a.emitWithArgs(f.vault.write.claimRevenue([f.modelId, 1], { account: f.owner.account }), f.vault, "RevenueClaimed",
      [f.modelId, 1, owner, ownerDue]);
    const c0 = f.custodianWallets[0]!;
    await a.emitWithArgs(f.vault.write.claimRevenue([f.modelId, 1], { account: c0.account }), f.vault, "RevenueClaimed",
      [f.modelId, 1, getAddress(c0.account.address), 2n * each]);
    await a.revertWithCustomErrorWithArgs(f.vault.write.claimRevenue([f.modelId, 1], { account: c0.account }), f.vault,
      "NothingToClaim", [f.modelId, 1, getAddress(c0.account.address)]);
    await a.balancesHaveChanged(f.vault.write.withdraw({ account: f.owner.account }), [{ address: owner, amount: ownerDue }]);
    await a.revertWithCustomError(f.vault.write.withdraw({ account: f.owner.account }), f.vault, "NothingToWithdraw");
    // Conservation: what is still held equals what was paid minus what left.
    const held = await f.publicClient.getBalance({ address: f.vault.address });
    assert.equal(held, 2n * price - ownerDue);
    assert.equal(await f.vault.read.totalOwed(), 2n * each);
  });

  it("requires the licence's stake for tickets", async () => {
    const f = await deployFixture();
    const buyer = getAddress(f.buyer.account.address);
    const minStake = 10n ** 15n;
    await f.vault.write.setTerms([f.modelId, { ...f.terms, minStake }], { account: f.owner.account });
    await f.vault.write.buy([f.modelId], { account: f.buyer.account, value: PRICE });
    await f.viem.assertions.revertWithCustomErrorWithArgs(f.vault.write.requestKey([f.modelId, PUBKEY], { account: f.buyer.account }),
      f.vault, "InsufficientStake", [minStake, 0n]);
    await f.staking.write.stake([f.modelId], { account: f.buyer.account, value: minStake });
    await f.viem.assertions.emit(f.vault.write.requestKey([f.modelId, PUBKEY], { account: f.buyer.account }), f.vault, "KeyRequested");
    assert.equal(await f.vault.read.requiredStake([f.modelId, buyer]), minStake);
  });
});
