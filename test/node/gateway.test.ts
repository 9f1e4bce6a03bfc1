import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { get as httpGet, type IncomingMessage } from "node:http";
import type { Routing } from "@helia/interface";
import { trustlessGatewayBlockBroker } from "@helia/trustless-gateway-client";
import { CarBlockIterator } from "@ipld/car";
import * as dagJson from "@ipld/dag-json";
import * as dagPb from "@ipld/dag-pb";
import { peerIdFromString } from "@libp2p/peer-id";
import { multiaddr } from "@multiformats/multiaddr";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import { base36 } from "multiformats/bases/base36";
import { CID } from "multiformats/cid";
import { identity } from "multiformats/hashes/identity";
import { sha256 } from "multiformats/hashes/sha2";
import { hexToBytes } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { identityFromPrivateKey } from "../../crypto/index.js";
import { carExportsInFlight } from "../../node/http/gateway-car.js";
import { localBlockstore } from "../../node/storage/local-blockstore.js";
import { startApi, type RunningApi } from "../../node/http/server.js";
import { publish } from "../../node/models/publish.js";
import { FastFsBlockstore } from "../../node/storage/blockstore.js";
import type { StoragePeer } from "../../node/storage/storage-peer.js";
import { assertBytes } from "../helpers/bytes.js";
import { PeerFixture } from "./helpers.js";

const owner = privateKeyToAccount(generatePrivateKey());
const identityKey = identityFromPrivateKey(hexToBytes(generatePrivateKey()));
const MISSING = "bagaaierasords4njcts6vs7qvdjfcvgnume4hqohf65zsfguprqphs3icwea"; // a valid CID nobody here holds
const PROBE = "bafkqaaa";
const IMMUTABLE = "public, max-age=29030400, immutable";

interface Block {
  cid: CID;
  bytes: Uint8Array;
}
interface Car {
  version: number;
  roots: CID[];
  blocks: Block[];
}

async function readCar(bytes: Uint8Array): Promise<Car> {
  const iterator = await CarBlockIterator.fromBytes(bytes);
  const blocks: Block[] = [];
  for await (const block of iterator) blocks.push(block);
  return { version: iterator.version, roots: await iterator.getRoots(), blocks };
}

async function assertVerifies({ cid, bytes }: Block): Promise<void> {
  if (cid.multihash.code === identity.code) return assertBytes(bytes, cid.multihash.digest, `${cid}`);
  assert.equal(cid.multihash.code, sha256.code);
  assertBytes((await sha256.digest(bytes)).digest, cid.multihash.digest, `hash of ${cid}`);
}

/** The links of a block, decoded independently of the gateway (dag-pb, dag-json; raw has none). */
function linksOf({ cid, bytes }: Block): CID[] {
  if (cid.code === dagPb.code) return dagPb.decode(bytes).Links.map((link) => link.Hash);
  if (cid.code !== dagJson.code) return [];
  const found: CID[] = [];
  const walk = (value: unknown): void => {
    const link = CID.asCID(value);
    if (link !== null) found.push(link);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === "object" && !(value instanceof Uint8Array)) {
      for (const key of Object.keys(value).sort()) walk((value as Record<string, unknown>)[key]);
    }
  };
  walk(dagJson.decode(bytes));
  return found;
}

/**
 * Reference pre-order DFS over `blocks` from `root`: the CIDs in order, optionally only the
 * leaves holding bytes from..to (inclusive) of a UnixFS file and the nodes above them.
 */
function expectedOrder(root: CID, blocks: Block[], options: { dups?: boolean; range?: [number, number] } = {}): CID[] {
  const byCid = new Map(blocks.map((block) => [block.cid.toString(), block]));
  const seen = new Set<string>();
  let offset = 0;
  const visit = (cid: CID): CID[] => {
    const block = byCid.get(cid.toString());
    assert.ok(block !== undefined, `block ${cid} missing from the CAR`);
    if (cid.code === 0x55) {
      const start = offset;
      offset += block.bytes.length;
      if (options.range !== undefined && !(start <= options.range[1] && offset > options.range[0])) return [];
      return [cid];
    }
    const below = linksOf(block).flatMap(visit);
    return options.range === undefined || below.length > 0 ? [cid, ...below] : [];
  };
  const order = visit(root);
  if (options.range !== undefined && order.length === 0) return [root];
  return options.dups === true ? order : order.filter((cid) => !seen.has(cid.toString()) && seen.add(cid.toString()));
}

const leavesOf = (car: Car) => car.blocks.filter((block) => block.cid.code === 0x55);
const concat = (blocks: Block[]) => Buffer.concat(blocks.map((block) => block.bytes));

/** GET with node:http, to control reading: resolves with the response, unread. */
function open(url: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => httpGet(url, resolve).on("error", reject));
}

async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("node: trustless gateway (/ipfs/{cid})", function () {
  this.timeout(120_000);
  const fixture = new PeerFixture();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  let peer: StoragePeer;
  let api: RunningApi;
  let small: Awaited<ReturnType<typeof publish>>; // root + 6 leaves (64 KiB frames)
  let wide: Awaited<ReturnType<typeof publish>>; // 1102 leaves: root -> 2 interior nodes -> leaves
  let deep: CID; // 40 leaves, at most 3 children per node: 4 levels
  let sealedSmall: Buffer;
  let sealedWide: Buffer;
  const url = (path: string) => `${api.url}${path}`;
  const car = async (path: string, init?: RequestInit) => {
    const response = await fetch(url(path), init);
    assert.equal(response.status, 200, `${path}: ${response.status} ${response.status === 200 ? "" : await response.clone().text()}`);
    return { response, car: await readCar(new Uint8Array(await response.arrayBuffer())) };
  };
  const sealed = async (cid: CID) => Buffer.from(await (await fetch(url(`/v1/content/${cid}?offline=true`))).arrayBuffer());
  /** A JSON error {error: {code}} with that status; for a HEAD (code undefined), no body at all. */
  const expectError = async (response: Response, status: number, code: string | undefined) => {
    const text = await response.text();
    assert.equal(response.status, status, text);
    if (code === undefined) assert.equal(text, "", "HEAD: no body");
    else {
      assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
      assert.equal((JSON.parse(text) as { error: { code: string } }).error.code, code, text);
    }
  };

  before(async () => {
    process.on("unhandledRejection", onUnhandled);
    peer = await fixture.start();
    api = await startApi({ peer, identity: identityKey });
    small = await publish(peer, [randomBytes(300 * 1024)], { owner, segmentSize: 64 * 1024 - 16 });
    wide = await publish(peer, [randomBytes(1100 * 240 + 100)], { owner, segmentSize: 240 });
    deep = await peer.fs.addBytes(randomBytes(40 * 4096), { rawLeaves: true, chunker: fixedSize({ chunkSize: 4096 }), layout: balanced({ maxChildrenPerNode: 3 }) });
    sealedSmall = await sealed(small.contentCid);
    sealedWide = await sealed(wide.contentCid);
    assert.equal(sealedSmall.length, small.signed.manifest.sealedSize);
  });
  after(async () => {
    process.off("unhandledRejection", onUnhandled);
    await api?.close();
    await fixture.cleanup();
  });

  it("raw: every block of a model comes back with bytes that hash to its CID, and the spec's headers", async () => {
    const { car: all } = await car(`/ipfs/${small.manifestCid}?format=car`);
    assert.equal(all.blocks.length, 1 + 1 + 6, "manifest, content root, header leaf + 5 frames");
    for (const { cid } of all.blocks) {
      const response = await fetch(url(`/ipfs/${cid}?format=raw`));
      assert.equal(response.status, 200);
      const bytes = new Uint8Array(await response.arrayBuffer());
      await assertVerifies({ cid, bytes });
      assert.equal(Number(response.headers.get("content-length")), bytes.length);
      assert.equal(response.headers.get("content-type"), "application/vnd.ipld.raw");
      assert.equal(response.headers.get("content-disposition"), `attachment; filename="${cid}.bin"`);
      assert.equal(response.headers.get("etag"), `"${cid}.raw"`);
      assert.equal(response.headers.get("cache-control"), IMMUTABLE);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
      assert.equal(response.headers.get("x-ipfs-path"), `/ipfs/${cid}`);
      assert.equal(response.headers.get("x-ipfs-roots"), `${cid}`);
      assert.equal(response.headers.get("vary"), "Accept");
      assert.equal(response.headers.get("content-location"), null, "format in the URL already");
    }
    // Accept alone negotiates, and says where the non-negotiated URL is; a CIDv1 in base36 works too.
    const leaf = all.blocks.at(-1)!.cid;
    const negotiated = await fetch(url(`/ipfs/${leaf.toString(base36)}`), { headers: { accept: "application/vnd.ipld.raw" } });
    assert.equal(negotiated.status, 200);
    assert.equal(negotiated.headers.get("content-location"), `/ipfs/${leaf}?format=raw`);
    await assertVerifies({ cid: leaf, bytes: new Uint8Array(await negotiated.arrayBuffer()) });
  });

  it("CAR dag-scope=all: version 1, the root, verified blocks in DFS order, leaves = the sealed bytes", async () => {
    for (const [root, bytes] of [[small.contentCid, sealedSmall], [wide.contentCid, sealedWide]] as const) {
      const { response, car: got } = await car(`/ipfs/${root}?format=car`);
      assert.equal(response.headers.get("content-type"), "application/vnd.ipld.car; version=1; order=dfs; dups=n");
      assert.equal(response.headers.get("content-disposition"), `attachment; filename="${root}.car"`);
      assert.equal(response.headers.get("etag"), `"${root}.car.v1.dfs.dups-n.all"`);
      assert.equal(response.headers.get("cache-control"), IMMUTABLE);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
      assert.equal(response.headers.get("x-ipfs-roots"), `${root}`);
      assert.equal(got.version, 1);
      assert.deepEqual(got.roots.map(String), [`${root}`]);
      for (const block of got.blocks) await assertVerifies(block);
      assert.deepEqual(got.blocks.map((b) => `${b.cid}`), expectedOrder(root, got.blocks).map(String), "DFS order");
      assertBytes(concat(leavesOf(got)), bytes, "leaves in order = GET /v1/content");
    }
    const { car: two } = await car(`/ipfs/${wide.contentCid}?format=car`);
    const rootNode = dagPb.decode(two.blocks[0]!.bytes);
    assert.equal(rootNode.Links.length, 2, "two-level DAG: root -> 2 interior nodes");
    assert.equal(leavesOf(two).length, 1102);
    assert.equal(two.blocks[1]!.cid.toString(), rootNode.Links[0]!.Hash.toString(), "interior node before its leaves");
  });

  it("CAR of a manifest follows its link into the content DAG; dag-scope=block and entity", async () => {
    const { car: all } = await car(`/ipfs/${small.manifestCid}?format=car&dag-scope=all`);
    assert.equal(all.blocks[0]!.cid.toString(), small.manifestCid.toString());
    assert.equal(all.blocks[1]!.cid.toString(), small.contentCid.toString());
    assert.deepEqual(all.blocks.map((b) => `${b.cid}`), expectedOrder(small.manifestCid, all.blocks).map(String));
    assertBytes(concat(leavesOf(all)), sealedSmall, "manifest CAR holds the whole content");
    for (const block of all.blocks) await assertVerifies(block);

    for (const [root, scope] of [[small.manifestCid, "block"], [small.contentCid, "block"], [small.manifestCid, "entity"]] as const) {
      const { response, car: one } = await car(`/ipfs/${root}?format=car&dag-scope=${scope}`);
      assert.deepEqual(one.blocks.map((b) => `${b.cid}`), [`${root}`], `${scope} of ${root}`);
      await assertVerifies(one.blocks[0]!);
      assert.equal(response.headers.get("etag"), `"${root}.car.v1.dfs.dups-n.${scope}"`);
    }
    const { car: entity } = await car(`/ipfs/${small.contentCid}?format=car&dag-scope=entity`);
    assertBytes(concat(leavesOf(entity)), sealedSmall, "the entity of a file is the whole file");
  });

  it("entity-bytes returns exactly the leaves that hold the range (two- and four-level DAGs, negative and * forms)", async () => {
    const size = sealedWide.length;
    const start = (leaf: number) => (leaf === 0 ? 0 : 112 + (leaf - 1) * 256); // header leaf, then 256-byte frames
    const cases: Array<[string, number, number]> = [
      [`${start(1022) + 10}:${start(1025) + 5}`, start(1022) + 10, start(1025) + 5], // across the two interior nodes
      ["-100:*", size - 100, size - 1],
      [`-${size * 2}:100`, 0, 100],
      ["0:*", 0, size - 1],
      [`500:-${size - 700}`, 500, 700],
      [`${start(7)}:${start(8) - 1}`, start(7), start(8) - 1], // exactly one leaf
    ];
    for (const [bytes, from, to] of cases) {
      const { response, car: got } = await car(`/ipfs/${wide.contentCid}?format=car&entity-bytes=${bytes}`);
      assert.equal(response.headers.get("etag"), `"${wide.contentCid}.car.v1.dfs.dups-n.entity.${bytes}"`);
      for (const block of got.blocks) await assertVerifies(block);
      const { car: full } = await car(`/ipfs/${wide.contentCid}?format=car`);
      const expected = expectedOrder(wide.contentCid, full.blocks, { range: [from, to] });
      assert.deepEqual(got.blocks.map((b) => `${b.cid}`), expected.map(String), `entity-bytes=${bytes}`);
      // The leaves cover the range, and are the file's bytes at their offsets.
      const leaves = leavesOf(got);
      const first = full.blocks.filter((b) => b.cid.code === 0x55).findIndex((b) => b.cid.equals(leaves[0]!.cid));
      const offset = leavesOf(full).slice(0, first).reduce((n, b) => n + b.bytes.length, 0);
      assert.ok(offset <= from && offset + concat(leaves).length > to, `${bytes} covered`);
      assertBytes(concat(leaves), sealedWide.subarray(offset, offset + concat(leaves).length), bytes);
    }
    // Four levels of interior nodes, where @helia/car's UnixFSExporter offsets go wrong.
    const { car: full } = await car(`/ipfs/${deep}?format=car`);
    assert.equal(leavesOf(full).length, 40);
    const { car: middle } = await car(`/ipfs/${deep}?format=car&entity-bytes=${17 * 4096 + 1}:${22 * 4096}`);
    assert.deepEqual(leavesOf(middle).map((b) => `${b.cid}`), leavesOf(full).slice(17, 23).map((b) => `${b.cid}`));
    assert.deepEqual(middle.blocks.map((b) => `${b.cid}`), expectedOrder(deep, full.blocks, { range: [17 * 4096 + 1, 22 * 4096] }).map(String));
    // Empty after resolving: the root alone. Wholly past the end: 400.
    const { car: empty } = await car(`/ipfs/${wide.contentCid}?format=car&entity-bytes=10:-${size}`);
    assert.deepEqual(empty.blocks.map((b) => `${b.cid}`), [`${wide.contentCid}`]);
    await expectError(await fetch(url(`/ipfs/${wide.contentCid}?format=car&entity-bytes=${size}:*`)), 400, "ENTITY_BYTES_OUT_OF_RANGE");
    await expectError(await fetch(url(`/ipfs/${wide.contentCid}?format=car&entity-bytes=10:5`)), 400, "VALIDATION_FAILED");
    await expectError(await fetch(url(`/ipfs/${wide.contentCid}?format=car&entity-bytes=1-5`)), 400, "VALIDATION_FAILED");
    await expectError(await fetch(url(`/ipfs/${wide.contentCid}?format=car&dag-scope=all&entity-bytes=0:5`)), 400, "VALIDATION_FAILED");
  });

  it("CAR negotiation: Accept parameters, query precedence, dups=y repeats duplicate blocks", async () => {
    const zeros = await peer.fs.addBytes(new Uint8Array(8 * 4096), { rawLeaves: true, chunker: fixedSize({ chunkSize: 4096 }) });
    const { response: once, car: dedup } = await car(`/ipfs/${zeros}`, { headers: { accept: "application/vnd.ipld.car; version=1; order=dfs; dups=n" } });
    assert.equal(once.headers.get("content-type"), "application/vnd.ipld.car; version=1; order=dfs; dups=n");
    assert.equal(dedup.blocks.length, 2, "root + the one distinct leaf");
    const { response: each, car: dups } = await car(`/ipfs/${zeros}`, { headers: { accept: "application/vnd.ipld.car;dups=y" } });
    assert.equal(each.headers.get("content-type"), "application/vnd.ipld.car; version=1; order=dfs; dups=y");
    assert.equal(each.headers.get("content-location"), `/ipfs/${zeros}?format=car&dag-scope=all&car-version=1&car-order=dfs&car-dups=y`);
    assert.deepEqual(dups.blocks.map((b) => `${b.cid}`), expectedOrder(zeros, dups.blocks, { dups: true }).map(String));
    assert.equal(dups.blocks.length, 9);
    assertBytes(concat(leavesOf(dups)), new Uint8Array(8 * 4096), "dups=y: leaves in order are the file");
    // The query wins over Accept, for the format and for the CAR parameters.
    const { response: query } = await car(`/ipfs/${zeros}?format=car&car-dups=n`, { headers: { accept: "application/vnd.ipld.raw, application/vnd.ipld.car;dups=y" } });
    assert.equal(query.headers.get("content-type"), "application/vnd.ipld.car; version=1; order=dfs; dups=n");
    const { response: unk } = await car(`/ipfs/${zeros}?format=car&car-order=unk`);
    assert.equal(unk.headers.get("content-type"), "application/vnd.ipld.car; version=1; order=dfs; dups=n", "dfs is one of the orders unk allows");
    const preferred = await fetch(url(`/ipfs/${zeros}`), { headers: { accept: "application/vnd.ipld.raw;q=0.5, application/vnd.ipld.car;q=0.9" } });
    assert.match(preferred.headers.get("content-type") ?? "", /^application\/vnd\.ipld\.car;/);
    await preferred.arrayBuffer();
  });

  it("refusals: 400 strict mode and bad input, 406 unsupported variants, 404 and 412 for absent blocks", async () => {
    const cid = small.contentCid;
    await expectError(await fetch(url(`/ipfs/${cid}`)), 400, "FORMAT_REQUIRED"); // fetch sends Accept: */*
    await expectError(await fetch(url(`/ipfs/${cid}`), { headers: { accept: "text/html,*/*;q=0.8" } }), 400, "FORMAT_REQUIRED");
    await expectError(await fetch(url(`/ipfs/${cid}`), { headers: { accept: "application/json" } }), 406, "NOT_ACCEPTABLE");
    await expectError(await fetch(url(`/ipfs/${cid}`), { headers: { accept: "application/vnd.ipld.car; version=2" } }), 406, "NOT_ACCEPTABLE");
    await expectError(await fetch(url(`/ipfs/${cid}`), { headers: { accept: "application/vnd.ipld.raw;q=0" } }), 406, "NOT_ACCEPTABLE");
    for (const query of ["format=tar", "format=dag-json", "format=car&car-version=2", "format=car&car-order=bfs"]) {
      await expectError(await fetch(url(`/ipfs/${cid}?${query}`)), 406, "NOT_ACCEPTABLE");
    }
    for (const query of ["format=raw&color=blue", "format=car&dag-scope=most", "format=car&car-dups=maybe", "format=raw&format=car", "format="]) {
      await expectError(await fetch(url(`/ipfs/${cid}?${query}`)), 400, "VALIDATION_FAILED");
    }
    await expectError(await fetch(url("/ipfs/not-a-cid?format=raw")), 400, "INVALID_CID");
    await expectError(await fetch(url("/ipfs/?format=raw")), 400, "INVALID_CID");
    await expectError(await fetch(url(`/ipfs/${cid}/a/b?format=raw`)), 400, "PATH_NOT_SUPPORTED");
    for (const format of ["raw", "car"]) {
      await expectError(await fetch(url(`/ipfs/${MISSING}?format=${format}`)), 404, "NOT_FOUND");
      await expectError(await fetch(url(`/ipfs/${MISSING}?format=${format}`), { method: "HEAD" }), 404, undefined);
      await expectError(await fetch(url(`/ipfs/${MISSING}?format=${format}`), { headers: { "cache-control": "only-if-cached" } }), 412, "NOT_CACHED");
      const cached = await fetch(url(`/ipfs/${cid}?format=${format}`), { headers: { "cache-control": "only-if-cached" } });
      assert.equal(cached.status, 200);
      await cached.arrayBuffer();
    }
  });

  it("HEAD, the probe paths, and If-None-Match -> 304", async () => {
    const leaf = leavesOf((await car(`/ipfs/${small.contentCid}?format=car`)).car)[1]!;
    const head = await fetch(url(`/ipfs/${leaf.cid}?format=raw`), { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers.get("content-length")), leaf.bytes.length);
    assert.equal(head.headers.get("etag"), `"${leaf.cid}.raw"`);
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    const headCar = await fetch(url(`/ipfs/${small.contentCid}?format=car`), { method: "HEAD" });
    assert.equal(headCar.status, 200);
    assert.equal(headCar.headers.get("content-type"), "application/vnd.ipld.car; version=1; order=dfs; dups=n");
    assert.equal((await headCar.arrayBuffer()).byteLength, 0);

    const probe = await fetch(url(`/ipfs/${PROBE}?format=raw`), { headers: { accept: "application/vnd.ipld.raw" } });
    assert.equal(probe.status, 200);
    assert.equal((await probe.arrayBuffer()).byteLength, 0);
    const { car: probeCar } = await car(`/ipfs/${PROBE}?format=car`, { headers: { accept: "application/vnd.ipld.car" } });
    assert.deepEqual(probeCar.roots.map(String), [PROBE]);
    assert.equal(probeCar.version, 1);
    assert.equal(probeCar.blocks.length, 0, "identity blocks are never sent");
    for (const format of ["raw", "car"]) assert.equal((await fetch(url(`/ipfs/${PROBE}?format=${format}`), { method: "HEAD" })).status, 200);
    // Any inline (identity) CID is its own block, also past the router's 100-character parameter limit.
    const inline = CID.createV1(0x55, identity.digest(randomBytes(100)));
    const served = await fetch(url(`/ipfs/${inline}?format=raw`));
    assert.equal(served.status, 200);
    assertBytes(new Uint8Array(await served.arrayBuffer()), inline.multihash.digest);
    await expectError(await fetch(url(`/ipfs/${CID.createV1(0x55, identity.digest(randomBytes(200)))}?format=raw`)), 400, "INVALID_CID");

    const conditional: Array<[string, string]> = [[`/ipfs/${leaf.cid}?format=raw`, `"${leaf.cid}.raw"`], [`/ipfs/${small.contentCid}?format=car`, `"${small.contentCid}.car.v1.dfs.dups-n.all"`]];
    for (const [path, etag] of conditional) {
      for (const tag of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
        const cached = await fetch(url(path), { headers: { "if-none-match": tag } });
        assert.equal(cached.status, 304, `${path} If-None-Match: ${tag}`);
        assert.equal(cached.headers.get("etag"), etag);
        assert.equal(cached.headers.get("cache-control"), IMMUTABLE);
        assert.equal((await cached.arrayBuffer()).byteLength, 0);
      }
      const changed = await fetch(url(path), { headers: { "if-none-match": '"something-else"' } });
      assert.equal(changed.status, 200);
      await changed.arrayBuffer();
    }
    await expectError(await fetch(url(`/ipfs/${MISSING}?format=raw`), { headers: { "if-none-match": "*" } }), 404, "NOT_FOUND");
  });

  it("matches the test vectors of docs/API.md byte for byte", async () => {
    const bytes = new TextEncoder().encode("hello modelvault\n");
    const cid = CID.parse("bafkreieeyqh6lwa5e7j6xod7id47v3ymldn6z6zoertdhgnvtfxmj4ijvq");
    assert.ok(cid.equals(CID.createV1(0x55, await sha256.digest(bytes))));
    await peer.helia.blockstore.put(cid, bytes);
    const raw = await fetch(url(`/ipfs/${cid}?format=raw`));
    assertBytes(new Uint8Array(await raw.arrayBuffer()), bytes);
    const hex = async (path: string) => Buffer.from(await (await fetch(url(path))).arrayBuffer()).toString("hex");
    assert.equal(
      await hex(`/ipfs/${cid}?format=car`),
      "3aa265726f6f747381d82a5825000155122084c40fe5d81d27d3ebb87f40f9faef0c58dbecfb2e24663399b5996ec4" +
        "f109ac6776657273696f6e01350155122084c40fe5d81d27d3ebb87f40f9faef0c58dbecfb2e24663399b5996ec4f1" +
        "09ac68656c6c6f206d6f64656c7661756c740a",
    );
    assert.equal(await hex(`/ipfs/${PROBE}?format=car`), "19a265726f6f747381d82a4500015500006776657273696f6e01");
  });

  it("CORS: pages of any origin may read blocks and CARs, with conditional and only-if-cached requests", async () => {
    const origin = "https://dapp.example";
    const preflight = await fetch(url(`/ipfs/${small.contentCid}?format=car`), {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "GET", "access-control-request-headers": "cache-control,if-none-match" },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
    assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /cache-control.*if-none-match/);
    const read = await fetch(url(`/ipfs/${small.contentCid}?format=raw`), { headers: { origin } });
    assert.equal(read.headers.get("access-control-allow-origin"), "*");
    assert.match(read.headers.get("access-control-expose-headers") ?? "", /etag.*x-ipfs-roots/);
    await read.arrayBuffer();
  });

  it("CAR with a path into a UnixFS directory: the path's blocks, then the target", async () => {
    const dir = await peer.fs.cp(small.contentCid, await peer.fs.addDirectory(), "model.sealed");
    const { response, car: got } = await car(`/ipfs/${dir}/model.sealed?format=car`);
    assert.equal(response.headers.get("x-ipfs-path"), `/ipfs/${dir}/model.sealed`);
    assert.equal(response.headers.get("x-ipfs-roots"), `${dir},${small.contentCid}`);
    assert.deepEqual(got.roots.map(String), [`${dir}`]);
    assert.equal(got.blocks[0]!.cid.toString(), dir.toString());
    assert.deepEqual(got.blocks.slice(1).map((b) => `${b.cid}`), expectedOrder(small.contentCid, got.blocks).map(String));
    for (const block of got.blocks) await assertVerifies(block);
    assertBytes(concat(leavesOf(got)), sealedSmall);
    const { car: block } = await car(`/ipfs/${dir}/model.sealed?format=car&dag-scope=block`);
    assert.deepEqual(block.blocks.map((b) => `${b.cid}`), [`${dir}`, `${small.contentCid}`]);
    await expectError(await fetch(url(`/ipfs/${dir}/nope?format=car`)), 404, "NOT_FOUND");
    await expectError(await fetch(url(`/ipfs/${small.contentCid}/x?format=car`)), 404, "NOT_FOUND");
  });

  it("answers 404 for a block a connected peer holds: no network fetch, and fast", async () => {
    const other = await fixture.start();
    const theirs = await publish(other, [randomBytes(100_000)], { owner, segmentSize: 64 * 1024 - 16 });
    await peer.dial(other.addresses[0]!);
    for (const format of ["raw", "car"]) {
      const started = Date.now();
      await expectError(await fetch(url(`/ipfs/${theirs.contentCid}?format=${format}`)), 404, "NOT_FOUND");
      assert.ok(Date.now() - started < 2000, "no wait for peers");
    }
    assert.equal(await peer.helia.blockstore.has(theirs.contentCid), false, "nothing was fetched in the background");
    // Control: the network route does get it from that peer, and then the gateway serves it.
    assert.equal((await fetch(url(`/v1/content/${theirs.contentCid}?timeoutMs=20000`))).status, 200);
    const now = await fetch(url(`/ipfs/${theirs.contentCid}?format=raw`));
    assert.equal(now.status, 200);
    await assertVerifies({ cid: theirs.contentCid, bytes: new Uint8Array(await now.arrayBuffer()) });
  });

  it("a missing child block ends the CAR stream early; the node keeps serving", async () => {
    const file = await peer.fs.addBytes(randomBytes(20 * 4096), { rawLeaves: true, chunker: fixedSize({ chunkSize: 4096 }) });
    const leaves = dagPb.decode(new Uint8Array(await (await fetch(url(`/ipfs/${file}?format=raw`))).arrayBuffer())).Links;
    await localBlockstore(peer.helia).delete(leaves[10]!.Hash); // below Helia's reprovide bookkeeping
    const response = await fetch(url(`/ipfs/${file}?format=car`));
    assert.equal(response.status, 200, "committed once the root was read");
    const parts: Uint8Array[] = [];
    await assert.rejects(async () => {
      for await (const part of response.body!) parts.push(part);
    }, "the stream is cut, not ended cleanly");
    const got = await readCar(Buffer.concat(parts)).catch(() => undefined);
    assert.ok(got === undefined || got.blocks.length <= 11, "never more than the blocks before the hole");
    await expectError(await fetch(url(`/ipfs/${leaves[10]!.Hash}?format=raw`)), 404, "NOT_FOUND");
    assert.equal((await fetch(url("/health"))).status, 200);
    await until(() => carExportsInFlight() === 0, 2000, "the export to wind down");
  });

  it("streams with backpressure, and a client leaving mid-CAR stops the walk (no stuck export, no unhandled rejection)", async () => {
    const MiB = 1 << 20;
    const big = await peer.fs.addBytes(randomBytes(48 * MiB), { rawLeaves: true, chunker: fixedSize({ chunkSize: MiB }) });
    const reads = { count: 0 };
    const original = FastFsBlockstore.prototype.get;
    FastFsBlockstore.prototype.get = function (this: FastFsBlockstore, ...args: Parameters<typeof original>) {
      reads.count++;
      return original.apply(this, args);
    };
    try {
      const response = await open(url(`/ipfs/${big}?format=car`));
      assert.equal(response.statusCode, 200);
      await new Promise((resolve) => response.once("data", resolve));
      response.pause();
      await new Promise((resolve) => setTimeout(resolve, 500));
      const readWhilePaused = reads.count;
      assert.ok(readWhilePaused < 30, `a paused client held the walk: ${readWhilePaused} of 49 blocks read`);
      response.destroy();
      await until(() => carExportsInFlight() === 0, 3000, "the export to wind down");
      assert.ok(reads.count <= readWhilePaused + 6, `the walk stopped (${reads.count} reads)`);
    } finally {
      FastFsBlockstore.prototype.get = original;
    }
    // Also with fetch + AbortController, right after the headers.
    const controller = new AbortController();
    const aborted = await fetch(url(`/ipfs/${big}?format=car`), { signal: controller.signal });
    controller.abort();
    await aborted.arrayBuffer().catch(() => {});
    await until(() => carExportsInFlight() === 0, 3000, "the export to wind down");
    const { car: whole } = await car(`/ipfs/${big}?format=car`);
    assert.equal(whole.blocks.length, 49);
    assert.deepEqual(unhandled, []);
  });

  it("Helia's trustless-gateway block broker fetches blocks from this gateway", async () => {
    const routing = {
      async *findProviders() {
        yield { id: peerIdFromString(peer.peerId).toCID(), multiaddrs: [multiaddr(`/ip4/127.0.0.1/tcp/${api.port}/http`)], router: "test", fallback: false };
      },
    } as unknown as Routing;
    const broker = trustlessGatewayBlockBroker({ allowInsecure: true, allowLocal: true })({ routing, logger: peer.helia.logger });
    for (const cid of [small.manifestCid, small.contentCid]) {
      const bytes = await broker.retrieve!(cid, { validateFn: async (block) => assertVerifies({ cid, bytes: block }) });
      await assertVerifies({ cid, bytes });
      assertBytes(bytes, new Uint8Array(await (await fetch(url(`/ipfs/${cid}?format=raw`))).arrayBuffer()));
    }
    await assert.rejects(broker.retrieve!(CID.parse(MISSING)), (error: AggregateError) => /received 404/.test(String(error.errors?.[0]?.message)));
  });
});
