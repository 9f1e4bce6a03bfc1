/**
 * The custodian's ticket index (node/custody/ticket-index.ts): releases of tickets it has seen
 * read no chain, and no change of the chain state a ticket's liveness depends on (revocation,
 * licence and ticket expiry, version rotation, ownership, a reorganisation, confirmations) lets
 * the index release a share that a chain read would refuse. Real custodians (Helia peers, share
 * stores, HTTP on 127.0.0.1) and Hardhat's in-process EVM, as in custody.test.ts.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { bytesToHex, type Hex } from "viem";
import { generateKeyPair } from "../../crypto/index.js";
import { acceptOwnership, proposeOwner, type KeyRequest } from "../../node/chain/index.js";
import { custodyDomain } from "../../node/custody/custodian.js";
import { publishWithCustody, rotateModel, type CustodyPublishResult } from "../../node/custody/owner.js";
import { signRelease, type ShareRelease } from "../../node/custody/protocol.js";
import { CustodyWorld, type Actor, type CustodianNode } from "./fixtures/custody.js";

const TERMS = { price: 10n ** 15n, duration: 0, maxUses: 0, minStake: 0n, carryOver: false };

/** Counts the custodian's chain reads on the release path (the index reads logs through publicClient). */
function countReads(node: CustodianNode): { count: number } {
  const counter = { count: 0 };
  for (const name of ["ticket", "modelState", "version", "ticketBlock", "confirmationsOf"] as const) {
    const original = node.chain[name].bind(node.chain) as (...args: unknown[]) => Promise<unknown>;
    (node.chain as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      counter.count++;
      return original(...args);
    };
  }
  return counter;
}

interface Setup {
  world: CustodyWorld;
  published: CustodyPublishResult;
}

async function setUp(options: Parameters<typeof CustodyWorld.create>[0], custodians = 3, threshold = 2): Promise<Setup> {
  const world = await CustodyWorld.create({ custodians, ...options });
  const published = await publishWithCustody(world.owner.peer, [randomBytes(20_000)], {
    owner: world.owner.identity.account, chain: world.owner.chain, custodians: world.custodianAddresses, threshold, terms: TERMS,
    segmentSize: 64 * 1024,
  });
  return { world, published };
}

function helpers(get: () => Setup) {
  const world = () => get().world;
  const modelId = () => get().published.chainModelId;
  return {
    async ticketFor(who: Actor = world().licensee) {
      const recipient = generateKeyPair();
      const ticket = await who.chain.requestKey(modelId(), recipient.publicKey);
      return { ticket, recipient, request: requestOf(ticket, recipient.privateKey) };
    },
    requestOf,
    /** POSTs a release request; the status, the refusal code and Retry-After. */
    async post(node: CustodianNode, body: unknown) {
      const response = await fetch(`${node.api.url}/v1/custody/releases`, {
        method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000),
      });
      const json = (await response.json()) as { error?: { code?: string }; wrappedShare?: Hex };
      return { status: response.status, code: json.error?.code ?? "RELEASED", retryAfter: response.headers.get("retry-after") };
    },
    /** Every running custodian's index has followed the chain to its current head. */
    async caughtUp() {
      const head = await world().owner.chain.publicClient.getBlockNumber({ cacheTime: 0 });
      await Promise.all(world().custodians.map((node) => node?.index?.caughtUp(head)));
    },
    /** A licensee with a fresh licence. */
    async licensee(index: number, limits?: { expiresAt?: number }) {
      const actor = await world().actor(index);
      await world().owner.chain.grant(modelId(), actor.identity.address, limits);
      return actor;
    },
    async chainNow(): Promise<number> {
      return Number((await world().owner.chain.publicClient.getBlock()).timestamp);
    },
  };
  function requestOf(ticket: Pick<KeyRequest, "ticketId" | "version">, signer: Uint8Array): ShareRelease {
    return signRelease(signer, custodyDomain(world().licensee.chain), { ticketId: ticket.ticketId, modelId: modelId().toString(), version: ticket.version });
  }
}

describe("custody: the ticket index serves releases without chain reads, and never past what the chain allows", function () {
  this.timeout(180_000);
  let setup: Setup;
  const h = helpers(() => setup);
  const node = (i: number) => setup.world.custodians[i]!;
  before(async () => {
    setup = await setUp({ index: {} });
    await setup.world.owner.chain.grant(setup.published.chainModelId, setup.world.licensee.identity.address);
  });
  after(() => setup?.world.cleanup());

  it("a ticket the index has seen needs no chain read; one it has not falls back to the chain", async () => {
    const { request } = await h.ticketFor();
    await h.caughtUp();
    const reads = countReads(node(0));
    assert.equal((await h.post(node(0), request)).code, "RELEASED");
    assert.equal((await h.post(node(0), request)).code, "RELEASED", "a repeat");
    assert.equal(reads.count, 0, "no chain read for an indexed ticket");

    const unknown = h.requestOf({ ticketId: bytesToHex(randomBytes(32)), version: 1 }, generateKeyPair().privateKey);
    assert.equal((await h.post(node(0), unknown)).code, "UNKNOWN_TICKET");
    assert.ok(reads.count > 0, "an unseen ticket is read from the chain");
  });

  it("revocation: an answered ticket and an unanswered one are refused once the index has the block; a new grant lifts it", async () => {
    const licensee = await h.licensee(10);
    const answered = await h.ticketFor(licensee);
    const unanswered = await h.ticketFor(licensee);
    await h.caughtUp();
    assert.equal((await h.post(node(0), answered.request)).code, "RELEASED");

    await setup.world.owner.chain.revoke(setup.published.chainModelId, licensee.identity.address);
    await h.caughtUp();
    assert.equal(node(0).index!.vouch(answered.ticket.ticketId), undefined, "the index no longer vouches");
    for (const request of [answered.request, unanswered.request]) {
      for (const i of [0, 1]) assert.equal((await h.post(node(i), request)).code, "LICENCE_NOT_LIVE");
    }

    await setup.world.owner.chain.grant(setup.published.chainModelId, licensee.identity.address);
    await h.caughtUp();
    const reads = countReads(node(1));
    assert.equal((await h.post(node(1), unanswered.request)).code, "RELEASED", "the grant lifted the revocation (as on chain)");
    assert.equal(reads.count, 0);
  });

  it("a licence that expires by time, and an expired ticket, are refused (chain time, not the custodian's clock)", async () => {
    const licensee = await h.licensee(11, { expiresAt: (await h.chainNow()) + 600 });
    const { ticket, request } = await h.ticketFor(licensee);
    await h.caughtUp();
    assert.ok(node(0).index!.vouch(ticket.ticketId), "vouched while the licence runs");
    assert.equal((await h.post(node(0), request)).code, "RELEASED");
    await setup.world.connection.networkHelpers.time.increase(601);
    await h.caughtUp();
    assert.equal(node(0).index!.vouch(ticket.ticketId), undefined);
    assert.equal((await h.post(node(0), request)).code, "LICENCE_NOT_LIVE");
    assert.equal((await h.post(node(1), request)).code, "LICENCE_NOT_LIVE");

    const late = await h.ticketFor();
    await h.caughtUp();
    assert.ok(node(2).index!.vouch(late.ticket.ticketId));
    await setup.world.connection.networkHelpers.time.increase(3601); // the suite's ticket TTL
    await h.caughtUp();
    assert.equal(node(2).index!.vouch(late.ticket.ticketId), undefined);
    assert.equal((await h.post(node(2), late.request)).code, "TICKET_EXPIRED");
  });

  it("a reorganisation that drops a ticket: the index rebuilds and the ticket is refused by the chain", async () => {
    const snapshot = await setup.world.connection.networkHelpers.takeSnapshot();
    const { ticket, request } = await h.ticketFor();
    await h.caughtUp();
    assert.equal((await h.post(node(0), request)).code, "RELEASED");
    await snapshot.restore();
    const deadline = Date.now() + 10_000;
    while (node(1).index!.vouch(ticket.ticketId) !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(node(1).index!.vouch(ticket.ticketId), undefined, "the reorganisation was noticed");
    assert.equal((await h.post(node(1), request)).code, "UNKNOWN_TICKET");
    const after = await h.ticketFor();
    await h.caughtUp();
    assert.ok(node(1).index!.vouch(after.ticket.ticketId), "the rebuilt index vouches again");
  });

  it("a restarted custodian loads its index, catches up from its cursor, and vouches for tickets issued while it was down", async () => {
    const before = await h.ticketFor();
    await h.caughtUp();
    const stopped = await setup.world.stopCustodian(2);
    const saved = JSON.parse(await readFile(join(stopped.dataDir, "custody", "ticket-index.json"), "utf8")) as { cursor: string; tickets: unknown[] };
    assert.ok(BigInt(saved.cursor.slice(0, -1)) > BigInt(setup.world.deployment.blockNumber), "the cursor is saved");
    assert.ok(saved.tickets.length > 0);
    const during = await h.ticketFor();
    const restarted = await setup.world.restartCustodian(2, stopped);
    assert.ok(restarted.index!.size >= saved.tickets.length, "loaded before the first poll");
    await h.caughtUp();
    const reads = countReads(restarted);
    assert.equal((await h.post(restarted, before.request)).code, "RELEASED");
    assert.equal((await h.post(restarted, during.request)).code, "RELEASED");
    assert.equal(reads.count, 0);
  });

  it("ownership transfer: shares the old owner deposited are not released", async () => {
    const { ticket, request } = await h.ticketFor();
    const newOwner = await setup.world.actor(12);
    await proposeOwner(setup.world.owner.chain, setup.published.chainModelId, newOwner.identity.address);
    await acceptOwnership(newOwner.chain, setup.published.chainModelId);
    await h.caughtUp();
    assert.equal(node(0).index!.vouch(ticket.ticketId)?.owner, newOwner.identity.address);
    assert.equal((await h.post(node(0), request)).code, "OWNER_MISMATCH");
    await proposeOwner(newOwner.chain, setup.published.chainModelId, setup.world.owner.identity.address);
    await acceptOwnership(setup.world.owner.chain, setup.published.chainModelId);
    await h.caughtUp();
    assert.equal((await h.post(node(0), request)).code, "RELEASED");
  });

  it("version rotation: the old version's tickets are refused", async () => {
    const old = await h.ticketFor();
    await h.caughtUp();
    assert.ok(node(0).index!.vouch(old.ticket.ticketId));
    await rotateModel(setup.world.owner.peer, undefined, {
      owner: setup.world.owner.identity.account, chain: setup.world.owner.chain, chainModelId: setup.published.chainModelId, previousKey: setup.published.key,
    });
    await h.caughtUp();
    assert.equal(node(0).index!.vouch(old.ticket.ticketId), undefined);
    for (const i of [0, 1, 2]) assert.equal((await h.post(node(i), old.request)).code, "LICENCE_NOT_LIVE");
    const fresh = await h.ticketFor(await h.licensee(14));
    await h.caughtUp();
    const reads = countReads(node(1));
    assert.equal((await h.post(node(1), fresh.request)).code, "RELEASED", "version 2's tickets are vouched");
    assert.equal(reads.count, 0);
  });
});

describe("custody: the ticket index with confirmations 3", function () {
  this.timeout(120_000);
  let setup: Setup;
  const h = helpers(() => setup);
  const node = (i: number) => setup.world.custodians[i]!;
  const mine = (blocks: number) => setup.world.connection.networkHelpers.mine(blocks);
  before(async () => {
    setup = await setUp({ index: { confirmations: 3 } }, 2, 2);
    await setup.world.owner.chain.grant(setup.published.chainModelId, setup.world.licensee.identity.address);
  });
  after(() => setup?.world.cleanup());

  it("an unconfirmed ticket is left to the chain, and a revocation waiting for its confirmations already stops fast releases", async () => {
    const { ticket, request } = await h.ticketFor();
    await h.caughtUp();
    assert.equal(node(0).index!.vouch(ticket.ticketId), undefined, "one confirmation of three");
    assert.equal((await h.post(node(0), request)).code, "TICKET_NOT_CONFIRMED");
    await mine(2);
    await h.caughtUp();
    assert.ok(node(0).index!.vouch(ticket.ticketId), "three confirmations");
    assert.equal((await h.post(node(0), request)).code, "RELEASED");

    await setup.world.owner.chain.revoke(setup.published.chainModelId, setup.world.licensee.identity.address);
    await h.caughtUp();
    assert.equal(node(1).index!.vouch(ticket.ticketId), undefined, "the unconfirmed revocation unsettles the licence");
    assert.equal((await h.post(node(1), request)).code, "LICENCE_NOT_LIVE", "the chain read sees the revocation at once");
    await mine(3);
    await h.caughtUp();
    assert.equal(node(1).index!.vouch(ticket.ticketId), undefined, "and once confirmed, the index has it");
  });
});
