import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { fetchModel } from "../../node/models/fetch.js";
import { addPin, listPins, removePin } from "../../node/storage/pins.js";
import { publish } from "../../node/models/publish.js";
import { assertBytes, collect } from "../helpers/bytes.js";
import { PeerFixture } from "./helpers.js";

const owner = privateKeyToAccount(generatePrivateKey());
const SEGMENT = 16 * 1024 - 16;

describe("node: pins hold across gc and restart", function () {
  this.timeout(60_000);
  const fixture = new PeerFixture();
  after(() => fixture.cleanup());

  it("gc removes unpinned blocks only; a restart keeps the peer id, the pins and the content", async () => {
    const dataDir = await fixture.dataDir();
    const model = randomBytes(7 * SEGMENT + 99);
    let peer = await fixture.start({ dataDir });
    const peerId = peer.peerId;
    const published = await publish(peer, [model], { owner, segmentSize: SEGMENT });
    const loose = await peer.fs.addBytes(randomBytes(5000), { rawLeaves: true });
    assert.ok(await peer.helia.blockstore.has(loose));

    await peer.helia.gc();
    assert.equal(await peer.helia.blockstore.has(loose), false, "unpinned block survived gc");
    assert.ok(await peer.helia.blockstore.has(published.contentCid), "pinned content removed by gc");

    await fixture.stop(peer);
    peer = await fixture.start({ dataDir });
    assert.equal(peer.peerId, peerId);
    assert.deepEqual((await listPins(peer)).map((p) => p.cid), [published.manifestCid.toString()]);
    await peer.helia.gc();
    // No peers are connected: everything must come from the local blockstore.
    const got = await collect(fetchModel(peer, published.manifestCid, { key: published.key, timeoutMs: 2000 }));
    assertBytes(got, model);
  });

  it("pin add/remove are idempotent, and an unpinned model is collected", async () => {
    const peer = await fixture.start();
    const published = await publish(peer, [randomBytes(3 * SEGMENT)], { owner, segmentSize: SEGMENT });
    await addPin(peer, published.manifestCid);
    assert.equal((await listPins(peer)).length, 1);
    await removePin(peer, published.manifestCid);
    await removePin(peer, published.manifestCid);
    assert.equal((await listPins(peer)).length, 0);
    await peer.helia.gc();
    assert.equal(await peer.helia.blockstore.has(published.contentCid), false);
  });
});
