/**
 * Ticket griefing: a licensee's signed ShareRelease names no custodian, so whoever sees it (a
 * third party on the path, or any custodian it was sent to) can send it to the others first. The
 * custodians answer a repeat with the bytes they recorded for the ticket, so the replay is worth
 * nothing to its sender and costs the licensee nothing (docs/PROTOCOL.md, "Access tickets and
 * releases"). Real custodian nodes (Helia peers, share stores on disk, HTTP on 127.0.0.1) and
 * Hardhat's EVM, as in custody.test.ts.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hexToBytes, type Hex } from "viem";
import { combineShares, generateKeyPair, unwrapKey } from "../../crypto/index.js";
import type { KeyRequest } from "../../node/chain/index.js";
import { custodyDomain } from "../../node/custody/custodian.js";
import { collectKey } from "../../node/custody/licensee.js";
import { publishWithCustody, type CustodyPublishResult } from "../../node/custody/owner.js";
import { releaseContext, signRelease, type ShareRelease } from "../../node/custody/protocol.js";
import { RETAIN_AFTER_EXPIRY_S } from "../../node/custody/release-log.js";
import { ShareStore } from "../../node/custody/share-store.js";
import { assertBytes } from "../helpers/bytes.js";
import { CustodyWorld, type CustodianNode } from "./fixtures/custody.js";

describe("custody: a replayed release request costs the licensee nothing (real custodians, Hardhat EVM)", function () {
  this.timeout(120_000);
  let world: CustodyWorld;
  let published: CustodyPublishResult;

  before(async () => {
    world = await CustodyWorld.create({ custodians: 3 });
    published = await publishWithCustody(world.owner.peer, [randomBytes(50_000)], {
      owner: world.owner.identity.account,
      chain: world.owner.chain,
      custodians: world.custodianAddresses,
      threshold: 2,
      terms: { price: 10n ** 15n, duration: 0, maxUses: 0, minStake: 0n, carryOver: false },
      segmentSize: 64 * 1024,
    });
    await world.licensee.chain.buy(published.chainModelId);
  });
  after(() => world?.cleanup());

  const node = (i: number): CustodianNode => world.custodians[i]!;
  const keyCommitment = () => hexToBytes(published.signed.manifest.keyCommitment as Hex);

  async function ticketFor(who = world.licensee) {
    const recipient = generateKeyPair();
    const ticket = await who.chain.requestKey(published.chainModelId, recipient.publicKey);
    return { ticket, recipient };
  }

  /** The request collectKey sends: ECDSA with RFC 6979 nonces, so the same bytes every time it is signed. */
  function requestOf(ticket: Pick<KeyRequest, "ticketId" | "version">, signer: Uint8Array, modelId = published.chainModelId): ShareRelease {
    return signRelease(signer, custodyDomain(world.licensee.chain), { ticketId: ticket.ticketId, modelId: modelId.toString(), version: ticket.version });
  }

  /** POSTs a body as anyone could, and keeps the answer's exact text. */
  async function post(custodian: CustodianNode, body: unknown): Promise<{ status: number; text: string }> {
    const response = await fetch(`${custodian.api.url}/v1/custody/releases`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, text: await response.text() };
  }
  const codeOf = (answer: { text: string }) => (JSON.parse(answer.text) as { error?: { code?: string } }).error?.code;
  const logLines = async (custodian: CustodianNode, ticketId: Hex) =>
    (await readFile(join(custodian.dataDir, "custody", "redeemed.log"), "utf8")).split("\n").filter((l) => l.startsWith(`${ticketId.toLowerCase()} `));

  it("a third party replays the licensee's request to every custodian first: collectKey still gets the key, and the same bytes", async () => {
    const { ticket, recipient } = await ticketFor();
    const captured = requestOf(ticket, recipient.privateKey);
    assert.deepEqual(requestOf(ticket, recipient.privateKey), captured, "the licensee's request is deterministic: this is the bytes it sends");

    // The attacker gets answers it cannot open.
    const replayed = await Promise.all(world.custodians.map((c) => post(c!, captured)));
    assert.deepEqual(replayed.map((a) => a.status), [200, 200, 200]);
    const stranger = generateKeyPair();
    for (const answer of replayed) {
      const { wrappedShare } = JSON.parse(answer.text) as { wrappedShare: Hex };
      await assert.rejects(unwrapKey(stranger.privateKey, hexToBytes(wrappedShare), releaseContext(ticket.ticketId)));
    }

    // The licensee, afterwards, from every custodian (hedgeMs 0: it asks all three).
    const key = await collectKey({
      chain: world.licensee.chain, ticket, modelId: published.chainModelId, recipientPrivateKey: recipient.privateKey,
      keyCommitment: keyCommitment(), hedgeMs: 0, order: "listed",
    });
    assertBytes(key, published.key, "the licensee's key after the replay");

    // What the licensee gets is byte for byte what the attacker got, and opens to shares of the key.
    const own = await Promise.all(world.custodians.map((c) => post(c!, captured)));
    assert.deepEqual(own, replayed);
    const shares = await Promise.all(own.map((a) => unwrapKey(recipient.privateKey, hexToBytes((JSON.parse(a.text) as { wrappedShare: Hex }).wrappedShare), releaseContext(ticket.ticketId))));
    assertBytes(await combineShares(shares.slice(1)), published.key, "shares from the replayed answers");
    for (let i = 0; i < 3; i++) assert.equal((await logLines(node(i), ticket.ticketId)).length, 1, "one record per custodian");
  });

  it("after a custodian restart the same answer comes back", async () => {
    const { ticket, recipient } = await ticketFor();
    const request = requestOf(ticket, recipient.privateKey);
    const first = await post(node(0), request);
    assert.equal(first.status, 200);
    const restarted = await world.restartCustodian(0, await world.stopCustodian(0));
    assert.deepEqual(await post(restarted, request), first);
    const again = await world.restartCustodian(0, await world.stopCustodian(0));
    assert.deepEqual(await post(again, request), first);
    assert.equal((await logLines(again, ticket.ticketId)).length, 1);
  });

  it("20 concurrent identical requests: one wrap, the same bytes to all", async () => {
    const { ticket, recipient } = await ticketFor();
    const request = requestOf(ticket, recipient.privateKey);
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(node(1), request)));
    assert.deepEqual(answers.map((a) => a.status), Array<number>(20).fill(200));
    assert.equal(new Set(answers.map((a) => a.text)).size, 1, "one wrap (ECIES is randomised: two wraps never match)");
    assert.equal((await logLines(node(1), ticket.ticketId)).length, 1);
  });

  it("a repeat passes every check again: another signer, model or version, a revoked licence, an expired ticket", async () => {
    const licensed = await world.actor(13);
    await world.owner.chain.grant(published.chainModelId, licensed.identity.address);
    const { ticket, recipient } = await ticketFor(licensed);
    const request = requestOf(ticket, recipient.privateKey);
    assert.equal((await post(node(2), request)).status, 200);

    // Signed by a key that is not the ticket's: refused, nothing of the recorded answer leaves.
    const forged = await post(node(2), requestOf(ticket, generateKeyPair().privateKey));
    assert.equal(forged.status, 403);
    assert.equal(codeOf(forged), "WRONG_RECIPIENT");
    assert.doesNotMatch(forged.text, /wrappedShare/);
    assert.equal(codeOf(await post(node(2), requestOf(ticket, recipient.privateKey, published.chainModelId + 1n))), "WRONG_MODEL");
    assert.equal(codeOf(await post(node(2), requestOf({ ...ticket, version: 2 }, recipient.privateKey))), "WRONG_MODEL");

    await world.owner.chain.revoke(published.chainModelId, licensed.identity.address);
    assert.equal(codeOf(await post(node(2), request)), "LICENCE_NOT_LIVE");

    const late = await ticketFor();
    const lateRequest = requestOf(late.ticket, late.recipient.privateKey);
    assert.equal((await post(node(2), lateRequest)).status, 200);
    await world.connection.networkHelpers.time.increase(3601);
    assert.equal(codeOf(await post(node(2), lateRequest)), "TICKET_EXPIRED");
  });

  it("a ticket id the chain re-issues for another key (a reorganisation) never gets the old key's wrap", async () => {
    const snapshot = await world.connection.networkHelpers.takeSnapshot();
    const first = await ticketFor();
    assert.equal((await post(node(0), requestOf(first.ticket, first.recipient.privateKey))).status, 200);
    await snapshot.restore();
    const second = await ticketFor(); // the same licensee and nonce: the same ticket id, another key
    assert.equal(second.ticket.ticketId, first.ticket.ticketId);
    const request = requestOf(second.ticket, second.recipient.privateKey);

    const conflict = await post(node(0), request);
    assert.equal(conflict.status, 409);
    assert.equal(codeOf(conflict), "ALREADY_REDEEMED");
    // A custodian that had not answered the old ticket releases to the new key.
    const fresh = await post(node(1), request);
    assert.equal(fresh.status, 200);
    const { wrappedShare } = JSON.parse(fresh.text) as { wrappedShare: Hex };
    assert.equal((await unwrapKey(second.recipient.privateKey, hexToBytes(wrappedShare), releaseContext(second.ticket.ticketId))).length, 67);
  });
});

describe("custody: the release record on disk (share-store.ts, release-log.ts)", () => {
  const ticketAt = (i: number) => `0x${i.toString(16).padStart(64, "0")}` as Hex;
  const key = `0x02${"11".repeat(32)}` as Hex;
  const wrapped = () => `0x${randomBytes(128).toString("hex")}` as Hex;
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), "mv-releases-"))));
  afterEach(() => rm(dir, { recursive: true, force: true }));
  const logText = () => readFile(join(dir, "redeemed.log"), "utf8");

  it("one wrap per ticket for concurrent callers, the same record after a restart", async () => {
    const store = await ShareStore.open(dir);
    const now = Math.floor(Date.now() / 1000);
    let wraps = 0;
    const records = await Promise.all(
      Array.from({ length: 10 }, () => store.releaseOnce(ticketAt(1), { recipientKey: key, expiresAt: now + 60 }, () => (wraps++, wrapped()))),
    );
    assert.equal(wraps, 1);
    assert.equal(new Set(records.map((r) => r.wrappedShare)).size, 1);
    await assert.rejects(store.releaseOnce("0x1234" as Hex, { recipientKey: key, expiresAt: now }, wrapped), /32 bytes/);
    await store.close();

    const reopened = await ShareStore.open(dir);
    const again = await reopened.releaseOnce(ticketAt(1), { recipientKey: key, expiresAt: now + 60 }, () => assert.fail("wrapped twice"));
    assert.deepEqual(again, records[0]);
    await reopened.close();
    assert.equal((await logText()).split("\n").length, 2, "one line and its newline");
  });

  it("a torn last line and the old one-id-per-line format are dropped, and the file is rewritten clean", async () => {
    const now = Math.floor(Date.now() / 1000);
    const store = await ShareStore.open(dir);
    const kept = await store.releaseOnce(ticketAt(2), { recipientKey: key, expiresAt: now + 60 }, wrapped);
    await store.close();
    const line = (await logText()).trim();
    await writeFile(join(dir, "redeemed.log"), `${ticketAt(3)}\n${line}\n${line.slice(0, 100)}`);
    await writeFile(join(dir, "redeemed.log.tmp-1-abc"), "left by a crash mid-rewrite");

    const reopened = await ShareStore.open(dir);
    assert.deepEqual(reopened.released(ticketAt(2)), kept);
    assert.equal(reopened.released(ticketAt(3)), undefined, "an old-format line holds no answer: the ticket may be wrapped anew");
    await reopened.close();
    assert.equal(await logText(), `${line}\n`);
    assert.deepEqual((await readdir(dir)).sort(), ["redeemed.log", "shares"]);
  });

  it("records of tickets expired past the margin leave memory and the file (bounded)", async () => {
    let clock = 1_000_000;
    const store = await ShareStore.open(dir, { now: () => clock });
    for (let i = 0; i < 1100; i++) await store.releaseOnce(ticketAt(100 + i), { recipientKey: key, expiresAt: clock + 10 }, wrapped);
    const live = await store.releaseOnce(ticketAt(5), { recipientKey: key, expiresAt: clock + 10_000 }, wrapped);
    clock += 10 + RETAIN_AFTER_EXPIRY_S + 61; // the next release sweeps
    await store.releaseOnce(ticketAt(6), { recipientKey: key, expiresAt: clock + 10 }, wrapped);
    assert.equal(store.released(ticketAt(100)), undefined);
    assert.deepEqual(store.released(ticketAt(5)), live);
    await store.close();
    assert.equal((await logText()).split("\n").length - 1, 2, "the mostly dead file was rewritten");

    clock += 20_000;
    const later = await ShareStore.open(dir, { now: () => clock });
    assert.equal(later.released(ticketAt(5)), undefined, "dropped at open once expired");
    await later.close();
    assert.equal(await logText(), "");
  });
});
