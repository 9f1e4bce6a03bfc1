import assert from "node:assert/strict";
import { zeroAddress } from "viem";
import { deployFixture, PRICE } from "./fixture.js";

const FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

describe("ModelRegistry", () => {
  it("registers a model with its first version, terms and custodian set", async () => {
    const f = await deployFixture();
    const [owner, version, status] = await f.vault.read.modelState([f.modelId]);
    assert.equal(owner.toLowerCase(), f.owner.account.address.toLowerCase());
    assert.equal(version, 1);
    assert.equal(status, 0);
    assert.equal(await f.vault.read.modelCount(), 1n);
    const v = await f.vault.read.getVersion([f.modelId, 1]);
    assert.equal(v.manifestCid, "bafy-manifest-v1");
    assert.equal(v.storageRoot, f.tree.root);
    assert.equal(v.custodians.length, 3);
    assert.equal(await f.vault.read.isCustodian([f.modelId, 1, f.custodianAddresses[0]!]), true);
    assert.equal(await f.vault.read.isCustodian([f.modelId, 1, f.other.account.address]), false);
    const t = await f.vault.read.terms([f.modelId]);
    assert.equal(t.price, PRICE);
    assert.deepEqual(await f.vault.read.commitments([f.modelId, 1]), [1234n, 5678n]);
  });

  it("emits ModelRegistered, TermsUpdated and VersionPublished with their arguments", async () => {
    const f = await deployFixture();
    const tx = f.vault.write.registerModel([f.versionParams(), f.terms], { account: f.other.account });
    await f.viem.assertions.emitWithArgs(tx, f.vault, "ModelRegistered", [2n, f.other.account.address]);
    const tx2 = f.vault.write.registerModel([f.versionParams(), f.terms], { account: f.other.account });
    await f.viem.assertions.emitWithArgs(tx2, f.vault, "TermsUpdated", [3n, PRICE, f.terms.duration, 3, 0n, false]);
    const p = f.versionParams();
    const tx3 = f.vault.write.registerModel([p, f.terms], { account: f.other.account });
    await f.viem.assertions.emitWithArgs(tx3, f.vault, "VersionPublished", [
      4n, 1, p.manifestCid, 1234n, 5678n, p.storageRoot, p.segmentCount, f.custodianAddresses, 2,
    ]);
  });

  it("rejects invalid version parameters with typed errors", async () => {
    const f = await deployFixture();
    const reg = (p: ReturnType<typeof f.versionParams>) => f.vault.write.registerModel([p, f.terms]);
    const a = f.viem.assertions;
    await a.revertWithCustomError(reg({ ...f.versionParams(), manifestCid: "" }), f.vault, "EmptyManifest");
    await a.revertWithCustomErrorWithArgs(reg({ ...f.versionParams(), weightsCommitment: FIELD }), f.vault, "NotAFieldElement", [FIELD]);
    await a.revertWithCustomErrorWithArgs(reg({ ...f.versionParams(), ownerCommitment: FIELD + 1n }), f.vault, "NotAFieldElement", [FIELD + 1n]);
    await a.revertWithCustomError(reg({ ...f.versionParams(), segmentCount: 0 }), f.vault, "InvalidStorageCommitment");
    await a.revertWithCustomError(reg({ ...f.versionParams(), storageRoot: `0x${"00".repeat(32)}` }), f.vault, "InvalidStorageCommitment");
    await a.revertWithCustomErrorWithArgs(reg(f.versionParams([])), f.vault, "InvalidCustodianSet", [0n]);
    const seventeen = Array.from({ length: 17 }, () => f.custodianAddresses[0]!);
    await a.revertWithCustomErrorWithArgs(reg(f.versionParams(seventeen)), f.vault, "InvalidCustodianSet", [17n]);
    await a.revertWithCustomErrorWithArgs(reg({ ...f.versionParams(), threshold: 0 }), f.vault, "InvalidThreshold", [0, 3n]);
    await a.revertWithCustomErrorWithArgs(reg({ ...f.versionParams(), threshold: 4 }), f.vault, "InvalidThreshold", [4, 3n]);
    const c0 = f.custodianAddresses[0]!;
    await a.revertWithCustomErrorWithArgs(reg(f.versionParams([c0, c0])), f.vault, "DuplicateCustodian", [c0]);
    const outsider = f.other.account.address;
    await a.revertWithCustomErrorWithArgs(reg(f.versionParams([c0, outsider])), f.vault, "CustodianNotActive", [outsider]);
  });

  it("lets only the owner change terms, publish versions, pause and retire", async () => {
    const f = await deployFixture();
    const a = f.viem.assertions;
    const asOther = { account: f.other.account };
    const other = f.other.account.address;
    await a.revertWithCustomErrorWithArgs(f.vault.write.setTerms([f.modelId, f.terms], asOther), f.vault, "NotModelOwner", [f.modelId, other]);
    await a.revertWithCustomErrorWithArgs(f.vault.write.publishVersion([f.modelId, f.versionParams()], asOther), f.vault, "NotModelOwner", [f.modelId, other]);
    await a.revertWithCustomErrorWithArgs(f.vault.write.pause([f.modelId], asOther), f.vault, "NotModelOwner", [f.modelId, other]);
    await a.revertWithCustomErrorWithArgs(f.vault.write.retire([f.modelId], asOther), f.vault, "NotModelOwner", [f.modelId, other]);
    await a.revertWithCustomErrorWithArgs(f.vault.write.transferOwnership([f.modelId, other], asOther), f.vault, "NotModelOwner", [f.modelId, other]);
    await a.revertWithCustomErrorWithArgs(f.vault.write.pause([99n]), f.vault, "UnknownModel", [99n]);
  });

  it("publishes a new version with a new custodian set (key rotation)", async () => {
    const f = await deployFixture();
    const asOwner = { account: f.owner.account };
    const set = f.custodianAddresses.slice(0, 2);
    const tx = f.vault.write.publishVersion([f.modelId, { ...f.versionParams(set, "bafy-v2"), threshold: 2 }], asOwner);
    await f.viem.assertions.emit(tx, f.vault, "VersionPublished");
    const [, version] = await f.vault.read.modelState([f.modelId]);
    assert.equal(version, 2);
    assert.equal(await f.vault.read.isCustodian([f.modelId, 2, f.custodianAddresses[2]!]), false);
    assert.equal(await f.vault.read.isCustodian([f.modelId, 1, f.custodianAddresses[2]!]), true);
    assert.equal((await f.vault.read.getVersion([f.modelId, 2])).manifestCid, "bafy-v2");
    await f.viem.assertions.revertWithCustomErrorWithArgs(f.vault.read.getVersion([f.modelId, 3]), f.vault, "UnknownModel", [f.modelId]);
  });

  it("pauses, unpauses and retires with status events; retired is final", async () => {
    const f = await deployFixture();
    const a = f.viem.assertions;
    const asOwner = { account: f.owner.account };
    await a.revertWithCustomErrorWithArgs(f.vault.write.unpause([f.modelId], asOwner), f.vault, "InvalidStatusChange", [f.modelId, 0, 0]);
    await a.emitWithArgs(f.vault.write.pause([f.modelId], asOwner), f.vault, "StatusChanged", [f.modelId, 1]);
    await a.revertWithCustomErrorWithArgs(f.vault.write.pause([f.modelId], asOwner), f.vault, "InvalidStatusChange", [f.modelId, 1, 1]);
    await a.emitWithArgs(f.vault.write.unpause([f.modelId], asOwner), f.vault, "StatusChanged", [f.modelId, 0]);
    await a.emitWithArgs(f.vault.write.retire([f.modelId], asOwner), f.vault, "StatusChanged", [f.modelId, 2]);
    await a.revertWithCustomErrorWithArgs(f.vault.write.retire([f.modelId], asOwner), f.vault, "ModelIsRetired", [f.modelId]);
    await a.revertWithCustomErrorWithArgs(f.vault.write.unpause([f.modelId], asOwner), f.vault, "InvalidStatusChange", [f.modelId, 2, 0]);
    await a.revertWithCustomErrorWithArgs(f.vault.write.setTerms([f.modelId, f.terms], asOwner), f.vault, "ModelIsRetired", [f.modelId]);
    await a.revertWithCustomErrorWithArgs(f.vault.write.publishVersion([f.modelId, f.versionParams()], asOwner), f.vault, "ModelIsRetired", [f.modelId]);
  });

  it("transfers ownership in two steps", async () => {
    const f = await deployFixture();
    const a = f.viem.assertions;
    const next = f.other.account.address;
    await a.emitWithArgs(f.vault.write.transferOwnership([f.modelId, next], { account: f.owner.account }), f.vault,
      "OwnershipTransferStarted", [f.modelId, f.owner.account.address, next]);
    await a.revertWithCustomErrorWithArgs(f.vault.write.acceptOwnership([f.modelId], { account: f.buyer.account }), f.vault,
      "NotPendingOwner", [f.modelId, f.buyer.account.address]);
    await a.emitWithArgs(f.vault.write.acceptOwnership([f.modelId], { account: f.other.account }), f.vault,
      "OwnershipTransferred", [f.modelId, f.owner.account.address, next]);
    const [owner] = await f.vault.read.modelState([f.modelId]);
    assert.equal(owner.toLowerCase(), next.toLowerCase());
    assert.equal(await f.vault.read.pendingOwner([f.modelId]), zeroAddress);
    await a.revertWithCustomErrorWithArgs(f.vault.write.pause([f.modelId], { account: f.owner.account }), f.vault,
      "NotModelOwner", [f.modelId, f.owner.account.address]);
  });

  it("updates terms with an event; sold licences keep theirs", async () => {
    const f = await deployFixture();
    await f.vault.write.buy([f.modelId], { account: f.buyer.account, value: PRICE });
    const newTerms = { ...f.terms, price: 2n * PRICE, maxUses: 9 };
    await f.viem.assertions.emitWithArgs(f.vault.write.setTerms([f.modelId, newTerms], { account: f.owner.account }), f.vault,
      "TermsUpdated", [f.modelId, 2n * PRICE, f.terms.duration, 9, 0n, false]);
    assert.equal((await f.vault.read.licenseOf([f.modelId, f.buyer.account.address])).maxUses, 3);
  });
});
