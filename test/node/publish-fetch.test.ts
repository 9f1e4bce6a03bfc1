import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as dagPb from "@ipld/dag-pb";
import { CID } from "multiformats/cid";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { generateContentKey, HEADER_LENGTH, WrongKeyError } from "../../crypto/index.js";
import { ContentNotFoundError, InvalidManifestError } from "../../node/errors.js";
import { fetchModel, fetchModelToFile, fetchRange, readManifest } from "../../node/models/fetch.js";
import { publish } from "../../node/models/publish.js";
import { assertBytes, chunked, collect } from "../helpers/bytes.js";
import { PeerFixture } from "./helpers.js";

const owner = privateKeyToAccount(generatePrivateKey());
const SEGMENT = 64 * 1024 - 16; // 64 KiB frames keep the tests light

describe("node: publish and fetch across real peers", function () {
  this.timeout(120_000);
  const fixture = new PeerFixture();
  after(() => fixture.cleanup());

  const model = randomBytes(20 * SEGMENT + 12345);
  let published: Awaited<ReturnType<typeof publish>>;
  let a: Awaited<ReturnType<PeerFixture["start"]>>;

  before(async () => {
    a = await fixture.start();
    let progressCalls = 0;
    published = await publish(a, chunked(model, [100_000]), {
      owner,
      segmentSize: SEGMENT,
      name: "test model",
      onProgress: () => progressCalls++,
    });
    assert.ok(progressCalls > 20);
  });

  it("publishes one frame per raw leaf and a signed manifest, pinned", async () => {
    const { manifest } = published.signed;
    assert.equal(manifest.plaintextSize, model.length);
    assert.equal(manifest.sealedSize, HEADER_LENGTH + model.length + 21 * 16);
    assert.equal(Number((await a.fs.stat(published.contentCid)).size), manifest.sealedSize);
    assert.ok(await a.helia.pins.isPinned(published.manifestCid));
    // Leaf 0 is the header; then one raw leaf per frame, each segmentSize + 16 bytes.
    const root = dagPb.decode(await collect(a.helia.blockstore.get(published.contentCid)));
    const sizes = root.Links.map((link) => link.Tsize);
    assert.deepEqual(sizes, [HEADER_LENGTH, ...Array(20).fill(SEGMENT + 16), 12345 + 16]);
    assert.ok(root.Links.every((link) => link.Hash.code === 0x55), "raw leaves");
  });

  it("peer B fetches over bitswap and decrypts to the same bytes; C fetches from B alone", async () => {
    const b = await fixture.start({ peers: a.addresses.map(String) });
    const got = await collect(fetchModel(b, published.manifestCid, { key: published.key, expectedOwner: owner.address, timeoutMs: 20_000 }));
    assertBytes(got, model, "fetched model");

    // A leaves; C knows only B, which now holds every block it fetched.
    await fixture.stop(a);
    const c = await fixture.start({ peers: b.addresses.map(String) });
    const path = join(await fixture.dataDir(), "model.bin");
    await fetchModelToFile(c, published.manifestCid.toString(), path, { key: published.key, timeoutMs: 20_000 });
    assertBytes(await readFile(path), model, "file fetched from B");
  });
});

describe("node: fetch errors and ranges", function () {
  this.timeout(120_000);
  const fixture = new PeerFixture();
  after(() => fixture.cleanup());
  const model = randomBytes(10 * SEGMENT + 777);
  let a: Awaited<ReturnType<PeerFixture["start"]>>;
  let b: Awaited<ReturnType<PeerFixture["start"]>>;
  let published: Awaited<ReturnType<typeof publish>>;

  before(async () => {
    a = await fixture.start();
    b = await fixture.start({ peers: a.addresses.map(String) });
    published = await publish(a, [model], { owner, segmentSize: SEGMENT });
  });

  it("a byte range fetches and decrypts only the frames it needs", async () => {
    const start = 3 * SEGMENT + 10;
    const end = 5 * SEGMENT + 20;
    const got = await collect(fetchRange(b, published.manifestCid, start, end, { key: published.key, timeoutMs: 20_000 }));
    assertBytes(got, model.subarray(start, end));
    // B now holds the manifest, the header leaf and frames 3..5, not the rest.
    const frame8 = await collect(b.fs.cat(published.contentCid, { offset: HEADER_LENGTH + 8 * (SEGMENT + 16), length: 10, offline: true })).then(
      () => "present",
      () => "absent",
    );
    assert.equal(frame8, "absent");
  });

  it("a wrong key fails with WrongKeyError before any content is fetched", async () => {
    await assert.rejects(collect(fetchModel(b, published.manifestCid, { key: generateContentKey(), timeoutMs: 20_000 })), WrongKeyError);
  });

  it("a manifest from another signer than the expected owner is refused", async () => {
    const stranger = privateKeyToAccount(generatePrivateKey());
    await assert.rejects(readManifest(b, published.manifestCid, { expectedOwner: stranger.address }), InvalidManifestError);
    await assert.rejects(readManifest(b, "not-a-cid"), InvalidManifestError);
  });

  it("a CID no peer has fails with ContentNotFoundError after the timeout", async () => {
    const missing = CID.parse("bagaaierasords4njcts6vs7qvdjfcvgnume4hqohf65zsfguprqphs3icwea");
    const started = Date.now();
    await assert.rejects(readManifest(b, missing, { timeoutMs: 500 }), ContentNotFoundError);
    assert.ok(Date.now() - started < 10_000);
  });
});

describe("node: the manifest commits the storage-challenge root", function () {
  this.timeout(60_000);
  const fixture = new PeerFixture();
  after(() => fixture.cleanup());

  it("equals the contracts' reference tree over the sealed bytes", async () => {
    const { buildStorageTree, storageSegments } = await import("../../contracts/storage-proof.js");
    const peer = await fixture.start();
    const published = await publish(peer, [randomBytes(5000)], { owner, segmentSize: 1000 });
    const sealed = await collect(peer.fs.cat(published.contentCid));
    assert.equal(published.signed.manifest.storage.root, buildStorageTree(storageSegments(sealed)).root);
    assert.equal(published.signed.manifest.storage.segmentSize, 4096);
  });
});
