/**
 * publish's pipeline (sealed-leaves.ts: frames sealed and hashed on worker threads, written from
 * shared memory, the storage tree fed in batches) against the straightforward reference path:
 * crypto's seal() over the same key, model id and nonce prefix, imported with the stock UnixFS
 * importer into a memory blockstore, and the contracts' reference storage tree. Any change of
 * bytes, CIDs, layout or tree fails here.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { MemoryBlockstore } from "blockstore-core/memory";
import { importer } from "ipfs-unixfs-importer";
import { balanced } from "ipfs-unixfs-importer/layout";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { buildStorageTree, storageSegments } from "../../contracts/storage-proof.js";
import { ChunkQueue, DEFAULT_SEGMENT_SIZE, HEADER_LENGTH, joinPieces, seal, TAG_LENGTH } from "../../crypto/index.js";
import { fetchModel } from "../../node/models/fetch.js";
import { MAX_SLOTS, slotsMade } from "../../node/models/batch-slots.js";
import { publish } from "../../node/models/publish.js";
import { listPins } from "../../node/storage/pins.js";
import { assertBytes, chunked, collect, unhex } from "../helpers/bytes.js";
import { PeerFixture } from "./helpers.js";

const owner = privateKeyToAccount(generatePrivateKey());
const MiB = 1 << 20;

/** The stock import of a sealed stream: the header as leaf 0, then one raw leaf per frame. */
async function referenceImport(sealed: Uint8Array, segmentSize: number) {
  const frameLength = segmentSize + TAG_LENGTH;
  const chunker = async function* (source: AsyncIterable<Uint8Array>) {
    const queue = new ChunkQueue();
    let next = HEADER_LENGTH;
    for await (const chunk of source) {
      queue.push(chunk);
      for (; queue.length >= next; next = frameLength) yield joinPieces(queue.take(next));
    }
    if (queue.length > 0) yield joinPieces(queue.take(queue.length));
  };
  // @helia/unixfs's defaults (CID v1, raw leaves, balanced layout of 1024 links) plus publish's options.
  const options = { cidVersion: 1, rawLeaves: true, reduceSingleLeafToSelf: false, layout: balanced({ maxChildrenPerNode: 1024 }), chunker } as const;
  let root;
  for await (const entry of importer([{ content: [sealed] }], new MemoryBlockstore(), options)) root = entry.cid;
  return root!;
}

async function* failingAfter(bytes: number, error: Error): AsyncGenerator<Uint8Array> {
  for (let sent = 0; sent < bytes; sent += MiB) yield randomBytes(MiB);
  throw error;
}

describe("node: publish pipeline equals the reference path", function () {
  this.timeout(180_000);
  const fixture = new PeerFixture();
  after(() => fixture.cleanup());

  const cases = [
    { what: "default 1 MiB frames, source chunks that straddle them", size: 9 * MiB + 54_321, segmentSize: DEFAULT_SEGMENT_SIZE, cuts: [MiB, 777, 3 * MiB + 5] },
    { what: "4 KiB frames: 1,281 leaves, a two-level DAG", size: 5 * MiB + 3, segmentSize: 4096 - TAG_LENGTH, cuts: [65_536] },
    { what: "frames smaller than a storage segment", size: 300_001, segmentSize: 1000, cuts: [4096, 1] },
    { what: "an exact multiple of the segment size", size: 3 * DEFAULT_SEGMENT_SIZE, segmentSize: DEFAULT_SEGMENT_SIZE, cuts: [MiB] },
    { what: "an empty model", size: 0, segmentSize: DEFAULT_SEGMENT_SIZE, cuts: [1] },
  ];
  for (const { what, size, segmentSize, cuts } of cases) {
    it(`${what}: same sealed bytes, content CID and storage root`, async () => {
      const peer = await fixture.start();
      const model = randomBytes(size);
      const published = await publish(peer, chunked(model, cuts), { owner, segmentSize });
      const { manifest } = published.signed;

      const sealed = await collect(
        seal([model], { key: published.key, modelId: unhex(manifest.modelId.slice(2)), segmentSize, noncePrefix: unhex(manifest.noncePrefix.slice(2)) }),
      );
      assertBytes(await collect(peer.fs.cat(published.contentCid)), sealed, "stored sealed bytes");
      assert.equal(published.contentCid.toString(), (await referenceImport(sealed, segmentSize)).toString());
      assert.equal(manifest.storage.root, buildStorageTree(storageSegments(sealed)).root);
      assert.equal(manifest.sealedSize, sealed.length);
      assert.equal(manifest.plaintextSize, size);
      assertBytes(await collect(fetchModel(peer, published.manifestCid, { key: published.key })), model, "round trip");
    });
  }

  it("a failing source or an abort rejects with its error, leaves nothing pinned, and the next publish works", async () => {
    const peer = await fixture.start();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const broken = new Error("disk went away");
      await assert.rejects(publish(peer, failingAfter(20 * MiB, broken), { owner }), (error) => error === broken);
      // Aborted between two chunks, and while frames are being sealed and written.
      for (const inFlight of [false, true]) {
        const controller = new AbortController();
        const gone = new Error("client gone");
        const source = (async function* () {
          for (let i = 0; ; i++) {
            if (i === 12 && inFlight) setTimeout(() => controller.abort(gone), 0);
            else if (i === 12) controller.abort(gone);
            yield randomBytes(MiB);
          }
        })();
        await assert.rejects(publish(peer, source, { owner, signal: controller.signal }), (error) => error === gone);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(unhandled, []);
      assert.deepEqual(await listPins(peer), [], "a failed publish pins nothing");
      const model = randomBytes(2 * MiB + 1);
      const published = await publish(peer, [model], { owner });
      assertBytes(await collect(fetchModel(peer, published.manifestCid, { key: published.key })), model, "after failures");
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("concurrent publishes share the workers and keep their streams apart", async () => {
    const peer = await fixture.start();
    const models = [randomBytes(6 * MiB + 7), randomBytes(3 * MiB), randomBytes(100)];
    const results = await Promise.all(models.map((model) => publish(peer, chunked(model, [500_000]), { owner })));
    for (const [i, published] of results.entries()) {
      const { manifest } = published.signed;
      const sealed = await collect(peer.fs.cat(published.contentCid));
      assert.equal(manifest.storage.root, buildStorageTree(storageSegments(sealed)).root, `storage root ${i}`);
      assertBytes(await collect(fetchModel(peer, published.manifestCid, { key: published.key })), models[i]!, `model ${i}`);
    }
  });

  it("every publish takes its shared memory from one bounded pool: many small ones add none, many at once wait their turn", async () => {
    const peer = await fixture.start();
    for (let i = 0; i < 40; i++) await publish(peer, [randomBytes(100)], { owner });
    assert.ok(slotsMade() <= MAX_SLOTS, `${slotsMade()} slots after 40 small publishes`);
    // More publishes at once than the pool can hold batches for: they all finish, exactly.
    const models = Array.from({ length: 6 }, (_, i) => randomBytes(9 * MiB + i));
    const results = await Promise.all(models.map((model) => publish(peer, chunked(model, [300_000]), { owner })));
    assert.ok(slotsMade() <= MAX_SLOTS, `${slotsMade()} slots after 6 concurrent publishes`);
    for (const [i, published] of results.entries()) {
      assertBytes(await collect(fetchModel(peer, published.manifestCid, { key: published.key })), models[i]!, `model ${i}`);
    }
  });
});

