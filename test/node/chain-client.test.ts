import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { network } from "hardhat";
import { createPublicClient, createWalletClient, custom, getAddress, http, isAddressEqual, toHex, type Address, type Hex } from "viem";
import { mnemonicToAccount, type HDAccount } from "viem/accounts";
import { challengeCommitment, challengeSegmentIndex } from "../../contracts/challenge-seed.js";
import { buildStorageTree, storageSegments } from "../../contracts/storage-proof.js";
import { generateKeyPair } from "../../crypto/index.js";
import {
  ChainArgumentError,
  ChainConfigError,
  ChainIdMismatchError,
  ChainRevertError,
  ChainUnavailableError,
  connectChain,
  createChainClient,
  loadDeployment,
  parseDeployment,
  redactRpcUrl,
  type ChainClient,
  type ChainClientOptions,
  type Deployment,
  type EventFollower,
  type FollowedLog,
  type Terms,
} from "../../node/chain/index.js";
import { deploySuite } from "../../scripts/deploy-suite.js";
import { HardhatNodeError, startHardhatNode, type HardhatNode } from "../../scripts/lib/hardhat-node.js";

// Hardhat's default accounts, funded on every Hardhat network.
const MNEMONIC = "test test test test test test test test test test test junk";
const account = (addressIndex: number): HDAccount => mnemonicToAccount(MNEMONIC, { addressIndex });
const [DEPLOYER, OWNER, LICENSEE, CUSTODIAN_A, CUSTODIAN_B, CHALLENGER] = [0, 1, 2, 3, 4, 5].map(account) as [
  HDAccount, HDAccount, HDAccount, HDAccount, HDAccount, HDAccount,
];

const MIN_STAKE = 10n ** 17n;
const PRICE = 10n ** 16n;
const DURATION = 30 * 24 * 3600;
const TERMS: Terms = { price: PRICE, duration: DURATION, maxUses: 5, minStake: 0n, carryOver: false };
const TICKET_TTL = 600;

function compressedKey(): Uint8Array {
  return generateKeyPair().publicKey;
}


async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  const { port } = server.address() as { port: number };
  await new Promise<void>((closed) => server.close(() => closed()));
  return port;
}

async function eventually(what: string, check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 20));
  }
}

const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe("chain client (viem) on Hardhat's in-process EVM", function () {
  this.timeout(120_000);
  let connection: Awaited<ReturnType<typeof network.create>>;
  let deployment: Deployment;
  let connect: (who: HDAccount | undefined, options?: Partial<ChainClientOptions>) => Promise<ChainClient>;
  let owner: ChainClient;
  let licensee: ChainClient;
  let custodianA: ChainClient;
  let custodianB: ChainClient;
  // Random, so that no two segments are alike and a wrong one cannot pass.
  const segments = storageSegments(randomBytes(5 * 4096 + 300));
  const storage = buildStorageTree(segments);
  const custodianKey = compressedKey();
  let modelId: bigint;
  // Followers still running when a test fails would keep mocha from exiting.
  const followers: EventFollower[] = [];

  before(async () => {
    connection = await network.create();
    const publicClient = await connection.viem.getPublicClient();
    const [deployer] = await connection.viem.getWalletClients();
    assert.ok(deployer);
    assert.ok(isAddressEqual(deployer.account.address, DEPLOYER.address), "Hardhat's first account is the mnemonic's index 0");
    // Typed as the node's Deployment: the script's record must be accepted as is.
    deployment = await deploySuite(deployer, publicClient, { ticketTtl: TICKET_TTL, custodianMinStake: MIN_STAKE });
    // retryCount 0: viem does not recognise the in-process provider's revert errors (code 3,
    // not a viem error) and would retry every revert three times with backoff (~1 s).
    const transport = custom(connection.provider, { retryCount: 0 });
    connect = (who, options = {}) =>
      createChainClient({ transport, deployment, account: who, pollingIntervalMs: 20, ...options });
    [owner, licensee, custodianA, custodianB] = await Promise.all([connect(OWNER), connect(LICENSEE), connect(CUSTODIAN_A), connect(CUSTODIAN_B)]);
  });

  afterEach(async () => {
    await Promise.all(followers.splice(0).map((follower) => follower.stop()));
  });

  after(async () => {
    await connection?.close();
  });

  it("checks the chain and exposes the deployment", async () => {
    assert.equal(owner.chainId, 31337);
    assert.equal(owner.address, OWNER.address);
    assert.equal(owner.confirmations, 1);
    assert.equal(owner.deploymentBlock, BigInt(deployment.blockNumber));
    assert.equal(owner.contracts.vault.address, deployment.contracts.ModelVault);
    assert.equal(await owner.contracts.vault.read.ticketTtl(), TICKET_TTL);
    assert.ok(owner.walletClient);
    const reader = await connect(undefined);
    assert.equal(reader.walletClient, undefined);
    assert.equal(reader.address, undefined);
  });

  it("registers custodians and reads them back", async () => {
    const stranger = account(9).address;
    assert.equal(await custodianA.custodianInfo(CUSTODIAN_A.address), null);
    const registered = await custodianA.registerCustodian(custodianKey, "http://127.0.0.1:9001", MIN_STAKE);
    assert.match(registered.txHash, /^0x[0-9a-f]{64}$/);
    await custodianB.registerCustodian(toHex(compressedKey()), "http://127.0.0.1:9002", MIN_STAKE * 2n);

    const info = await owner.custodianInfo(CUSTODIAN_A.address);
    assert.deepEqual(info, {
      stake: MIN_STAKE, unbonding: 0n, unbondAt: 0n, openChallenges: 0, publicKey: toHex(custodianKey), endpoint: "http://127.0.0.1:9001",
    });
    assert.equal((await owner.custodianInfo(CUSTODIAN_B.address))?.stake, MIN_STAKE * 2n);
    assert.equal(await owner.isActiveCustodian(CUSTODIAN_A.address), true);
    assert.equal(await owner.isActiveCustodian(stranger), false);
    assert.equal(await owner.custodianInfo(stranger), null);

    await custodianA.updateCustodianProfile(custodianKey, "http://127.0.0.1:9011");
    assert.equal((await owner.custodianInfo(CUSTODIAN_A.address))?.endpoint, "http://127.0.0.1:9011");

    // A second registration reverts in simulation, decoded from the custom error.
    await assert.rejects(custodianA.registerCustodian(custodianKey, "http://x", MIN_STAKE), (error: unknown) => {
      assert.ok(error instanceof ChainRevertError);
      assert.equal(error.errorName, "AlreadyRegistered");
      assert.deepEqual(error.args, [CUSTODIAN_A.address]);
      assert.equal(error.txHash, undefined, "nothing was sent");
      return true;
    });
  });

  it("registers a model and reads its state, version, terms and storage commitment", async () => {
    const params = {
      manifestCid: "bafy-manifest-chain-client",
      weightsCommitment: 1234n,
      ownerCommitment: 5678n,
      storageRoot: storage.root,
      segmentCount: storage.segmentCount,
      custodians: [CUSTODIAN_A.address, CUSTODIAN_B.address],
      threshold: 2,
    };
    const registered = await owner.registerModel(params, TERMS);
    modelId = registered.modelId;
    assert.equal(modelId, 1n);
    const receipt = await owner.publicClient.getTransactionReceipt({ hash: registered.txHash });
    assert.equal(receipt.blockNumber, registered.blockNumber);

    assert.deepEqual(await licensee.modelState(modelId), { owner: OWNER.address, version: 1, status: "active" });
    assert.equal(await licensee.modelState(99n), null);
    const version = await licensee.version(modelId, 1);
    assert.ok(version);
    const { publishedAt, ...rest } = version;
    assert.deepEqual(rest, params);
    const block = await owner.publicClient.getBlock({ blockNumber: registered.blockNumber });
    assert.equal(publishedAt, block.timestamp);
    assert.equal(await licensee.version(modelId, 2), null);
    assert.deepEqual(await licensee.terms(modelId), TERMS);
    assert.equal(await licensee.terms(99n), null);
    assert.deepEqual(await licensee.storageCommitment(modelId, 1), { storageRoot: storage.root, segmentCount: storage.segmentCount });

    // Only the owner publishes versions.
    await assert.rejects(licensee.publishVersion(modelId, params), (error: unknown) =>
      error instanceof ChainRevertError && error.errorName === "NotModelOwner" && error.args[0] === modelId);
    await assert.rejects(owner.registerModel({ ...params, custodians: [account(9).address], threshold: 1 }, TERMS), (error: unknown) =>
      error instanceof ChainRevertError && error.errorName === "CustodianNotActive");
  });

  it("buys a licence at the exact price and issues a ticket the custodians can read", async () => {
    assert.equal(await licensee.licenseOf(modelId, LICENSEE.address), null);
    const before = await licensee.publicClient.getBalance({ address: deployment.contracts.ModelVault });
    const bought = await licensee.buy(modelId);
    assert.equal(bought.price, PRICE);
    assert.equal(bought.version, 1);
    assert.equal(bought.maxUses, 5);
    assert.equal(await licensee.publicClient.getBalance({ address: deployment.contracts.ModelVault }), before + PRICE);
    const licence = await licensee.licenseOf(modelId, LICENSEE.address);
    assert.ok(licence);
    assert.equal(licence.version, 1);
    assert.equal(licence.used, 0);
    assert.equal(licence.expiresAt, bought.expiresAt);
    await assert.rejects(licensee.buy(modelId), (error: unknown) => error instanceof ChainRevertError && error.errorName === "LicenseStillActive");

    const recipient = compressedKey();
    const request = await licensee.requestKey(modelId, recipient);
    assert.match(request.ticketId, /^0x[0-9a-f]{64}$/);
    assert.equal(request.version, 1);
    const ticket = await custodianA.ticket(request.ticketId);
    assert.deepEqual(ticket, {
      modelId, version: 1, licensee: LICENSEE.address, recipientKey: toHex(recipient),
      expiresAt: request.expiresAt, licenceLive: true, valid: true,
    });
    const block = await owner.publicClient.getBlock({ blockNumber: request.blockNumber });
    assert.equal(request.expiresAt, block.timestamp + BigInt(TICKET_TTL));
    assert.equal((await licensee.licenseOf(modelId, LICENSEE.address))?.used, 1);

    assert.equal(await custodianA.ticketBlock(request.ticketId), request.blockNumber);
    assert.equal(await custodianA.confirmationsOf(request.blockNumber), 1n);
    await connection.networkHelpers.mine(2);
    assert.equal(await custodianA.confirmationsOf(request.blockNumber), 3n);
    assert.equal(await custodianA.confirmationsOf(request.blockNumber + 10n), 0n);

    const unknown: Hex = `0x${"ab".repeat(32)}`;
    assert.equal(await custodianA.ticket(unknown), null);
    assert.equal(await custodianA.ticketBlock(unknown), null);
  });

  it("refuses bad arguments and writes without an account with typed errors", async () => {
    await assert.rejects(licensee.requestKey(modelId, new Uint8Array(32).fill(2)), ChainArgumentError);
    await assert.rejects(licensee.requestKey(modelId, "0x04" as Hex), ChainArgumentError);
    await assert.rejects(licensee.requestKey(-1n, compressedKey()), ChainArgumentError);
    await assert.rejects(licensee.ticket("0x1234"), ChainArgumentError);
    await assert.rejects(licensee.licenseOf(modelId, "0xnope" as Address), ChainArgumentError);
    await assert.rejects(licensee.version(modelId, 70_000), ChainArgumentError);
    // Values the ABI cannot encode are refused by viem before anything is sent.
    const version = await owner.version(modelId, 1);
    assert.ok(version);
    await assert.rejects(owner.publishVersion(modelId, { ...version, threshold: 300 }), (error: unknown) =>
      error instanceof ChainArgumentError && /^publishVersion: Number "300" is not in safe 8-bit unsigned integer range/.test(error.message));
    const reader = await connect(undefined);
    await assert.rejects(reader.buy(modelId), (error: unknown) => error instanceof ChainConfigError && error.field === "account");
  });

  it("grants and revokes; a revoked licence's tickets stop being valid", async () => {
    const grantee = await connect(account(6));
    await owner.grant(modelId, account(6).address, { maxUses: 1 });
    const request = await grantee.requestKey(modelId, compressedKey());
    assert.equal((await owner.ticket(request.ticketId))?.valid, true);
    await assert.rejects(grantee.requestKey(modelId, compressedKey()), (error: unknown) =>
      error instanceof ChainRevertError && error.errorName === "LicenseExhausted" && error.args[2] === 1);
    await owner.revoke(modelId, account(6).address);
    assert.deepEqual(
      await owner.ticket(request.ticketId).then((t) => t && { licenceLive: t.licenceLive, valid: t.valid }),
      { licenceLive: false, valid: false },
    );
    assert.equal((await owner.licenseOf(modelId, account(6).address))?.revoked, true);
  });

  it("write: any contract call, simulated first (a revert is typed, nothing is sent), then confirmed", async () => {
    const stranger = await connect(account(7));
    await assert.rejects(stranger.write("vault", "pause", [modelId]), (error: unknown) =>
      error instanceof ChainRevertError && error.errorName === "NotModelOwner");
    const paused = await owner.write("vault", "pause", [modelId]);
    assert.equal(paused.receipt.status, "success");
    assert.equal(paused.txHash, paused.receipt.transactionHash);
    assert.equal((await owner.modelState(modelId))?.status, "paused");
    await owner.write("vault", "unpause", [modelId]);
    assert.equal((await owner.modelState(modelId))?.status, "active");
    await assert.rejects(stranger.write("vault", "noSuchFunction", []), /noSuchFunction/);
  });

  it("a licensee stakes towards a model's minimum stake", async () => {
    const staked = await licensee.stakeLicensee(modelId, 12345n);
    assert.equal(staked.total, 12345n);
    assert.equal(await licensee.contracts.staking.read.stakeOf([LICENSEE.address, modelId]), 12345n);
    // Concurrent writes from one client are sent one at a time, so nonces do not collide.
    const totals = await Promise.all([licensee.stakeLicensee(modelId, 1n), licensee.stakeLicensee(modelId, 2n)]);
    assert.deepEqual(totals.map((t) => t.total), [12346n, 12348n]);
    await assert.rejects(licensee.stakeLicensee(42n, 1n), (error: unknown) =>
      error instanceof ChainRevertError && error.errorName === "UnknownModel");
  });

  it("challenges a custodian with a committed salt, reveals it, and the custodian answers with its segment and Merkle proof", async () => {
    const challenger = await connect(CHALLENGER);
    const bond = await challenger.contracts.challenges.read.bond();
    const before = await challenger.publicClient.getBalance({ address: deployment.contracts.StorageChallenges });
    const opened = await challenger.challenge(modelId, CUSTODIAN_A.address);
    assert.equal(opened.challengeId, 1n);
    assert.equal(opened.seedBlock, opened.blockNumber + 1n);
    assert.equal(opened.deadlineBlock, opened.seedBlock + 256n);
    assert.match(opened.salt, /^0x[0-9a-f]{64}$/);
    assert.equal(await challenger.publicClient.getBalance({ address: deployment.contracts.StorageChallenges }), before + bond);
    assert.deepEqual(await custodianA.challengeInfo(opened.challengeId), {
      modelId, version: 1, custodian: CUSTODIAN_A.address, challenger: CHALLENGER.address, seedBlock: opened.seedBlock,
      deadlineBlock: opened.deadlineBlock, segmentIndex: null, commitment: challengeCommitment(CHALLENGER.address, opened.salt),
      state: "committed", bond,
    });
    assert.equal(await custodianA.challengeInfo(99n), null);
    assert.equal((await custodianA.custodianInfo(CUSTODIAN_A.address))?.openChallenges, 1);
    const refused = (name: string) => (error: unknown) => error instanceof ChainRevertError && error.errorName === name;
    await assert.rejects(challenger.revealChallenge(opened.challengeId, opened.salt), refused("SeedNotReady"));

    await connection.networkHelpers.mine(2);
    await assert.rejects(custodianA.segmentIndex(opened.challengeId), refused("NotRevealed"));
    await assert.rejects(challenger.revealChallenge(opened.challengeId, toHex(randomBytes(32))), refused("InvalidReveal"));
    await assert.rejects(challenger.revealChallenge(opened.challengeId, "0x01"), ChainArgumentError);
    const revealed = await challenger.revealChallenge(opened.challengeId, opened.salt);
    const seedHash = (await challenger.publicClient.getBlock({ blockNumber: opened.seedBlock })).hash;
    const index = await custodianA.segmentIndex(opened.challengeId);
    assert.equal(index, challengeSegmentIndex(opened.salt, seedHash, opened.challengeId, storage.segmentCount));
    assert.equal(revealed.segmentIndex, index);
    assert.equal(revealed.deadlineBlock, revealed.blockNumber + 64n);
    assert.deepEqual((await custodianA.challengeInfo(opened.challengeId))?.state, "revealed");
    const wrong = segments[(Number(index) + 1) % segments.length]!;
    await assert.rejects(custodianA.respondChallenge(opened.challengeId, wrong, storage.proof(Number(index))), refused("InvalidStorageProof"));
    const answered = await custodianA.respondChallenge(opened.challengeId, segments[Number(index)]!, storage.proof(Number(index)));
    assert.equal(answered.segmentIndex, index);
    assert.equal((await custodianA.challengeInfo(opened.challengeId))?.state, "answered");
    await assert.rejects(challenger.slashChallenge(opened.challengeId), refused("ChallengeNotOpen"));

    // A challenge whose salt is never revealed lapses: the custodian is released, not slashed.
    const forgotten = await challenger.challenge(modelId, CUSTODIAN_A.address);
    await assert.rejects(challenger.lapseChallenge(forgotten.challengeId), refused("DeadlineNotReached"));
    await connection.networkHelpers.mine(forgotten.deadlineBlock - forgotten.blockNumber + 1n); // the head is past the deadline
    await assert.rejects(challenger.revealChallenge(forgotten.challengeId, forgotten.salt), refused("DeadlinePassed"));
    await assert.rejects(challenger.slashChallenge(forgotten.challengeId), refused("NotRevealed"));
    await custodianA.lapseChallenge(forgotten.challengeId);
    assert.equal((await custodianA.challengeInfo(forgotten.challengeId))?.state, "lapsed");
    assert.equal((await custodianA.custodianInfo(CUSTODIAN_A.address))?.openChallenges, 0);
  });

  it("an expired licence makes requestKey fail with LicenseExpired", async () => {
    const licence = await licensee.licenseOf(modelId, LICENSEE.address);
    assert.ok(licence);
    await connection.networkHelpers.time.increase(DURATION + 1);
    await assert.rejects(licensee.requestKey(modelId, compressedKey()), (error: unknown) => {
      assert.ok(error instanceof ChainRevertError, String(error));
      assert.equal(error.code, "CHAIN_REVERT");
      assert.equal(error.errorName, "LicenseExpired");
      assert.deepEqual(error.args, [modelId, LICENSEE.address, licence.expiresAt]);
      assert.match(error.message, /^requestKey reverted LicenseExpired\(1, 0x/);
      return true;
    });
  });

  it("follows KeyRequested only once it has 3 confirmations, exactly once, and not after stop", async () => {
    // A fresh licence: the one above expired.
    await owner.grant(modelId, LICENSEE.address);
    const follower = await connect(undefined, { confirmations: 3 });
    assert.equal(follower.confirmations, 3);
    const seen: FollowedLog<"vault", "KeyRequested">[] = [];
    const errors: Error[] = [];
    const start = (await follower.publicClient.getBlockNumber({ cacheTime: 0 })) + 1n;
    const following = follower.followEvents({
      contract: "vault",
      eventName: "KeyRequested",
      args: { modelId },
      fromBlock: start,
      onLogs: (logs) => void seen.push(...logs),
      onError: (error) => void errors.push(error),
    });
    followers.push(following);

    const recipient = compressedKey();
    const request = await licensee.requestKey(modelId, recipient);
    await pause(300);
    assert.equal(seen.length, 0, "1 confirmation is not enough");
    await connection.networkHelpers.mine(1);
    await pause(300);
    assert.equal(seen.length, 0, "2 confirmations are not enough");
    await connection.networkHelpers.mine(1);
    await eventually("the KeyRequested log", () => seen.length > 0);
    const [log] = seen;
    assert.ok(log);
    assert.equal(log.args.ticketId, request.ticketId);
    assert.equal(log.args.licensee, LICENSEE.address);
    assert.equal(log.args.recipientKey, toHex(recipient));
    assert.equal(log.blockNumber, request.blockNumber);
    assert.equal(following.cursor, request.blockNumber + 1n, "the cursor stops at the last confirmed block");

    await connection.networkHelpers.mine(5);
    await pause(300);
    assert.equal(seen.length, 1, "delivered exactly once");
    assert.equal(following.cursor, request.blockNumber + 6n);

    await following.stop();
    await licensee.requestKey(modelId, compressedKey());
    await connection.networkHelpers.mine(5);
    await pause(300);
    assert.equal(seen.length, 1, "a stopped follower delivers nothing more");
    assert.deepEqual(errors, []);

    // Resuming from the cursor picks up exactly the ticket issued while stopped.
    const controller = new AbortController();
    const resumed: FollowedLog<"vault", "KeyRequested">[] = [];
    followers.push(follower.followEvents({
      contract: "vault", eventName: "KeyRequested", fromBlock: following.cursor, signal: controller.signal,
      maxBlockRange: 2, onLogs: (logs) => void resumed.push(...logs),
    }));
    await eventually("the resumed follower", () => resumed.length > 0);
    controller.abort();
    await pause(100);
    assert.equal(resumed.length, 1);
    assert.notEqual(resumed[0]!.args.ticketId, request.ticketId);
  });

  it("reports RPC errors to onError and keeps following", async () => {
    let failNext = 2;
    const flaky = {
      request: async (args: { method: string; params?: unknown }) => {
        if (args.method === "eth_getLogs" && failNext-- > 0) throw new Error("flaky upstream");
        return connection.provider.request(args as Parameters<typeof connection.provider.request>[0]);
      },
    };
    const follower = await createChainClient({ transport: custom(flaky, { retryCount: 0 }), deployment, pollingIntervalMs: 10 });
    const errors: Error[] = [];
    const seen: FollowedLog<"custodians", "CustodianRegistered">[] = [];
    const following = follower.followEvents({
      contract: "custodians", eventName: "CustodianRegistered", fromBlock: follower.deploymentBlock,
      onLogs: (logs) => void seen.push(...logs), onError: (error) => void errors.push(error),
    });
    followers.push(following);
    await eventually("both custodian registrations", () => seen.length === 2);
    await following.stop();
    assert.equal(errors.length, 2);
    assert.deepEqual(seen.map((log) => log.args.custodian), [CUSTODIAN_A.address, CUSTODIAN_B.address]);
  });

  it("refuses a deployment of another chain, or one whose contracts are gone", async () => {
    await assert.rejects(connect(undefined, { deployment: { ...deployment, chainId: 1 } }), (error: unknown) => {
      assert.ok(error instanceof ChainIdMismatchError);
      assert.equal(error.expected, 1);
      assert.equal(error.actual, 31337);
      return true;
    });
    const stale = { ...deployment, contracts: { ...deployment.contracts, ModelVault: getAddress(`0x${"12".repeat(20)}`) } };
    await assert.rejects(connect(undefined, { deployment: stale }), (error: unknown) =>
      error instanceof ChainConfigError && error.field === "contracts.ModelVault");
    await assert.rejects(
      createChainClient({ deployment, transport: custom(connection.provider), rpcUrl: "http://127.0.0.1:1" }),
      ChainConfigError,
    );
    await assert.rejects(connect(undefined, { confirmations: -1 }), ChainConfigError);
  });

  it("an RPC URL where nothing listens fails fast with ChainUnavailableError, without secrets", async () => {
    const port = await unusedPort();
    const rpcUrl = `http://operator:hunter2@127.0.0.1:${port}/v3/SECRETKEY?apikey=SECRETQUERY`;
    const started = Date.now();
    await assert.rejects(createChainClient({ rpcUrl, deployment, retryCount: 0, timeoutMs: 2_000 }), (error: unknown) => {
      assert.ok(error instanceof ChainUnavailableError, String(error));
      assert.equal(error.code, "CHAIN_UNAVAILABLE");
      assert.equal(error.rpcUrl, `http://127.0.0.1:${port}/…`);
      const everything = `${error.message}\n${inspect(error, { depth: 10 })}\n${JSON.stringify(error)}`;
      for (const secret of ["hunter2", "operator", "SECRETKEY", "SECRETQUERY"]) assert.ok(!everything.includes(secret), `leaks ${secret}`);
      return true;
    });
    assert.ok(Date.now() - started < 5_000, "fails quickly");
    assert.equal(redactRpcUrl("wss://eth.example.org/"), "wss://eth.example.org");
    await assert.rejects(createChainClient({ rpcUrl: "ftp://127.0.0.1", deployment }), ChainConfigError);
  });
});

describe("deployment records", () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), "mv-deployment-"))));
  after(() => rm(dir, { recursive: true, force: true }));

  const valid = {
    chainId: 31337,
    deployer: "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
    blockNumber: "12",
    options: { ticketTtl: 3600, custodianMinStake: "100000000000000000" },
    contracts: {
      CustodianRegistry: "0x5fbdb2315678afecb367f032d93f642f64180aa3",
      LicenseeStaking: "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512",
      ModelVault: "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0",
      StorageChallenges: "0xcf7ed3acca5a467e9e704c703e8d87f634fb0fc9",
      OwnershipVerifier: null,
      ProofAttestations: null,
    },
  };

  it("parses the record deploy-suite writes, checksumming addresses", () => {
    const parsed = parseDeployment(valid);
    assert.equal(parsed.deployer, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    assert.equal(parsed.contracts.ModelVault, "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0");
    assert.equal(parsed.contracts.ProofAttestations, null);
  });

  it("a bad record fails with ChainConfigError naming the field", async () => {
    const bad = (value: unknown, field: string) =>
      assert.throws(() => parseDeployment(value, "test"), (error: unknown) => {
        assert.ok(error instanceof ChainConfigError);
        assert.equal(error.field, field);
        assert.ok(error.message.startsWith(`test: ${field}: `), error.message);
        return true;
      });
    bad({ ...valid, contracts: { ...valid.contracts, ModelVault: "0x1234" } }, "contracts.ModelVault");
    bad({ ...valid, contracts: { ...valid.contracts, StorageChallenges: undefined } }, "contracts.StorageChallenges");
    bad({ ...valid, chainId: "31337" }, "chainId");
    bad({ ...valid, blockNumber: "-1" }, "blockNumber");
    bad([], "(root)");

    const file = join(dir, "31337.json");
    await writeFile(file, JSON.stringify(valid));
    assert.equal((await loadDeployment(file)).chainId, 31337);
    await writeFile(file, "{ nope");
    await assert.rejects(loadDeployment(file), /not valid JSON/);
    await assert.rejects(loadDeployment(join(dir, "missing.json")), (error: unknown) =>
      error instanceof ChainConfigError && /ENOENT.*npm run deploy/.test(error.message));
  });
});

describe("chain client over HTTP against `hardhat node`", function () {
  this.timeout(180_000);
  let node: HardhatNode | undefined;
  let dir: string;

  before(async () => {
    node = await startHardhatNode();
    dir = await mkdtemp(join(tmpdir(), "mv-chain-http-"));
  });
  after(async () => {
    await node?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("deploys over HTTP, then reads and writes through connectChain", async () => {
    assert.ok(node);
    assert.equal(node.chainId, 31337);
    const transport = http(node.rpcUrl);
    const publicClient = createPublicClient({ transport, pollingInterval: 50 });
    const wallet = createWalletClient({ account: DEPLOYER, transport, pollingInterval: 50 });
    const deployment = await deploySuite(wallet, publicClient, { custodianMinStake: MIN_STAKE });
    const file = join(dir, "deployment.json");
    await writeFile(file, JSON.stringify(deployment));

    const custodian = await connectChain({ rpcUrl: node.rpcUrl, deployment: file, confirmations: 1 }, { account: CUSTODIAN_A, pollingIntervalMs: 50 });
    assert.equal(custodian.chainId, 31337);
    assert.equal(await custodian.isActiveCustodian(CUSTODIAN_A.address), false);
    const key = compressedKey();
    const tx = await custodian.registerCustodian(key, "http://127.0.0.1:9100", MIN_STAKE);
    assert.ok(tx.blockNumber > BigInt(deployment.blockNumber));
    assert.equal(await custodian.isActiveCustodian(CUSTODIAN_A.address), true);
    assert.equal((await custodian.custodianInfo(CUSTODIAN_A.address))?.publicKey, toHex(key));
  });

  it("also connects over WebSocket, and closes", async () => {
    assert.ok(node);
    const file = join(dir, "deployment.json");
    const reader = await connectChain({ rpcUrl: node.rpcUrl.replace(/^http:/, "ws:"), deployment: file }, { pollingIntervalMs: 50 });
    assert.equal(await reader.isActiveCustodian(CUSTODIAN_A.address), true);
    assert.equal((await reader.modelState(1n)), null);
    await reader.close();
  });

  it("a node that cannot start fails with its output in the error", async () => {
    await assert.rejects(startHardhatNode({ args: ["--no-such-flag"] }), (error: unknown) => {
      assert.ok(error instanceof HardhatNodeError);
      assert.match(error.message, /^hardhat node exited with 1 before answering on http:\/\/127\.0\.0\.1:\d+\n--- hardhat node output/);
      assert.match(error.message, /no-such-flag/);
      return true;
    });
  });

  it("stop() frees the port", async () => {
    assert.ok(node);
    const { rpcUrl } = node;
    await node.stop();
    node = undefined;
    await assert.rejects(createChainClient({ rpcUrl, deployment: parseDeployment({
      chainId: 31337, deployer: DEPLOYER.address, blockNumber: "0", options: {},
      contracts: {
        CustodianRegistry: DEPLOYER.address, LicenseeStaking: DEPLOYER.address, ModelVault: DEPLOYER.address,
        StorageChallenges: DEPLOYER.address, OwnershipVerifier: null, ProofAttestations: null,
      },
    }), retryCount: 0, timeoutMs: 2_000 }), ChainUnavailableError);
  });
});
