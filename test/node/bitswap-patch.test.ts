/**
 * The behaviour patches/@helia+bitswap+*.patch gives @helia/bitswap (applied by `postinstall`):
 * a serving peer sends blocks as it reads them instead of reading every wanted block into one
 * message first, still answers DONT_HAVE, and encodes messages byte for byte as protons does
 * (bitswap 1.2.0 on the wire) without copying block data. See bench/bitswap.ts for the figures.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { BlockBroker } from "@helia/interface";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { PeerFixture } from "./helpers.js";

type Peer = Awaited<ReturnType<PeerFixture["start"]>>;
interface BitswapMessage {
  blocks: Array<{ prefix: Uint8Array; data: Uint8Array }>;
  blockPresences: Array<{ cid: Uint8Array; type: string }>;
}

const BLOCKS = 64;
const BLOCK_SIZE = 256 * 1024;

async function rawBlock(bytes: Uint8Array): Promise<CID> {
  return CID.createV1(raw.code, await sha256.digest(bytes));
}

/** The peer's bitswap block broker, and the bitswap network inside it (not public API). */
function bitswapOf(peer: Peer) {
  const broker = (peer.helia as unknown as { blockBrokers: BlockBroker[] }).blockBrokers.find((b) => b.name === "bitswap");
  if (broker?.retrieve === undefined) throw new Error("no bitswap block broker");
  const network = (broker as unknown as { bitswap: { network: EventTarget } }).bitswap.network;
  return { retrieve: broker.retrieve.bind(broker), network };
}

describe("node: patched @helia/bitswap", function () {
  this.timeout(60_000);
  const fixture = new PeerFixture();
  after(() => fixture.cleanup());

  let server: Peer;
  let client: Peer;
  const cids: CID[] = [];
  let reads = 0;

  before(async () => {
    server = await fixture.start();
    for (let i = 0; i < BLOCKS; i++) {
      const bytes = randomBytes(BLOCK_SIZE);
      const cid = await rawBlock(bytes);
      await server.helia.blockstore.put(cid, bytes);
      cids.push(cid);
    }
    // Count the serving peer's block reads: bitswap reads through this same blockstore object.
    const store = server.helia.blockstore;
    const get = store.get.bind(store);
    store.get = (cid, options) => {
      reads++;
      return get(cid, options);
    };
    client = await fixture.start({ peers: server.addresses.map(String) });
  });

  it("sends the first block of 64 wanted before it has read them all", async () => {
    const { retrieve } = bitswapOf(client);
    const signal = AbortSignal.timeout(30_000);
    reads = 0;
    let readsAtFirstBlock: number | undefined;
    const blocks = await Promise.all(
      cids.map(async (cid) => {
        const block = await retrieve(cid, { signal });
        readsAtFirstBlock ??= reads;
        return block;
      }),
    );
    assert.equal(blocks.length, BLOCKS);
    for (const [i, block] of blocks.entries()) assert.ok((await rawBlock(block)).equals(cids[i]!), `block ${i}`);
    assert.equal(reads, BLOCKS, "each wanted block is read once");
    // The stock ledger reads all 64 into one message before sending any.
    assert.ok(readsAtFirstBlock !== undefined && readsAtFirstBlock < BLOCKS, `first block arrived after ${readsAtFirstBlock} reads`);
  });

  it("answers DONT_HAVE for a block it lacks while serving the others", async () => {
    const { retrieve, network } = bitswapOf(client);
    const missing = await rawBlock(randomBytes(1024));
    const dontHave = new Promise<void>((resolve) => {
      const listener = (event: Event) => {
        const { message } = (event as CustomEvent<{ message: BitswapMessage }>).detail;
        if (message.blockPresences.some((p) => p.type === "DoNotHaveBlock" && CID.decode(p.cid).equals(missing))) {
          network.removeEventListener("bitswap:message", listener);
          resolve();
        }
      };
      network.addEventListener("bitswap:message", listener);
    });
    const fresh: CID[] = [];
    for (let i = 0; i < 4; i++) {
      const bytes = randomBytes(BLOCK_SIZE);
      const cid = await rawBlock(bytes);
      await server.helia.blockstore.put(cid, bytes);
      fresh.push(cid);
    }
    const controller = new AbortController();
    const wantMissing = retrieve(missing, { signal: controller.signal }).catch(() => undefined);
    const signal = AbortSignal.timeout(30_000);
    const served = await Promise.all(fresh.map((cid) => retrieve(cid, { signal })));
    assert.equal(served.length, fresh.length);
    await Promise.race([dontHave, new Promise((_, reject) => setTimeout(() => reject(new Error("no DONT_HAVE")), 20_000))]);
    controller.abort();
    await wantMissing;
  });

  it("encodes messages as protons does, without copying block data", async () => {
    const dist = join(import.meta.dirname, "../../node_modules/@helia/bitswap/dist/src");
    const { encodeMessage } = (await import(pathToFileURL(join(dist, "utils/split-message.js")).href)) as {
      encodeMessage?: (m: unknown) => { subarray: () => Uint8Array; bufs: Uint8Array[] };
    };
    const { BitswapMessage } = (await import(pathToFileURL(join(dist, "pb/message.js")).href)) as {
      BitswapMessage: { encode: (m: unknown) => Uint8Array };
    };
    assert.ok(encodeMessage !== undefined, "the patch exports encodeMessage");
    const data = [randomBytes(BLOCK_SIZE + 16), randomBytes(200), new Uint8Array(0)];
    const message = {
      wantlist: { full: false, entries: [{ cid: cids[0]!.bytes, priority: 3, wantType: "WantHave", sendDontHave: true }] },
      blocks: data.map((d, i) => ({ prefix: i === 1 ? new Uint8Array(0) : Uint8Array.of(1, 0x55, 0x12, 32), data: d })),
      blockPresences: [{ cid: cids[1]!.bytes, type: "DoNotHaveBlock" }],
      pendingBytes: 7,
    };
    const list = encodeMessage(message);
    assert.deepEqual(Buffer.from(list.subarray()), Buffer.from(BitswapMessage.encode(message)));
    assert.ok(list.bufs.includes(data[0]!), "block data is referenced, not copied");
  });
});
