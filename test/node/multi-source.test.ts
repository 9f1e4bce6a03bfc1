import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { readFile, stat, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import * as dagPb from "@ipld/dag-pb";
import { NextToLast } from "blockstore-fs/sharding";
import type { CID } from "multiformats/cid";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { SOURCE_CONCURRENCY } from "../../node/storage/block-fetcher.js";
import { fetchModel, fetchModelToFile } from "../../node/models/fetch.js";
import { publish, type PublishResult } from "../../node/models/publish.js";
import { addPin } from "../../node/storage/pins.js";
import type { StoragePeer } from "../../node/storage/storage-peer.js";
import { PeerFixture } from "./helpers.js";

const SEGMENT = 64 * 1024;
const owner = privateKeyToAccount(generatePrivateKey());

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

/** A gateway that answers every /ipfs/ request with random bytes of a plausible size. */
async function lyingGateway(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server: Server = createServer((request, response) => {
    requests++;
    response.writeHead(200, { "content-type": "application/vnd.ipld.raw" });
    response.end(randomBytes(SEGMENT + 16));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests: () => requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Every block of a published model: manifest, content root, leaves. */
async function blocksOf(peer: StoragePeer, published: PublishResult): Promise<CID[]> {
  const parts: Uint8Array[] = [];
  for await (const part of peer.helia.blockstore.get(published.contentCid)) parts.push(part);
  const root = dagPb.decode(Buffer.concat(parts));
  return [published.manifestCid, published.contentCid, ...root.Links.map((link) => link.Hash)];
}

describe("node: fetching from many sources at once", function () {
  this.timeout(120_000);
  const fixture = new PeerFixture();
  const data = randomBytes(48 * SEGMENT + 123); // 49 segments: 50 leaves with the header
  let a: StoragePeer;
  let b: StoragePeer;
  let c: StoragePeer;
  let published: PublishResult;

  before(async () => {
    a = await fixture.start();
    published = await publish(a, [data], { owner, segmentSize: SEGMENT });
    // B and C each take a full copy from A, as custodians do when they accept a share.
    b = await fixture.start({ peers: a.addresses.map(String) });
    c = await fixture.start({ peers: a.addresses.map(String) });
    await Promise.all([addPin(b, published.manifestCid), addPin(c, published.manifestCid)]);
  });
  after(() => fixture.cleanup());

  it("pinning remote content brings every block into the blockstore", async () => {
    for (const peer of [b, c]) {
      const session = peer.session({ offline: true });
      const got = await collect(fetchModel(peer, published.manifestCid, { key: published.key, session }));
      session.close();
      assert.ok(got.equals(data), "an offline read of the pinned copy gives the model");
    }
  });

  it("different leaves come from different peers, and the bytes are exact", async () => {
    const d = await fixture.start({ peers: [a, b, c].map((p) => p.addresses[0]!.toString()) });
    const session = d.session();
    const got = await collect(fetchModel(d, published.manifestCid, { key: published.key, session, timeoutMs: 20_000 }));
    const { stats } = session;
    session.close();
    assert.ok(got.equals(data));
    const served = Object.entries(stats.sources).filter(([, s]) => s.blocks > 0);
    assert.equal(served.length, 3, `all three peers served leaves: ${JSON.stringify(stats.sources)}`);
    const total = served.reduce((sum, [, s]) => sum + s.blocks, 0);
    assert.equal(total, stats.networkBlocks, "each block came once: no block was fetched from two sources");
    assert.equal(stats.networkBlocks, 52, "the manifest, the root and 50 leaves came over the network, once each");
  });

  it("a gateway that sends wrong blocks is dropped for the fetch, and the fetch completes from the peers", async () => {
    const liar = await lyingGateway();
    try {
      const d = await fixture.start({ peers: [b.addresses[0]!.toString()], gateways: [liar.url] });
      const session = d.session();
      const got = await collect(fetchModel(d, published.manifestCid, { key: published.key, session, timeoutMs: 20_000 }));
      const { stats } = session;
      session.close();
      assert.ok(got.equals(data));
      const gateway = stats.sources[`gateway:${liar.url}`];
      assert.ok(gateway !== undefined && gateway.dropped, `the gateway was dropped: ${JSON.stringify(stats.sources)}`);
      assert.equal(gateway.blocks, 0, "nothing it sent was used");
      // It got at most one window of requests before its first lie came back, and none after.
      assert.equal(liar.requests(), gateway.failures);
      assert.ok(liar.requests() <= SOURCE_CONCURRENCY.gateway, `${liar.requests()} requests`);
    } finally {
      await liar.close();
    }
  });

  it("a peer whose blocks are corrupted is routed around over bitswap: its wrong blocks are never used", async () => {
    // E holds a copy whose leaves are damaged on disk; bitswap names a received block by its
    // hash, so a damaged leaf never answers our want and the fetch takes it from B.
    const dirE = await fixture.dataDir();
    const e = await fixture.start({ dataDir: dirE, peers: [b.addresses[0]!.toString()] });
    await addPin(e, published.manifestCid);
    const leaves = (await blocksOf(b, published)).slice(2);
    const damaged = leaves.filter((_, i) => i % 3 === 0);
    for (const cid of damaged) {
      const { dir, file } = new NextToLast().encode(cid);
      const path = join(dirE, "blocks", dir, file);
      const bytes = await readFile(path);
      bytes[bytes.length - 1]! ^= 0xff;
      await writeFile(path, bytes);
    }
    const d = await fixture.start({ peers: [e, b].map((p) => p.addresses[0]!.toString()) });
    const session = d.session();
    const got = await collect(fetchModel(d, published.manifestCid, { key: published.key, session, timeoutMs: 30_000 }));
    const { stats } = session;
    session.close();
    assert.ok(got.equals(data), "exactly the model, although E sent damaged leaves");
    const fromE = stats.sources[`bitswap:${e.peerId}`]!;
    const fromB = stats.sources[`bitswap:${b.peerId}`]!;
    assert.ok(fromB.blocks >= damaged.length, `B served at least the ${damaged.length} leaves E has damaged: ${JSON.stringify(stats.sources)}`);
    assert.ok(fromE.blocks <= leaves.length + 2 - damaged.length, "no block E damaged was taken from E");
    for (const cid of damaged) assert.ok(await d.helia.blockstore.has(cid), `D stored the good ${cid}`);
  });

  it("an interrupted fetch resumes: what is in the blockstore is not fetched again, the file appears only whole", async () => {
    const d = await fixture.start({ peers: [b.addresses[0]!.toString()] });
    const path = join(await fixture.dataDir(), "model.bin");
    const halfway = new AbortController();
    const first = d.session();
    await assert.rejects(
      fetchModelToFile(d, published.manifestCid, path, {
        key: published.key,
        session: first,
        readAhead: 4,
        signal: halfway.signal,
        onProgress: ({ plaintextBytes }) => plaintextBytes >= data.length / 2 && halfway.abort(new Error("stopped halfway")),
      }),
      /stopped halfway/,
    );
    first.close();
    await assert.rejects(stat(path), { code: "ENOENT" });
    await assert.rejects(stat(`${path}.partial`), { code: "ENOENT" }, "the partial file is removed");
    const all = await blocksOf(a, published);
    const kept = (await Promise.all(all.map((cid) => d.helia.blockstore.has(cid)))).filter(Boolean).length;
    assert.ok(kept > 20 && kept < all.length, `the first run left part of the model (${kept} of ${all.length} blocks)`);
    assert.ok(first.stats.networkBlocks - kept <= 4, "at most the read-ahead window was in flight and lost");

    const second = d.session();
    const { stats } = await fetchModelToFile(d, published.manifestCid, path, { key: published.key, session: second });
    second.close();
    assert.ok((await readFile(path)).equals(data));
    assert.equal(stats.networkBlocks, all.length - kept, "exactly the blocks that were missing came over the network");
  });
});
