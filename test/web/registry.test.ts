/** The registry's pure parts, in Node: search over listed models, paging, the route's search state, terms in words. */
import assert from "node:assert/strict";
import type { Address } from "viem";
import { matchesQuery, pageOf, registryPath, registryQuery } from "../../web/registry/search.js";
import { termsText } from "../../web/registry/terms.js";
import { formatTime } from "../../web/ui/format.js";

const model = (modelId: bigint, name: string | null, owner: Address) => ({ modelId, name, owner });
const alice = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as Address;
const bob = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" as Address;

describe("web: registry search, paging and terms", () => {
  it("matches by id exactly, by any part of the name, and by the owner's address", () => {
    const m = model(12n, "Llama 3 Tiny", alice);
    assert.ok(matchesQuery(m, ""));
    assert.ok(matchesQuery(m, "  "));
    assert.ok(matchesQuery(m, "12"));
    assert.ok(matchesQuery(m, "#12"));
    assert.ok(!matchesQuery(m, "1"), "an id is matched exactly");
    assert.ok(matchesQuery(m, "3"), "digits still match the name");
    assert.ok(matchesQuery(m, "llama"));
    assert.ok(matchesQuery(m, "TINY"));
    assert.ok(matchesQuery(m, alice));
    assert.ok(matchesQuery(m, alice.toLowerCase()));
    assert.ok(matchesQuery(m, "0x7099"), "0x… is an owner prefix");
    assert.ok(!matchesQuery(m, "0x79C8"), "not a prefix");
    assert.ok(matchesQuery(m, "c51812dc"), "8 hex digits anywhere in the owner");
    assert.ok(!matchesQuery(m, "c518"), "fewer hex digits would match nearly every address");
    assert.ok(!matchesQuery(m, bob));
    assert.ok(!matchesQuery(model(3n, null, bob), "llama"), "an unnamed model matches by id or owner only");
    assert.ok(matchesQuery(model(3n, null, bob), "#3"));
  });

  it("pages rows, clamping pages out of range", () => {
    const rows = Array.from({ length: 60 }, (_, i) => i + 1);
    assert.deepEqual({ ...pageOf(rows, 1), rows: undefined }, { rows: undefined, page: 1, pages: 3, first: 1, last: 25 });
    assert.deepEqual(pageOf(rows, 3).rows, rows.slice(50));
    assert.equal(pageOf(rows, 3).first, 51);
    assert.equal(pageOf(rows, 9).page, 3);
    assert.equal(pageOf(rows, 0).page, 1);
    assert.equal(pageOf(rows, Number.NaN).page, 1);
    assert.deepEqual(pageOf([], 2), { rows: [], page: 1, pages: 1, first: 0, last: 0 });
  });

  it("keeps the search state in the route", () => {
    assert.deepEqual(registryQuery("/"), { q: "", page: 1 });
    assert.deepEqual(registryQuery("/?q=llama%203&page=2"), { q: "llama 3", page: 2 });
    assert.deepEqual(registryQuery("/?page=-1"), { q: "", page: 1 });
    assert.deepEqual(registryQuery("/?page=2.5"), { q: "", page: 1 });
    assert.equal(registryPath({ q: "", page: 1 }), "/");
    assert.equal(registryPath({ q: "llama 3", page: 2 }), "/?q=llama+3&page=2");
    assert.deepEqual(registryQuery(registryPath({ q: "a&b=c", page: 3 })), { q: "a&b=c", page: 3 });
  });

  it("says the licence terms in words, and chain times in UTC", () => {
    assert.equal(formatTime(0), "1970-01-01 00:00:00 UTC");
    assert.equal(formatTime(1_796_112_000n), "2026-12-01 08:00:00 UTC");
    assert.equal(termsText({ price: 1n, duration: 0, maxUses: 0, minStake: 0n, carryOver: false }), "no expiry, unlimited uses");
    assert.equal(termsText({ price: 1n, duration: 86_400 * 30, maxUses: 10, minStake: 10n ** 17n, carryOver: true }), "30 d, 10 uses, stake 0.1 ETH, carries over");
  });
});
