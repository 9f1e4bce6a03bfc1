/**
 * Release limits (node/custody/release-limits.ts): one licensee or one client address flooding a
 * custodian is refused with 429 RATE_LIMITED and Retry-After, the others are still served, and
 * nobody can spend a licensee's allowance without its recipient key. Real custodians and
 * Hardhat's EVM for the HTTP half.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { generateKeyPair } from "../../crypto/index.js";
import { custodyDomain } from "../../node/custody/custodian.js";
import { publishWithCustody, type CustodyPublishResult } from "../../node/custody/owner.js";
import { signRelease } from "../../node/custody/protocol.js";
import { RateLimitedError, ReleaseLimits, TokenBuckets } from "../../node/custody/release-limits.js";
import { loadConfig } from "../../node/config.js";
import { CustodyWorld, type Actor } from "./fixtures/custody.js";

describe("custody: token buckets", () => {
  it("allows the burst, then the rate; answers the whole seconds until the next token", () => {
    let now = 0;
    const buckets = new TokenBuckets({ perSecond: 2, burst: 3 }, { now: () => now });
    assert.deepEqual([1, 2, 3, 4].map(() => buckets.take("a")), [0, 0, 0, 1]);
    assert.equal(buckets.take("b"), 0, "another key has its own bucket");
    now += 500; // one token back
    assert.equal(buckets.take("a"), 0);
    assert.equal(buckets.take("a"), 1);
    now += 10_000;
    assert.deepEqual([1, 2, 3, 4].map(() => buckets.take("a")), [0, 0, 0, 1], "refilled to the burst, not beyond");
  });

  it("a slow rate answers a longer Retry-After; perSecond 0 is no limit", () => {
    const slow = new TokenBuckets({ perSecond: 0.1, burst: 1 }, { now: () => 0 });
    assert.equal(slow.take("a"), 0);
    assert.equal(slow.take("a"), 10);
    const off = new TokenBuckets({ perSecond: 0, burst: 1 });
    for (let i = 0; i < 100; i++) assert.equal(off.take("a"), 0);
  });

  it("tracks at most maxTracked keys (the least recently used leaves, full)", () => {
    const buckets = new TokenBuckets({ perSecond: 1, burst: 1 }, { maxTracked: 100, now: () => 0 });
    for (let i = 0; i < 1000; i++) buckets.take(`k${i}`);
    assert.equal(buckets.size, 100);
    assert.equal(buckets.take("k999"), 1, "a recent key keeps its state");
    assert.equal(buckets.take("k0"), 0, "an evicted key comes back full");
  });

  it("ReleaseLimits throws RateLimitedError with its code and wait", () => {
    const limits = new ReleaseLimits({ licensee: { perSecond: 1, burst: 1 }, client: { perSecond: 1, burst: 1 } }, { now: () => 0 });
    limits.licensee("0xAbC");
    assert.throws(() => limits.licensee("0xabc"), (e: unknown) => e instanceof RateLimitedError && e.code === "RATE_LIMITED" && e.retryAfterS === 1);
    limits.client("127.0.0.1");
    assert.throws(() => limits.client("127.0.0.1"), RateLimitedError);
  });

  it("the limits are configured in the config file or the environment", async () => {
    const config = await loadConfig({ env: { MODELVAULT_DATA_DIR: "/nonexistent-mv", MODELVAULT_RELEASE_LIMIT_LICENSEE: "5/10", MODELVAULT_TICKET_INDEX: "0" } });
    assert.deepEqual(config.custody.licenseeLimit, { perSecond: 5, burst: 10 });
    assert.deepEqual(config.custody.clientLimit, { perSecond: 500, burst: 1000 }, "the default");
    assert.equal(config.custody.ticketIndex, false);
    await assert.rejects(loadConfig({ env: { MODELVAULT_DATA_DIR: "/nonexistent-mv", MODELVAULT_RELEASE_LIMIT_CLIENT: "fast" } }), /custody\.clientLimit \(from environment\)/);
  });
});

describe("custody: release limits over HTTP (real custodians, Hardhat EVM)", function () {
  this.timeout(120_000);
  let world: CustodyWorld;
  let published: CustodyPublishResult;
  before(async () => {
    world = await CustodyWorld.create({
      custodians: 2, index: {}, limits: { licensee: { perSecond: 1, burst: 3 }, client: { perSecond: 5, burst: 40 } },
    });
    published = await publishWithCustody(world.owner.peer, [randomBytes(20_000)], {
      owner: world.owner.identity.account, chain: world.owner.chain, custodians: world.custodianAddresses, threshold: 2,
      terms: { price: 10n ** 15n, duration: 0, maxUses: 0, minStake: 0n, carryOver: false }, segmentSize: 64 * 1024,
    });
  });
  after(() => world?.cleanup());

  async function signedTicket(who: Actor, signer?: Uint8Array) {
    const recipient = generateKeyPair();
    const ticket = await who.chain.requestKey(published.chainModelId, recipient.publicKey);
    const body = { ticketId: ticket.ticketId, modelId: published.chainModelId.toString(), version: ticket.version };
    return signRelease(signer ?? recipient.privateKey, custodyDomain(who.chain), body);
  }
  async function post(body: unknown) {
    const response = await fetch(`${world.custodians[0]!.api.url}/v1/custody/releases`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000),
    });
    const json = (await response.json()) as { error?: { code?: string } };
    return { status: response.status, code: json.error?.code ?? "RELEASED", retryAfter: response.headers.get("retry-after") };
  }

  it("one licensee's flood is refused with 429 and Retry-After; another licensee is served; forged requests spend nobody's allowance", async () => {
    const flooder = await world.actor(10);
    const other = await world.actor(11);
    for (const who of [flooder, other]) await world.owner.chain.grant(published.chainModelId, who.identity.address);
    const flood = await signedTicket(flooder);
    const forged = await signedTicket(other, generateKeyPair().privateKey);
    const honest = await signedTicket(other);
    await new Promise((r) => setTimeout(r, 200)); // the index sees the tickets (either way the answers are the same)

    const answers = await Promise.all(Array.from({ length: 10 }, () => post(flood)));
    assert.equal(answers.filter((a) => a.code === "RELEASED").length, 3, "the burst");
    const refused = answers.filter((a) => a.status === 429);
    assert.equal(refused.length, 7);
    for (const a of refused) {
      assert.equal(a.code, "RATE_LIMITED");
      assert.equal(a.retryAfter, "1");
    }
    for (let i = 0; i < 5; i++) assert.equal((await post(forged)).code, "WRONG_RECIPIENT", "refused for its signature, not counted");
    assert.equal((await post(honest)).code, "RELEASED", "the other licensee's allowance is whole");
  });

  it("a client address over its limit is refused before its body is read", async () => {
    await new Promise((r) => setTimeout(r, 8_000)); // the previous test's requests are paid back (5/s, burst 40)
    const answers = await Promise.all(Array.from({ length: 60 }, () => post("not even a release")));
    const refused = answers.filter((a) => a.status === 429);
    assert.ok(refused.length >= 15, `${refused.length} refused`);
    assert.ok(refused.every((a) => a.code === "RATE_LIMITED" && Number(a.retryAfter) >= 1));
    assert.ok(answers.filter((a) => a.status === 400).length <= 40, "at most the burst got as far as parsing");
  });
});
