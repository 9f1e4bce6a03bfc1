import assert from "node:assert/strict";
import { network } from "hardhat";
import { getContract } from "viem";
import { custodianRegistryAbi, licenseeStakingAbi, modelVaultAbi } from "../../contracts/abi/index.js";
import { buildStorageTree, storageSegments, StorageTreeError } from "../../contracts/storage-proof.js";
import { deploySuite } from "../../scripts/deploy-suite.js";

describe("deploySuite and storage-proof helpers", () => {
  it("deploys and wires the whole set through plain viem clients", async () => {
    const { viem } = await network.create();
    const publicClient = await viem.getPublicClient();
    const [wallet] = await viem.getWalletClients();
    assert.ok(wallet);
    const d = await deploySuite(wallet, publicClient, { ticketTtl: 600 });
    assert.equal(d.chainId, await publicClient.getChainId());
    const client = { public: publicClient };
    const vault = getContract({ abi: modelVaultAbi, address: d.contracts.ModelVault, client });
    const staking = getContract({ abi: licenseeStakingAbi, address: d.contracts.LicenseeStaking, client });
    const custodians = getContract({ abi: custodianRegistryAbi, address: d.contracts.CustodianRegistry, client });
    assert.equal(await vault.read.ticketTtl(), 600);
    assert.equal((await staking.read.bound()).toLowerCase(), d.contracts.ModelVault.toLowerCase());
    assert.equal((await custodians.read.bound()).toLowerCase(), d.contracts.StorageChallenges.toLowerCase());
    assert.equal(JSON.parse(JSON.stringify(d)).options.ticketTtl, 600);
  });

  it("builds storage trees with typed errors for bad input", () => {
    const segs = storageSegments(new Uint8Array(10_000).fill(1));
    assert.deepEqual(segs.map((s) => s.length), [4096, 4096, 1808]);
    const tree = buildStorageTree(segs);
    assert.equal(tree.segmentCount, 3);
    assert.throws(() => tree.proof(3), StorageTreeError);
    assert.throws(() => storageSegments(new Uint8Array(0)), StorageTreeError);
    assert.throws(() => buildStorageTree([new Uint8Array(4097)]), StorageTreeError);
  });
});
