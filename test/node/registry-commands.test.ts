import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { network } from "hardhat";
import { custom, toHex, type Hex } from "viem";
import { mnemonicToAccount, type HDAccount } from "viem/accounts";
import { buildStorageTree, storageSegments } from "../../contracts/storage-proof.js";
import { encryptKeystore, generateKeyPair, saveKeystore } from "../../crypto/index.js";
import { createChainClient, licencesOf, listModels, modelHistory, UnknownModelError, type ChainClient, type Deployment, type Terms } from "../../node/chain/index.js";
import { run } from "../../node/cli/index.js";
import { deploySuite } from "../../scripts/deploy-suite.js";
import { MemoryIo } from "./fixtures/cli.js";
import { rpcBridge } from "./fixtures/rpc-bridge.js";

const MNEMONIC = "test test test test test test test test test test test junk";
const account = (index: number): HDAccount => mnemonicToAccount(MNEMONIC, { addressIndex: index });
const [OWNER, LICENSEE, CUSTODIAN_A, CUSTODIAN_B, CHALLENGER, OWNER_2, LICENSEE_2] = [1, 2, 3, 4, 5, 6, 7].map(account) as HDAccount[] as [
  HDAccount, HDAccount, HDAccount, HDAccount, HDAccount, HDAccount, HDAccount,
];
const MIN_STAKE = 10n ** 17n;
const PRICE = 10n ** 15n;
const TERMS: Terms = { price: PRICE, duration: 0, maxUses: 0, minStake: 0n, carryOver: false };
const NEW_TERMS: Terms = { price: 2n * PRICE, duration: 86_400, maxUses: 4, minStake: 0n, carryOver: true };
const RESPONSE_WINDOW = 4n;

interface JsonEvent { block: string; logIndex: number; time: number; txHash: Hex; contract: string; event: string; args: Record<string, unknown> }


describe("read commands: models, model info, model history, licences (Hardhat EVM, no keystore)", function () {
  this.timeout(120_000);
  let connection: Awaited<ReturnType<typeof network.create>>;
  let deployment: Deployment;
  let server: Server;
  let dir: string;
  let args: string[];
  let reader: ChainClient;
  /** Transactions of the story, by step. */
  const tx: Record<string, Hex> = {};
  const segments = storageSegments(randomBytes(3 * 4096 + 100));
  const storage = buildStorageTree(segments);
  const params = (cid: string, extra: Partial<{ weightsCommitment: bigint; ownerCommitment: bigint }> = {}) => ({
    manifestCid: cid, weightsCommitment: extra.weightsCommitment ?? 11n, ownerCommitment: extra.ownerCommitment ?? 22n,
    storageRoot: storage.root, segmentCount: storage.segmentCount, custodians: [CUSTODIAN_A.address, CUSTODIAN_B.address], threshold: 2,
  });

  before(async () => {
    connection = await network.create();
    const publicClient = await connection.viem.getPublicClient();
    const [deployer] = await connection.viem.getWalletClients();
    deployment = await deploySuite(deployer!, publicClient, { custodianMinStake: MIN_STAKE, responseWindow: RESPONSE_WINDOW });
    const transport = custom(connection.provider, { retryCount: 0 });
    const connect = (who?: HDAccount) => createChainClient({ transport, deployment, account: who, pollingIntervalMs: 20 });
    const [owner, owner2, licensee, custodianA, custodianB, challenger] = await Promise.all(
      [OWNER, OWNER_2, LICENSEE, CUSTODIAN_A, CUSTODIAN_B, CHALLENGER].map(connect),
    ) as ChainClient[] as [ChainClient, ChainClient, ChainClient, ChainClient, ChainClient, ChainClient];
    reader = await connect();
    const mine = (blocks: bigint) => connection.provider.request({ method: "hardhat_mine", params: [toHex(blocks)] });

    // The story: two models by two owners, new terms, a purchase, a grant, a ticket, a stake, a revocation,
    // a second version, a challenge answered and one missed and slashed, a pause and a transfer offer.
    await custodianA.registerCustodian(generateKeyPair().publicKey, "http://127.0.0.1:9001", MIN_STAKE);
    await custodianB.registerCustodian(generateKeyPair().publicKey, "http://127.0.0.1:9002", MIN_STAKE);
    tx.register1 = (await owner.registerModel(params("bafy-model-one-v1"), TERMS)).txHash;
    tx.register2 = (await owner2.registerModel(params("bafy-model-two-v1"), TERMS)).txHash;
    tx.terms = (await owner.write("vault", "setTerms", [1n, NEW_TERMS])).txHash;
    tx.buy = (await licensee.buy(1n)).txHash;
    tx.grant = (await owner.grant(1n, LICENSEE_2.address, { maxUses: 3 })).txHash;
    tx.ticket = (await licensee.requestKey(1n, generateKeyPair().publicKey)).txHash;
    tx.stake = (await licensee.stakeLicensee(1n, 1_000n)).txHash;
    tx.revoke = (await owner.revoke(1n, LICENSEE_2.address)).txHash;
    tx.version2 = (await owner.publishVersion(1n, params("bafy-model-one-v2", { weightsCommitment: 33n }))).txHash;
    const answered = await challenger.challenge(1n, CUSTODIAN_A.address);
    tx.challengeA = answered.txHash;
    await mine(2n);
    tx.revealA = (await challenger.revealChallenge(answered.challengeId, answered.salt)).txHash;
    const index = Number(await reader.segmentIndex(answered.challengeId));
    tx.respondA = (await custodianA.respondChallenge(answered.challengeId, segments[index]!, storage.proof(index))).txHash;
    const missed = await challenger.challenge(1n, CUSTODIAN_B.address);
    tx.challengeB = missed.txHash;
    await mine(2n);
    tx.revealB = (await challenger.revealChallenge(missed.challengeId, missed.salt)).txHash;
    await mine(RESPONSE_WINDOW + 1n);
    tx.slashB = (await challenger.slashChallenge(missed.challengeId)).txHash;
    tx.pause2 = (await owner2.write("vault", "pause", [2n])).txHash;
    tx.transfer2 = (await owner2.write("vault", "transferOwnership", [2n, OWNER.address])).txHash;

    ({ server } = await rpcBridge(connection.provider));
    dir = await mkdtemp(join(tmpdir(), "mv-registry-"));
    const deploymentFile = join(dir, "deployment.json");
    await writeFile(deploymentFile, JSON.stringify(deployment));
    const { port } = server.address() as { port: number };
    // No node is listening at --api: names are best effort (null). No password anywhere.
    args = ["--rpc-url", `http://127.0.0.1:${port}`, "--deployment", deploymentFile, "--data-dir", dir, "--api", "http://127.0.0.1:9", "--json"];
  });

  after(async () => {
    server?.closeAllConnections();
    await new Promise((closed) => server?.close(closed));
    await connection?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function cli<T>(argv: string[]): Promise<T> {
    const io = new MemoryIo({});
    assert.equal(await run([...argv, ...args], io), 0, io.err);
    return io.json<T>();
  }

  it("models lists the registry with owner, version, status, terms and custodians; --owner filters by the current owner", async () => {
    type Listed = { models: { modelId: string; name: null; owner: string; pendingOwner: string | null; version: number; status: string; terms: Record<string, unknown>; manifestCid: string; custodians: string[]; threshold: number }[] };
    const { models } = await cli<Listed>(["models"]);
    assert.deepEqual(models.map((m) => [m.modelId, m.owner, m.version, m.status, m.manifestCid, m.name]), [
      ["1", OWNER.address, 2, "active", "bafy-model-one-v2", null],
      ["2", OWNER_2.address, 1, "paused", "bafy-model-two-v1", null],
    ]);
    assert.deepEqual(models[0]!.terms, { price: (2n * PRICE).toString(), duration: 86_400, maxUses: 4, minStake: "0", carryOver: true });
    assert.deepEqual(models[0]!.custodians, [CUSTODIAN_A.address, CUSTODIAN_B.address]);
    assert.equal(models[0]!.threshold, 2);
    assert.equal(models[1]!.pendingOwner, OWNER.address);
    assert.deepEqual((await cli<Listed>(["models", "--owner", OWNER_2.address.toLowerCase()])).models.map((m) => m.modelId), ["2"]);
    assert.deepEqual((await cli<Listed>(["models", "--owner", LICENSEE.address])).models, []);
    // Text: a table, one row per model.
    const text = new MemoryIo({});
    assert.equal(await run(["models", ...args.filter((a) => a !== "--json")], text), 0, text.err);
    assert.match(text.out, /^ID +NAME +OWNER/);
    assert.match(text.out, new RegExp(`^1 +- +${OWNER.address} +2 +active +0\\.002 ETH +1d +4 +0 ETH +2-of-2$`, "m"));
    // The library: a name source is asked per model, and its failures are nulls.
    const named = await listModels(reader, { nameOf: async (cid) => (cid.endsWith("v2") ? "one" : Promise.reject(new Error("offline"))) });
    assert.deepEqual(named.map((m) => m.name), ["one", null]);
  });

  it("model info shows versions with commitments, custodians with stake and challenge record", async () => {
    type Info = Record<string, unknown> & {
      versions: { version: number; manifestCid: string; weightsCommitment: string; ownerCommitment: string; storageRoot: string; segmentCount: number; publishedBlock: string; txHash: string }[];
      custodians: { address: string; current: boolean; active: boolean; stake: string; challenges: Record<string, number> }[];
      attestations: unknown[];
    };
    const info = await cli<Info>(["model", "info", "1"]);
    assert.equal(info.owner, OWNER.address);
    assert.equal(info.status, "active");
    assert.equal(info.name, null);
    assert.deepEqual(info.versions.map((v) => [v.version, v.manifestCid, v.weightsCommitment, v.ownerCommitment, v.storageRoot, v.segmentCount, v.txHash]), [
      [1, "bafy-model-one-v1", "11", "22", storage.root, storage.segmentCount, tx.register1],
      [2, "bafy-model-one-v2", "33", "22", storage.root, storage.segmentCount, tx.version2],
    ]);
    const slashed = (MIN_STAKE * 1_000n) / 10_000n;
    assert.deepEqual(info.custodians.map((c) => [c.address, c.current, c.stake, c.challenges]), [
      [CUSTODIAN_A.address, true, MIN_STAKE.toString(), { opened: 1, answered: 1, missed: 0, slashed: 0, lapsed: 0, open: 0 }],
      [CUSTODIAN_B.address, true, (MIN_STAKE - slashed).toString(), { opened: 1, answered: 0, missed: 1, slashed: 1, lapsed: 0, open: 0 }],
    ]);
    assert.deepEqual(info.attestations, []);
    const text = new MemoryIo({});
    assert.equal(await run(["model", "info", "1", ...args.filter((a) => a !== "--json")], text), 0, text.err);
    assert.match(text.out, /^version 2 {2}bafy-model-one-v2 {2}/m);
    assert.match(text.out, /weights commitment +33$/m);
  });

  it("model history lists every event of the story in chain order, with block, time, tx and fields", async () => {
    const { modelId, events } = await cli<{ modelId: string; events: JsonEvent[] }>(["model", "history", "1"]);
    assert.equal(modelId, "1");
    assert.deepEqual(events.map((e) => [e.event, e.txHash]), [
      ["ModelRegistered", tx.register1], ["TermsUpdated", tx.register1], ["VersionPublished", tx.register1],
      ["TermsUpdated", tx.terms], ["LicensePurchased", tx.buy], ["LicenseGranted", tx.grant], ["KeyRequested", tx.ticket],
      ["Staked", tx.stake], ["LicenseRevoked", tx.revoke], ["VersionPublished", tx.version2],
      ["ChallengeOpened", tx.challengeA], ["ChallengeRevealed", tx.revealA], ["ChallengeAnswered", tx.respondA],
      ["ChallengeOpened", tx.challengeB], ["ChallengeRevealed", tx.revealB], ["ChallengeSlashed", tx.slashB],
    ]);
    const by = (name: string, n = 0) => events.filter((e) => e.event === name)[n]!;
    assert.deepEqual(by("ModelRegistered").args, { modelId: "1", owner: OWNER.address });
    assert.deepEqual(by("TermsUpdated", 1).args, { modelId: "1", price: (2n * PRICE).toString(), duration: 86_400, maxUses: 4, minStake: "0", carryOver: true });
    assert.deepEqual(by("LicensePurchased").args, { modelId: "1", licensee: LICENSEE.address, version: 1, expiresAt: by("LicensePurchased").time + 86_400, maxUses: 4, price: (2n * PRICE).toString() });
    assert.deepEqual(by("LicenseGranted").args, { modelId: "1", licensee: LICENSEE_2.address, version: 1, expiresAt: 0, maxUses: 3 });
    assert.equal(by("KeyRequested").args.licensee, LICENSEE.address);
    assert.deepEqual(by("Staked").args, { account: LICENSEE.address, modelId: "1", amount: "1000", total: "1000" });
    assert.equal(by("Staked").contract, "staking");
    assert.deepEqual(by("LicenseRevoked").args, { modelId: "1", licensee: LICENSEE_2.address });
    assert.equal(by("VersionPublished", 1).args.version, 2);
    assert.equal(by("ChallengeOpened", 1).args.custodian, CUSTODIAN_B.address);
    assert.equal(by("ChallengeOpened").contract, "challenges");
    for (let i = 1; i < events.length; i++) {
      const [a, b] = [events[i - 1]!, events[i]!];
      assert.ok(BigInt(a.block) < BigInt(b.block) || (a.block === b.block && a.logIndex < b.logIndex), "chain order");
      assert.ok(a.time <= b.time && a.time > 1_600_000_000);
    }
    // Model 2's trail: its own events only, the pause and the transfer offer included.
    const second = await cli<{ events: JsonEvent[] }>(["model", "history", "2"]);
    assert.deepEqual(second.events.map((e) => e.event), ["ModelRegistered", "TermsUpdated", "VersionPublished", "StatusChanged", "OwnershipTransferStarted"]);
    assert.deepEqual(second.events[3]!.args, { modelId: "2", status: 1 });
    // Block ranges of one block give the same trail (a provider that caps eth_getLogs).
    assert.deepEqual((await modelHistory(reader, 1n, { maxBlockRange: 1 })).map((e) => e.transactionHash), events.map((e) => e.txHash));
  });

  it("licences lists the account's licences: version, expiry, uses left, stake and state", async () => {
    type Held = { account: string; licences: { modelId: string; version: number; expiresAt: number; maxUses: number; used: number; usesLeft: number | null; revoked: boolean; usable: boolean; state: string; staked: string }[] };
    const mine = await cli<Held>(["licences", "--account", LICENSEE.address]);
    assert.equal(mine.account, LICENSEE.address);
    assert.deepEqual(mine.licences.map((l) => [l.modelId, l.version, l.maxUses, l.used, l.usesLeft, l.revoked, l.usable, l.state, l.staked]), [
      ["1", 1, 4, 1, 3, false, true, "usable", "1000"],
    ]);
    assert.ok(mine.licences[0]!.expiresAt > 1_600_000_000);
    const revoked = await cli<Held>(["licences", "--account", LICENSEE_2.address]);
    assert.deepEqual(revoked.licences.map((l) => [l.modelId, l.usesLeft, l.revoked, l.usable, l.state]), [["1", 3, true, false, "revoked"]]);
    assert.deepEqual(await licencesOf(reader, CHALLENGER.address), []);
  });

  it("licences defaults to the address in this node's keystore, read without its password", async () => {
    const home = await mkdtemp(join(tmpdir(), "mv-registry-home-"));
    try {
      const keystore = await encryptKeystore(randomBytes(32), "not asked for", { address: LICENSEE.address, scryptN: 1024 });
      await saveKeystore(join(home, "identity.json"), keystore);
      const io = new MemoryIo({});
      assert.equal(await run(["licences", ...args, "--data-dir", home], io), 0, io.err);
      assert.equal(io.json<{ account: string }>().account, LICENSEE.address);
      const none = new MemoryIo({});
      assert.equal(await run(["licences", ...args, "--data-dir", join(home, "missing")], none), 2);
      assert.match(none.err, /pass --account ADDR/);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it("refuses an unknown model, a bad id and a bad address with typed errors", async () => {
    for (const command of [["model", "info", "9"], ["model", "history", "9"]]) {
      const io = new MemoryIo({});
      assert.equal(await run([...command, ...args], io), 2, command.join(" "));
      assert.deepEqual(JSON.parse(io.err), { error: { code: "UNKNOWN_MODEL", message: "model 9 is not registered" } });
    }
    await assert.rejects(modelHistory(reader, 9n), UnknownModelError);
    const bad = new MemoryIo({});
    assert.equal(await run(["model", "info", "x1", ...args], bad), 2);
    assert.match(bad.err, /USAGE/);
    const badOwner = new MemoryIo({});
    assert.equal(await run(["models", "--owner", "0x123", ...args], badOwner), 2);
    assert.match(badOwner.err, /--owner is an address/);
  });
});
