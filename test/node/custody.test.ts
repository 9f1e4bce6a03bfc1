import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { bytesToHex, hexToBytes, type Hex } from "viem";
import { modelVaultAbi } from "../../contracts/abi/index.js";
import { combineShares, generateKeyPair, unwrapKey } from "../../crypto/index.js";
import { ChainRevertError, type KeyRequest } from "../../node/chain/index.js";
import { callCustodian, CustodianUnavailableError } from "../../node/custody/client.js";
import { custodyDomain } from "../../node/custody/custodian.js";
import { CustodyRefusedError, DepositFailedError, NotEnoughSharesReleasedError, type RefusalCode } from "../../node/custody/errors.js";
import { accessModel, collectKey } from "../../node/custody/licensee.js";
import { publishWithCustody, rotateModel, type CustodyPublishResult } from "../../node/custody/owner.js";
import { ChallengeResponder } from "../../node/custody/challenge-responder.js";
import { followVersions, sweepSuperseded } from "../../node/custody/rotation.js";
import { depositContext, releaseContext, releasedShareSchema, signDeposit, signRelease } from "../../node/custody/protocol.js";
import { assertBytes } from "../helpers/bytes.js";
import { CustodyWorld, identityAt } from "./fixtures/custody.js";

const PRICE = 10n ** 15n;

describe("key custody: 2-of-3 custodians gated by on-chain tickets (Hardhat EVM, real peers and HTTP)", function () {
  this.timeout(120_000);
  let world: CustodyWorld;
  let model: Uint8Array;
  let published: CustodyPublishResult;

  before(async () => {
    world = await CustodyWorld.create({ custodians: 3 });
    model = randomBytes(200_000);
    published = await publishWithCustody(world.owner.peer, [model], {
      owner: world.owner.identity.account,
      chain: world.owner.chain,
      custodians: world.custodianAddresses,
      threshold: 2,
      terms: { price: PRICE, duration: 0, maxUses: 0, minStake: 0n, carryOver: false },
      segmentSize: 64 * 1024,
    });
  });
  after(() => world?.cleanup());

  /** Requests a fresh ticket for the licensee with a new recipient key. */
  async function ticketFor(who = world.licensee, modelId = published.chainModelId) {
    const recipient = generateKeyPair();
    const ticket = await who.chain.requestKey(modelId, recipient.publicKey);
    return { ticket, recipient };
  }

  /** Asks every custodian directly; returns each one's refusal code (or "RELEASED"). */
  async function askAll(ticket: Pick<KeyRequest, "ticketId" | "version">, signer: Uint8Array, modelId = published.chainModelId) {
    const domain = custodyDomain(world.licensee.chain);
    return Promise.all(
      world.custodians.map(async (node) => {
        const request = signRelease(signer, domain, { ticketId: ticket.ticketId, modelId: modelId.toString(), version: ticket.version });
        try {
          await callCustodian(node!.api.url, "v1/custody/releases", request, releasedShareSchema, AbortSignal.timeout(10_000));
          return "RELEASED";
        } catch (error) {
          if (error instanceof CustodyRefusedError) return error.code;
          throw error;
        }
      }),
    );
  }
  const none = (code: RefusalCode) => [code, code, code];

  it("registers only after every custodian acknowledged its share and pinned the content", async () => {
    assert.equal(published.receipts.length, 3);
    const version = await world.licensee.chain.version(published.chainModelId, 1);
    assert.equal(version?.manifestCid, published.manifestCid.toString());
    assert.equal(version?.threshold, 2);
    for (const node of world.custodians) {
      const held = node!.custodian.store.get(published.manifestCid.toString());
      assert.ok(held, "share stored");
      // At rest the share is the ECIES ciphertext: it opens only with the custodian's key.
      assert.doesNotMatch(await readFile(join(node!.dataDir, "custody", "shares", `${published.manifestCid}.json`), "utf8"), /"share"/);
      assert.ok(await node!.peer.helia.pins.isPinned(published.manifestCid), "content pinned by the custodian");
      await assert.rejects(unwrapKey(identityAt(1).privateKey, hexToBytes(held.wrappedShare), depositContext(held.manifestCid)));
    }
  });

  it("licensee: buy -> ticket -> 2 of 3 shares -> key -> fetch and decrypt", async () => {
    const out = join(await world.dataDir(), "model.bin");
    const result = await accessModel(world.licensee.peer, out, { chain: world.licensee.chain, modelId: published.chainModelId, buy: true });
    assertBytes(await readFile(out), model, "accessed model");
    assert.equal(result.version, 1);
    assert.equal(result.plaintextSize, model.length);
  });

  it("the unauthorized matrix releases zero shares", async () => {
    const { licensee, owner } = world;
    const id = published.chainModelId;

    // No licence: the chain issues no ticket, and an invented ticket is unknown everywhere.
    const stranger = await world.actor(12);
    await assert.rejects(stranger.chain.requestKey(id, generateKeyPair().publicKey), (e: unknown) => e instanceof ChainRevertError && e.errorName === "NoLicense");
    const invented = { ticketId: bytesToHex(randomBytes(32)), version: 1 };
    assert.deepEqual(await askAll(invented, generateKeyPair().privateKey), none("UNKNOWN_TICKET"));

    // Ticket for another recipient key: signed by a key that is not the ticket's.
    const { ticket, recipient } = await ticketFor();
    assert.deepEqual(await askAll(ticket, generateKeyPair().privateKey), none("WRONG_RECIPIENT"));
    // Wrong model or version named in the request.
    assert.deepEqual(await askAll(ticket, recipient.privateKey, id + 1n), none("WRONG_MODEL"));
    assert.deepEqual(await askAll({ ...ticket, version: 2 }, recipient.privateKey), none("WRONG_MODEL"));
    // The rightful request works; a replay gets the same answer again (custody-replay.test.ts).
    assert.deepEqual(await askAll(ticket, recipient.privateKey), ["RELEASED", "RELEASED", "RELEASED"]);
    assert.deepEqual(await askAll(ticket, recipient.privateKey), ["RELEASED", "RELEASED", "RELEASED"]);

    // Revoked licence: a ticket issued before the revocation is dead.
    const revocable = await world.actor(13);
    await owner.chain.grant(id, revocable.identity.address);
    const before = await ticketFor(revocable);
    await owner.chain.revoke(id, revocable.identity.address);
    assert.deepEqual(await askAll(before.ticket, before.recipient.privateKey), none("LICENCE_NOT_LIVE"));

    // Expired licence.
    const now = Number((await licensee.chain.publicClient.getBlock()).timestamp);
    const shortLived = await world.actor(14);
    await owner.chain.grant(id, shortLived.identity.address, { expiresAt: now + 100 });
    const expiring = await ticketFor(shortLived);
    await world.connection.networkHelpers.time.increase(200);
    assert.deepEqual(await askAll(expiring.ticket, expiring.recipient.privateKey), none("LICENCE_NOT_LIVE"));

    // Uses exhausted: the second ticket is never issued.
    const once = await world.actor(15);
    await owner.chain.grant(id, once.identity.address, { maxUses: 1 });
    await ticketFor(once);
    await assert.rejects(ticketFor(once), (e: unknown) => e instanceof ChainRevertError && e.errorName === "LicenseExhausted");

    // Expired ticket (the licence itself is fine).
    const late = await ticketFor();
    await world.connection.networkHelpers.time.increase(3601);
    assert.deepEqual(await askAll(late.ticket, late.recipient.privateKey), none("TICKET_EXPIRED"));

    // Stake too low: with a minimum stake in the terms, requestKey reverts without one.
    const setMinStake = async (minStake: bigint) => {
      const hash = await owner.chain.walletClient!.writeContract({
        address: world.deployment.contracts.ModelVault, abi: modelVaultAbi, functionName: "setTerms",
        args: [id, { price: PRICE, duration: 0, maxUses: 0, minStake, carryOver: false }],
      });
      await owner.chain.publicClient.waitForTransactionReceipt({ hash });
    };
    await setMinStake(10n ** 16n);
    const unstaked = await world.actor(16);
    await unstaked.chain.buy(id);
    await assert.rejects(ticketFor(unstaked), (e: unknown) => e instanceof ChainRevertError && e.errorName === "InsufficientStake");
    await setMinStake(0n);
  });

  it("one custodian down still releases the key; two down fail with a clear error", async () => {
    const down = await world.stopCustodian(0);
    try {
      const { ticket, recipient } = await ticketFor();
      const manifest = published.signed.manifest;
      const key = await collectKey({
        chain: world.licensee.chain, ticket, modelId: published.chainModelId,
        recipientPrivateKey: recipient.privateKey, keyCommitment: hexToBytes(manifest.keyCommitment as Hex), timeoutMs: 2_000,
      });
      assertBytes(key, published.key, "combined key");

      const second = await world.stopCustodian(1);
      try {
        const next = await ticketFor();
        await assert.rejects(
          collectKey({
            chain: world.licensee.chain, ticket: next.ticket, modelId: published.chainModelId,
            recipientPrivateKey: next.recipient.privateKey, keyCommitment: hexToBytes(manifest.keyCommitment as Hex), timeoutMs: 2_000,
          }),
          (e: unknown) => e instanceof NotEnoughSharesReleasedError && e.released === 1 && /CUSTODIAN_UNAVAILABLE/.test(e.message),
        );
      } finally {
        await world.restartCustodian(1, second);
      }
    } finally {
      await world.restartCustodian(0, down);
    }
  });

  it("a custodian that accepts but never answers is hedged around", async () => {
    const slow = await world.stopCustodian(0);
    // Its endpoint now accepts connections and says nothing.
    const sockets = new Set<Socket>();
    const blackhole = createServer((socket) => sockets.add(socket));
    await new Promise<void>((ready) => blackhole.listen(slow.api.port, "127.0.0.1", ready));
    try {
      for (let i = 0; i < 2; i++) {
        const { ticket, recipient } = await ticketFor();
        const started = performance.now();
        const key = await collectKey({
          chain: world.licensee.chain, ticket, modelId: published.chainModelId, recipientPrivateKey: recipient.privateKey,
          keyCommitment: hexToBytes(published.signed.manifest.keyCommitment as Hex), hedgeMs: 200, timeoutMs: 30_000,
          order: "listed", // the silent one is asked first
        });
        assertBytes(key, published.key, "key despite a silent custodian");
        assert.equal(sockets.size, i + 1, "the silent custodian was asked");
        assert.ok(performance.now() - started < 5_000, "well before the silent custodian's timeout");
      }
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((closed) => blackhole.close(() => closed()));
      await world.restartCustodian(0, slow);
    }
  });

  it("a restarted custodian keeps its shares and its redemptions", async () => {
    const { ticket, recipient } = await ticketFor();
    const node = await world.stopCustodian(2);
    const restarted = await world.restartCustodian(2, node);
    assert.ok(restarted.custodian.store.get(published.manifestCid.toString()));
    const domain = custodyDomain(world.licensee.chain);
    const request = signRelease(recipient.privateKey, domain, { ticketId: ticket.ticketId, modelId: published.chainModelId.toString(), version: 1 });
    const released = await callCustodian(restarted.api.url, "v1/custody/releases", request, releasedShareSchema, AbortSignal.timeout(10_000));
    const share = await unwrapKey(recipient.privateKey, hexToBytes(released.wrappedShare), releaseContext(ticket.ticketId));
    assert.equal(share.length, 67);
    await assert.rejects(combineShares([share]));
    // The release is recorded: after another restart the same request gets the same bytes.
    const again = await world.restartCustodian(2, await world.stopCustodian(2));
    const repeated = await callCustodian(again.api.url, "v1/custody/releases", request, releasedShareSchema, AbortSignal.timeout(10_000));
    assert.equal(repeated.wrappedShare, released.wrappedShare);
  });

  it("deposits: refuses forged, misaddressed and unreadable shares; nothing registers without every receipt", async () => {
    const node = world.custodians[0]!;
    const domain = custodyDomain(world.owner.chain);
    const manifestCid = published.manifestCid.toString();
    const deposit = (wrappedShare: Hex, custodian = node.identity.address) =>
      signDeposit(world.owner.identity.account, domain, { manifestCid, custodian, wrappedShare, providers: [] });
    const call = (body: unknown) => callCustodian(node.api.url, "v1/custody/deposits", body, releasedShareSchema.passthrough(), AbortSignal.timeout(10_000));
    const refusal = (code: RefusalCode) => (e: unknown) => e instanceof CustodyRefusedError && e.code === code;

    const good = await deposit(bytesToHex(randomBytes(128)));
    await assert.rejects(call({ ...good, owner: identityAt(2).address }), refusal("BAD_SIGNATURE"));
    await assert.rejects(call(await deposit(bytesToHex(randomBytes(128)), identityAt(2).address)), refusal("NOT_FOR_THIS_CUSTODIAN"));
    await assert.rejects(call(good), refusal("SHARE_UNREADABLE"));
    await assert.rejects(call({ ...good, extra: 1 }), refusal("MALFORMED_REQUEST"));

    const before = await world.owner.chain.contracts.vault.read.modelCount();
    const unregistered = identityAt(17); // no custodian registered with this account
    await assert.rejects(
      publishWithCustody(world.owner.peer, [randomBytes(1000)], {
        owner: world.owner.identity.account, chain: world.owner.chain,
        custodians: [...world.custodianAddresses.slice(0, 2), unregistered.address], threshold: 2,
      }),
      DepositFailedError,
    );
    assert.equal(await world.owner.chain.contracts.vault.read.modelCount(), before);
    await assert.rejects(
      callCustodian("http://127.0.0.1:1", "v1/custody/releases", {}, releasedShareSchema, AbortSignal.timeout(2_000)),
      CustodianUnavailableError,
    );
  });

  it("a custodian answers a storage challenge on chain by itself", async () => {
    const node = world.custodians[0]!;
    const answered: bigint[] = [];
    const errors: Error[] = [];
    const responder = new ChallengeResponder({
      chain: node.chain, peer: node.peer, onAnswered: (a) => answered.push(a.challengeId), onError: (e) => errors.push(e),
    });
    await responder.start();
    try {
      const challenger = await world.actor(19);
      const opened = await challenger.chain.challenge(published.chainModelId, node.identity.address);
      await world.connection.networkHelpers.mine(2); // the seed block and one after it
      // Until the challenger reveals its salt nobody knows the index, so nothing is answered yet.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(answered.length, 0);
      await challenger.chain.revealChallenge(opened.challengeId, opened.salt);
      const deadline = Date.now() + 20_000;
      while (!answered.includes(opened.challengeId) && errors.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(errors, []);
      assert.deepEqual(answered, [opened.challengeId]);
      assert.equal((await challenger.chain.challengeInfo(opened.challengeId))?.state, "answered");
    } finally {
      await responder.stop();
    }
  });

  it("rotation: new key and version, old tickets dead, custodians drop old shares after the grace period", async () => {
    const old = await ticketFor();
    const oldCid = published.manifestCid.toString();
    const followers = world.custodians.map((node) => followVersions(node!.chain, node!.custodian.store));
    try {
      const rotated = await rotateModel(world.owner.peer, undefined, {
        owner: world.owner.identity.account, chain: world.owner.chain, chainModelId: published.chainModelId, previousKey: published.key,
      });
      assert.equal(rotated.version, 2);
      assert.notDeepEqual(rotated.key, published.key);
      assert.equal(await world.owner.peer.helia.pins.isPinned(published.manifestCid), false, "owner unpinned the old version");
      // A ticket of version 1 is dead everywhere.
      assert.deepEqual(await askAll(old.ticket, old.recipient.privateKey), none("LICENCE_NOT_LIVE"));

      // A licence for version 2 gets the re-encrypted model with the new key.
      const fresh = await world.actor(18);
      await world.owner.chain.grant(published.chainModelId, fresh.identity.address);
      await fresh.peer.dial(world.owner.peer.addresses[0]!);
      const out = join(await world.dataDir(), "v2.bin");
      const access = await accessModel(fresh.peer, out, { chain: fresh.chain, modelId: published.chainModelId });
      assert.equal(access.version, 2);
      assertBytes(await readFile(out), model, "rotated model");

      for (const node of world.custodians) {
        const store = node!.custodian.store;
        const deadline = Date.now() + 10_000;
        while (store.get(oldCid)?.supersededAt === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        assert.ok(store.get(oldCid)?.supersededAt !== undefined, "old share marked superseded");
        assert.equal(store.get(rotated.manifestCid.toString())?.version, 2);
        assert.deepEqual(await sweepSuperseded(store, node!.peer, 3600), [], "kept during the grace period");
        assert.deepEqual(await sweepSuperseded(store, node!.peer, 0, Math.floor(Date.now() / 1000) + 1), [oldCid]);
        assert.equal(store.get(oldCid), undefined);
        assert.equal(await node!.peer.helia.pins.isPinned(published.manifestCid), false);
        assert.ok(store.get(rotated.manifestCid.toString()), "the current share stays");
      }
    } finally {
      await Promise.all(followers.map((f) => f.stop()));
    }
  });
});

