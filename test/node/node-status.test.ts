import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { hexToBytes } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { identityFromPrivateKey } from "../../crypto/index.js";
import { run } from "../../node/cli/index.js";
import { publish, type PublishResult } from "../../node/models/publish.js";
import { startApi, type RunningApi } from "../../node/http/server.js";
import { addPin } from "../../node/storage/pins.js";
import type { StoragePeer } from "../../node/storage/storage-peer.js";
import { MemoryIo } from "./fixtures/cli.js";
import { statusOf, type StatusBody } from "./fixtures/status.js";
import { PeerFixture } from "./helpers.js";

const identity = identityFromPrivateKey(hexToBytes(generatePrivateKey()));

describe("GET /v1/status (real Helia peers on 127.0.0.1, no chain)", function () {
  this.timeout(60_000);
  const fixture = new PeerFixture();
  let server: StoragePeer;
  let other: StoragePeer;
  let api: RunningApi;
  let published: PublishResult;
  const SIZE = 600 * 1024;

  before(async () => {
    server = await fixture.start();
    other = await fixture.start();
    api = await startApi({ peer: server, identity, host: "127.0.0.1", status: { pinsTtlMs: 0 } });
    published = await publish(server, [randomBytes(SIZE)], { owner: identity.account, segmentSize: 64 * 1024 - 16 });
  });
  after(async () => {
    await api?.close();
    await fixture.cleanup();
  });

  it("without a chain: storage, pins, version and uptime; stake, challenges and shares null with why", async () => {
    const status = await statusOf(api);
    assert.match(status.version, /^\d+\.\d+\.\d+/);
    assert.equal(status.peerId, server.peerId);
    assert.ok(status.uptimeS >= 0);
    assert.equal(status.chain, null);
    assert.deepEqual(status.peers, { count: 0, connected: [], truncated: false });
    assert.equal(status.pins.count, 1, "the published manifest is the one pin root");
    assert.ok(status.storage.blockstore.bytes > SIZE, `blockstore holds the sealed model: ${status.storage.blockstore.bytes}`);
    assert.ok(status.storage.blockstore.files >= SIZE / (64 * 1024));
    assert.ok(status.storage.datastore.files > 0, "the pin records");
    assert.ok(status.storage.filesystem === null || status.storage.filesystem.sizeBytes > 0);
    assert.equal(status.storage.limits, null);
    assert.deepEqual([status.stake, status.challenges, status.shares], [null, null, null]);
    for (const field of ["stake", "challenges", "shares"] as const) assert.equal(status.unavailable[field]?.code, "NO_CHAIN", field);
    assert.deepEqual(status.transfer.today.out, { bitswap: 0, gateway: 0, total: 0 });
    assert.deepEqual(status.transfer.rates.out, { last10s: 0, last60s: 0 });
  });

  it("a connected peer is listed with its address; what it fetches over bitswap raises the out totals and rates", async () => {
    await other.dial(server.addresses[0]!);
    let status = await statusOf(api);
    assert.equal(status.peers.count, 1);
    assert.equal(status.peers.connected[0]!.peerId, other.peerId);
    assert.match(status.peers.connected[0]!.addresses[0]!, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+/);

    await addPin(other, published.manifestCid);
    status = await statusOf(api);
    const out = status.transfer.today.out;
    assert.ok(out.bitswap > SIZE, `served over bitswap: ${out.bitswap}`);
    assert.equal(out.total, out.bitswap + out.gateway);
    assert.ok(status.transfer.rates.out.last10s >= out.bitswap / 10 - 1, "all of it within the last 10 s");
    assert.ok(Math.abs(status.transfer.rates.out.last60s * 6 - status.transfer.rates.out.last10s) < 1);
    assert.deepEqual(status.transfer.sinceStart.out, out);
    // The fetching side counts the same bytes in.
    const fetched = other.transfer.snapshot();
    assert.ok(fetched.today.in.bitswap >= out.bitswap * 0.99 && fetched.today.in.bitswap <= out.bitswap, `${fetched.today.in.bitswap} in, ${out.bitswap} out`);
    assert.equal(fetched.today.out.total, 0);
  });

  it("a raw block and a CAR served over the gateway count as gateway out", async () => {
    const before = (await statusOf(api)).transfer.today.out.gateway;
    const raw = await fetch(`${api.url}/ipfs/${published.manifestCid}?format=raw`);
    const rawBytes = (await raw.arrayBuffer()).byteLength;
    assert.equal(raw.status, 200);
    const car = await fetch(`${api.url}/ipfs/${published.contentCid}?format=car`);
    const carBytes = (await car.arrayBuffer()).byteLength;
    assert.equal(car.status, 200);
    const after = (await statusOf(api)).transfer.today.out.gateway;
    assert.equal(after - before, rawBytes + carBytes);
    await fetch(`${api.url}/ipfs/${published.manifestCid}?format=raw`, { method: "HEAD" });
    assert.equal((await statusOf(api)).transfer.today.out.gateway, after, "a HEAD sends no body");
  });

  it("reflects a pin added and removed through the API", async () => {
    const extra = await publish(other, [randomBytes(20_000)], { owner: identity.account });
    const pinned = await fetch(`${api.url}/v1/pins/${extra.manifestCid}`, { method: "POST" });
    assert.equal(pinned.status, 201);
    assert.equal((await statusOf(api)).pins.count, 2);
    assert.equal((await fetch(`${api.url}/v1/pins/${extra.manifestCid}`, { method: "DELETE" })).status, 200);
    assert.equal((await statusOf(api)).pins.count, 1);
  });

  it("is for the node's own origin: no CORS grant for other pages, and pin changes from them are refused", async () => {
    const evil = { origin: "https://evil.example" };
    const read = await fetch(`${api.url}/v1/status`, { headers: evil });
    assert.equal(read.headers.get("access-control-allow-origin"), null, "a page of another origin cannot read it");
    const preflight = await fetch(`${api.url}/v1/status`, { method: "OPTIONS", headers: { ...evil, "access-control-request-method": "GET" } });
    assert.equal(preflight.headers.get("access-control-allow-origin"), null);
    const own = await fetch(`${api.url}/v1/status`, { headers: { origin: api.url } });
    assert.equal(own.status, 200);
    for (const method of ["POST", "DELETE"]) {
      const refused = await fetch(`${api.url}/v1/pins/${published.manifestCid}`, { method, headers: evil });
      assert.equal(refused.status, 403, method);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "CROSS_ORIGIN_REFUSED");
    }
    assert.equal((await statusOf(api)).pins.count, 1, "the pin is still there");
    assert.equal((await fetch(`${api.url}/v1/status?x=1`)).status, 400);
  });

  it("modelvault node status: a readable table, or the answer itself with --json", async () => {
    const text = new MemoryIo({});
    assert.equal(await run(["node", "status", "--api", api.url], text), 0, text.err);
    assert.match(text.out, new RegExp(`peer id\\s+${server.peerId}`));
    assert.match(text.out, /peers\s+1 connected/);
    assert.match(text.out, /pins\s+1 roots/);
    assert.match(text.out, /stake\s+- \(this node runs without a chain/);
    assert.match(text.out, /transfer out\s+.*bitswap \d/);
    const json = new MemoryIo({});
    assert.equal(await run(["node", "status", "--api", api.url, "--json"], json), 0, json.err);
    const status = json.json<StatusBody>();
    assert.equal(status.peerId, server.peerId);
    assert.equal(status.pins.count, 1);
    const down = new MemoryIo({});
    assert.equal(await run(["node", "status", "--api", "http://127.0.0.1:9", "--json"], down), 1);
    assert.match(down.err, /API_UNREACHABLE/);
  });
});
