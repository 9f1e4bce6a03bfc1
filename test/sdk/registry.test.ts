/**
 * The SDK's registry views (listModels, modelInfo, modelHistory, licencesOf) against the in-process
 * Hardhat EVM: for a small scripted story (two models, a purchase, a grant, a revoke) they answer
 * exactly what the node's library answers (one implementation, contracts/views.ts), through a
 * browser-like EIP-1193 provider; and they refuse with SdkError codes.
 */
import assert from "node:assert/strict";
import { network } from "hardhat";
import { createPublicClient, createWalletClient, custom, defineChain, type Address, type Chain, type Transport } from "viem";
import { mnemonicToAccount, type HDAccount } from "viem/accounts";
import { generateKeyPair } from "../../crypto/index.js";
import { createChainClient, licencesOf, listModels, modelHistory, modelInfo, type ChainClient, type Deployment, type Terms } from "../../node/chain/index.js";
import { deploySuite } from "../../scripts/deploy-suite.js";
import { createModelvaultClient, SdkError, type ModelvaultClient, type SdkErrorCode } from "../../sdk/index.js";

const MNEMONIC = "test test test test test test test test test test test junk";
const account = (index: number): HDAccount => mnemonicToAccount(MNEMONIC, { addressIndex: index });
const [OWNER, LICENSEE, CUSTODIAN_A, CUSTODIAN_B, OWNER_2, LICENSEE_2] = [1, 2, 3, 4, 6, 7].map(account) as [HDAccount, HDAccount, HDAccount, HDAccount, HDAccount, HDAccount];
const MIN_STAKE = 10n ** 17n;
const PRICE = 10n ** 15n;
const TERMS: Terms = { price: PRICE, duration: 86_400, maxUses: 4, minStake: 0n, carryOver: false };

async function assertSdkCode(promise: Promise<unknown>, code: SdkErrorCode, message?: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SdkError, `expected an SdkError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

describe("sdk: registry views equal the node library's (Hardhat EVM)", function () {
  this.timeout(120_000);
  let connection: Awaited<ReturnType<typeof network.create>>;
  let deployment: Deployment;
  let reader: ChainClient;
  let chain: Chain;
  let transport: Transport;
  let sdk: ModelvaultClient;
  const custodians = [CUSTODIAN_A.address, CUSTODIAN_B.address];
  const params = (cid: string) => ({
    manifestCid: cid, weightsCommitment: 11n, ownerCommitment: 22n, storageRoot: `0x${"ab".repeat(32)}` as const,
    segmentCount: 4, custodians, threshold: 2,
  });
  const sdkFor = (wallet?: Address, overrides: Partial<Parameters<typeof createModelvaultClient>[0]> = {}) =>
    createModelvaultClient({
      publicClient: createPublicClient({ chain, transport, pollingInterval: 20 }),
      ...(wallet === undefined ? {} : { walletClient: createWalletClient({ account: wallet, chain, transport, pollingInterval: 20 }) }),
      deployment,
      nodeUrl: "http://127.0.0.1:9",
      maxBlockRange: 3,
      ...overrides,
    });

  before(async () => {
    connection = await network.create();
    const publicClient = await connection.viem.getPublicClient();
    const [deployer] = await connection.viem.getWalletClients();
    deployment = await deploySuite(deployer!, publicClient, { custodianMinStake: MIN_STAKE });
    const nodeTransport = custom(connection.provider, { retryCount: 0 });
    const connect = (who?: HDAccount) => createChainClient({ transport: nodeTransport, deployment, account: who, pollingIntervalMs: 20 });
    const [owner, owner2, licensee, custodianA, custodianB] = await Promise.all([OWNER, OWNER_2, LICENSEE, CUSTODIAN_A, CUSTODIAN_B].map(connect)) as ChainClient[];
    reader = await connect();
    // The story: two models by two owners, a purchase, a grant, a revocation, a licensee stake.
    await custodianA!.registerCustodian(generateKeyPair().publicKey, "http://127.0.0.1:9001", MIN_STAKE);
    await custodianB!.registerCustodian(generateKeyPair().publicKey, "http://127.0.0.1:9002", MIN_STAKE);
    await owner!.registerModel(params("bafy-one-v1"), TERMS);
    await owner2!.registerModel(params("bafy-two-v1"), { ...TERMS, price: 2n * PRICE });
    await licensee!.buy(1n);
    await owner!.grant(1n, LICENSEE_2.address, { maxUses: 3 });
    await owner2!.grant(2n, LICENSEE.address);
    await licensee!.stakeLicensee(1n, 1_000n);
    await owner!.revoke(1n, LICENSEE_2.address);
    await owner!.publishVersion(1n, params("bafy-one-v2"));

    // What a dApp has: the wallet's EIP-1193 provider and the deployment file.
    chain = defineChain({ id: deployment.chainId, name: "hardhat", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [] } } });
    transport = custom(connection.provider, { retryCount: 0 });
    sdk = sdkFor(LICENSEE.address);
  });
  after(() => connection?.close());

  it("listModels equals the library's, with the terms; owner filters", async () => {
    const models = await sdk.listModels();
    assert.deepEqual(models, await listModels(reader));
    assert.deepEqual(models.map((m) => [m.modelId, m.owner, m.version, m.manifestCid, m.terms.price, m.name]), [
      [1n, OWNER.address, 2, "bafy-one-v2", PRICE, null],
      [2n, OWNER_2.address, 1, "bafy-two-v1", 2n * PRICE, null],
    ]);
    assert.deepEqual((await sdk.listModels({ owner: OWNER_2.address })).map((m) => m.modelId), [2n]);
    assert.deepEqual(await sdk.listModels({ owner: LICENSEE.address }), []);
    // names: best effort from the node (none listens here): null, not an error.
    assert.deepEqual((await sdk.listModels({ names: true })).map((m) => m.name), [null, null]);
  });

  it("modelInfo and modelHistory equal the library's: versions, custodians, the story's events in order", async () => {
    for (const id of [1n, 2n]) {
      assert.deepEqual(await sdk.modelInfo(id), await modelInfo(reader, id));
      assert.deepEqual(await sdk.modelHistory(id), await modelHistory(reader, id));
    }
    const info = await sdk.modelInfo(1n);
    assert.deepEqual(info.versions.map((v) => v.manifestCid), ["bafy-one-v1", "bafy-one-v2"]);
    assert.deepEqual(info.custodians.map((c) => [c.address, c.stake]), [[CUSTODIAN_A.address, MIN_STAKE], [CUSTODIAN_B.address, MIN_STAKE]]);
    const history = await sdk.modelHistory(1n);
    assert.deepEqual(history.map((e) => e.eventName), [
      "ModelRegistered", "TermsUpdated", "VersionPublished", "LicensePurchased", "LicenseGranted", "Staked", "LicenseRevoked", "VersionPublished",
    ]);
    assert.ok(history.every((e, i) => e.time > 0 && (i === 0 || e.blockNumber >= history[i - 1]!.blockNumber)));
  });

  it("licencesOf defaults to the wallet's account and equals the library's for any account", async () => {
    const mine = await sdk.licencesOf();
    assert.deepEqual(mine, await licencesOf(reader, LICENSEE.address));
    assert.deepEqual(mine.map((l) => [l.modelId, l.state, l.usesLeft, l.staked]), [[1n, "superseded", 4, 1_000n], [2n, "usable", null, 0n]]);
    const revoked = await sdk.licencesOf(LICENSEE_2.address);
    assert.deepEqual(revoked, await licencesOf(reader, LICENSEE_2.address));
    assert.deepEqual(revoked.map((l) => [l.modelId, l.state, l.revoked]), [[1n, "revoked", true]]);
    assert.deepEqual(await sdk.licencesOf(OWNER.address), []);
  });

  it("refuses with SdkError codes: unknown model, bad arguments, no account, another chain, an incomplete deployment", async () => {
    await assertSdkCode(sdk.modelInfo(99n), "UNKNOWN_MODEL", /^model 99 is not registered$/);
    await assertSdkCode(sdk.modelHistory(99n), "UNKNOWN_MODEL");
    await assertSdkCode(sdk.modelInfo(-1n), "INVALID_ARGUMENT", /modelId/);
    await assertSdkCode(sdk.listModels({ owner: "0x1234" as Address }), "INVALID_ARGUMENT", /owner is not an address/);
    await assertSdkCode(sdk.licencesOf("nope" as Address), "INVALID_ARGUMENT", /account is not an address/);
    await assertSdkCode(sdkFor().licencesOf(), "NO_ACCOUNT");
    assert.equal((await sdkFor().licencesOf(LICENSEE_2.address)).length, 1);
    await assertSdkCode(sdkFor(undefined, { deployment: { ...deployment, chainId: 1 } }).listModels(), "CHAIN_MISMATCH");
    const { LicenseeStaking: _s, StorageChallenges: _c, ...short } = deployment.contracts;
    const old = sdkFor(undefined, { deployment: { chainId: deployment.chainId, blockNumber: deployment.blockNumber, contracts: short } });
    assert.equal((await old.listModels()).length, 2);
    await assertSdkCode(old.modelHistory(1n), "INVALID_ARGUMENT", /LicenseeStaking and StorageChallenges/);
  });
});
