import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as dagPb from "@ipld/dag-pb";
import type { CID } from "multiformats/cid";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { WrongKeyError } from "../../crypto/index.js";
import { OutputExistsError, OutputIsADirectoryError } from "../../node/errors.js";
import { readManifest } from "../../node/models/fetch.js";
import { publish } from "../../node/models/publish.js";
import { publishDirectory } from "../../node/models/publish-directory.js";
import { fetchTensorsToFile, InvalidSafetensorsError, listTensors, NoSafetensorsError, readTensors, TensorSelectionError } from "../../node/models/tensors.js";
import type { StoragePeer } from "../../node/storage/storage-peer.js";
import { parseSafetensors, parseSafetensorsHeader, serializeSafetensors } from "../../zkp/safetensors.js";
import { assertBytes } from "../helpers/bytes.js";
import { INDEX, SHARD_1, SHARD_2, TENSOR_SEGMENT, tensorModel } from "../helpers/tensor-model.js";
import { PeerFixture } from "./helpers.js";

const owner = privateKeyToAccount(generatePrivateKey());
const model = tensorModel();

/** What the strict reader sees in the plaintext, in the listing's shape. */
function expectedListing(file: string | null, bytes: Uint8Array) {
  return parseSafetensorsHeader(bytes, bytes.length).tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, file, start: t.start, end: t.end, dataOffsets: t.dataOffsets }));
}

/** The file `names` of `source` would make: serializeSafetensors of those tensors, in the source's offset order. */
function expectedFile(source: Uint8Array, names: string[], metadata: Record<string, string>): Uint8Array {
  const { tensors } = parseSafetensors(source);
  const order = parseSafetensorsHeader(source, source.length).tensors.map((t) => t.name).filter((n) => names.includes(n));
  return serializeSafetensors(new Map(order.map((n) => [n, tensors.get(n)!])), metadata);
}

/** Which leaves (header, frame 0, frame 1, ...) of a published file `peer` holds. */
async function leavesHeld(source: StoragePeer, peer: StoragePeer, root: CID): Promise<number[]> {
  const node = dagPb.decode(await collectBlock(source, root));
  const held: number[] = [];
  for (const [i, link] of node.Links.entries()) if (await peer.helia.blockstore.has(link.Hash)) held.push(i);
  return held;
}
async function collectBlock(peer: StoragePeer, cid: CID): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of peer.helia.blockstore.get(cid)) parts.push(part);
  return Buffer.concat(parts);
}
/** Leaf indices (leaf 0 is the header) that hold plaintext [start, end). */
const leavesOf = (start: number, end: number) => Array.from({ length: Math.floor((end - 1) / TENSOR_SEGMENT) - Math.floor(start / TENSOR_SEGMENT) + 1 }, (_, i) => Math.floor(start / TENSOR_SEGMENT) + i + 1);

describe("node: tensors of encrypted safetensors models", function () {
  this.timeout(60_000);
  const fixture = new PeerFixture();
  let a: StoragePeer;
  let dir: string;
  let single: Awaited<ReturnType<typeof publish>>;
  let sharded: Awaited<ReturnType<typeof publishDirectory>>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mv-tensors-"));
    a = await fixture.start();
    single = await publish(a, [model.single], { owner, segmentSize: TENSOR_SEGMENT });
    sharded = await publishDirectory(a, [...model.files].map(([path, bytes]) => ({ path, source: [bytes] })), { owner, segmentSize: TENSOR_SEGMENT });
  });
  after(async () => {
    await fixture.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it("lists a one-file model's tensors exactly as the strict reader parses the plaintext", async () => {
    const listing = await listTensors(a, single.manifestCid, { key: single.key });
    assert.deepEqual(listing.tensors, expectedListing(null, model.single));
    assert.deepEqual(listing.metadata, { format: "pt" });
    assert.equal(listing.files.length, 1);
    const parsed = parseSafetensors(model.single);
    for (const t of listing.tensors) assert.deepEqual([t.dtype, t.shape], [parsed.tensors.get(t.name)!.dtype, parsed.tensors.get(t.name)!.shape]);
  });

  it("lists a directory model: every shard's tensors, files and metadata; one file when asked", async () => {
    const listing = await listTensors(a, sharded.manifestCid, { key: sharded.key });
    assert.deepEqual(listing.tensors, [...expectedListing(SHARD_1, model.shard1), ...expectedListing(SHARD_2, model.shard2)]);
    assert.deepEqual(listing.files.map((f) => [f.path, f.tensorCount]), [[SHARD_1, 9], [SHARD_2, 10]]);
    assert.ok(listing.files[0]!.headerBytes > 3 * TENSOR_SEGMENT, "the first shard's header spans several segments");
    assert.deepEqual(listing.metadata, { format: "pt", note: "n".repeat(2500), origin: "second" });
    const one = await listTensors(a, sharded.manifestCid, { key: sharded.key, file: SHARD_2 });
    assert.deepEqual(one.tensors, expectedListing(SHARD_2, model.shard2));
  });

  it("reads tensors by name and glob: the bytes of the plaintext; the index decides a name in two shards", async () => {
    const got = await readTensors(a, sharded.manifestCid, ["h.*.attn.*", "mask", "shared"], { key: sharded.key });
    const p1 = parseSafetensors(model.shard1).tensors;
    const p2 = parseSafetensors(model.shard2).tensors;
    assert.deepEqual(got.map((t) => `${t.info.file}:${t.info.name}`), [
      `${SHARD_1}:h.0.attn.c_attn.weight`, `${SHARD_1}:h.0.attn.c_attn.bias`, `${SHARD_1}:mask`,
      `${SHARD_2}:h.1.attn.c_attn.weight`, `${SHARD_2}:shared`,
    ]);
    for (const t of got) assertBytes(t.bytes, (t.info.file === SHARD_1 ? p1 : p2).get(t.info.name)!.bytes, t.info.name);
    const [fromOne] = await readTensors(a, single.manifestCid, ["wte"], { key: single.key });
    assertBytes(fromOne!.bytes, p1.get("wte")!.bytes);
  });

  it("writes a safetensors file of the tensors asked for: serializeSafetensors of them, byte for byte", async () => {
    const out = join(dir, "one.safetensors");
    const result = await fetchTensorsToFile(a, single.manifestCid, ["h.1.ln.weight", "h.0.*", "empty"], out, { key: single.key });
    const names = ["h.0.attn.c_attn.weight", "h.0.attn.c_attn.bias", "h.0.mlp.weight", "empty", "h.1.ln.weight"];
    assertBytes(await readFile(out), expectedFile(model.single, names, { format: "pt" }));
    assert.equal(result.bytes, (await stat(out)).size);
    assert.deepEqual(result.tensors.map((t) => t.name).sort(), [...names].sort());
    assert.equal((await stat(out)).mode & 0o777, 0o600);

    const multi = join(dir, "multi.safetensors");
    const progress: string[] = [];
    await fetchTensorsToFile(a, sharded.manifestCid, ["counts.*", "scale.*"], multi, { key: sharded.key, onProgress: (p) => progress.push(`${p.file}`) });
    const written = parseSafetensors(await readFile(multi));
    assert.deepEqual([...written.tensors.keys()], ["scale.e4m3", "scale.e5m2", "counts.u8", "counts.u16", "counts.u32", "counts.u64", "counts.i8", "counts.i16", "counts.i32"]);
    assert.deepEqual(written.metadata, { format: "pt", note: "n".repeat(2500), origin: "second" });
    assert.deepEqual([...new Set(progress)], [SHARD_1, SHARD_2]);
  });

  it("fetches only the segments of the headers and of the tensors asked for, from a peer that held nothing", async () => {
    const b = await fixture.start({ peers: a.addresses.map(String) });
    const signed = await readManifest(b, sharded.manifestCid, { timeoutMs: 20_000 });
    const out = join(dir, "ln.safetensors");
    await fetchTensorsToFile(b, signed, ["h.1.ln.weight"], out, { key: sharded.key, timeoutMs: 20_000 });
    const files = new Map(sharded.signed.manifest.files.map((f) => [f.path, f.cid]));
    const header2 = parseSafetensorsHeader(model.shard2, model.shard2.length);
    const ln = header2.tensors.find((t) => t.name === "h.1.ln.weight")!;
    // Header and frame 0 come in one read; the rest of the header, then the tensor's segments.
    const expected = [...new Set([0, 1, ...leavesOf(0, header2.dataStart), ...leavesOf(ln.start, ln.end)])].sort((x, y) => x - y);
    assert.deepEqual(await leavesHeld(a, b, files.get(SHARD_2)!), expected);
    assert.deepEqual(await leavesHeld(a, b, files.get(SHARD_1)!), [], "the index named the shard: the other one is never read");
    assert.ok(expected.length <= 4 && model.shard2.length / TENSOR_SEGMENT > 17, `${expected.length} leaves of ${model.shard2.length / TENSOR_SEGMENT}`);
    assertBytes(await readFile(out), expectedFile(model.shard2, ["h.1.ln.weight"], { format: "pt", origin: "second" }));
  });

  it("refuses: unknown names, ambiguous names without an index, a wrong key, outputs in the way", async () => {
    const noIndex = await publishDirectory(a, [SHARD_1, SHARD_2].map((path) => ({ path, source: [model.files.get(path)!] })), { owner, segmentSize: TENSOR_SEGMENT });
    await assert.rejects(readTensors(a, noIndex.manifestCid, ["shared"], { key: noIndex.key }), (e: unknown) => e instanceof TensorSelectionError && e.code === "TENSOR_AMBIGUOUS");
    const [fromFile] = await readTensors(a, noIndex.manifestCid, ["shared"], { key: noIndex.key, file: SHARD_1 });
    assertBytes(fromFile!.bytes, parseSafetensors(model.shard1).tensors.get("shared")!.bytes);
    await assert.rejects(readTensors(a, sharded.manifestCid, ["nope.*"], { key: sharded.key }), (e: unknown) => e instanceof TensorSelectionError && e.code === "TENSOR_NOT_FOUND" && /some tensors: h\.0/.test(e.message));
    await assert.rejects(listTensors(a, sharded.manifestCid, { key: randomBytes(32) }), WrongKeyError);
    const existing = join(dir, "exists.safetensors");
    await writeFile(existing, "keep");
    await assert.rejects(fetchTensorsToFile(a, single.manifestCid, ["wte"], existing, { key: single.key }), OutputExistsError);
    assert.equal(await readFile(existing, "utf8"), "keep");
    await fetchTensorsToFile(a, single.manifestCid, ["wte"], existing, { key: single.key, force: true });
    assert.deepEqual([...parseSafetensors(await readFile(existing)).tensors.keys()], ["wte"]);
    await mkdir(join(dir, "adir"));
    await assert.rejects(fetchTensorsToFile(a, single.manifestCid, ["wte"], join(dir, "adir"), { key: single.key }), OutputIsADirectoryError);
  });

  it("refuses files that are not safetensors, naming them, and models without any", async () => {
    const corrupt = new Uint8Array(model.shard2);
    new DataView(corrupt.buffer).setBigUint64(0, 10n ** 9n, true); // header length beyond the file
    const badLength = await publishDirectory(a, [{ path: "bad.safetensors", source: [corrupt] }], { owner, segmentSize: TENSOR_SEGMENT });
    await assert.rejects(listTensors(a, badLength.manifestCid, { key: badLength.key }), (e: unknown) => e instanceof InvalidSafetensorsError && e.file === "bad.safetensors" && /exceeds/.test(e.message));
    const gap = new Uint8Array(model.shard2);
    const at = Buffer.from(gap).indexOf("[0,");
    gap[at + 1] = "1".charCodeAt(0); // the first tensor's data_offsets start at 1: a gap
    const badTiling = await publish(a, [gap], { owner, segmentSize: TENSOR_SEGMENT });
    await assert.rejects(listTensors(a, badTiling.manifestCid, { key: badTiling.key }), (e: unknown) => e instanceof InvalidSafetensorsError && e.file === null && e.code === "INVALID_SAFETENSORS");
    const text = await publish(a, [Buffer.from("hello")], { owner, segmentSize: TENSOR_SEGMENT });
    await assert.rejects(listTensors(a, text.manifestCid, { key: text.key }), /too short/);
    const plain = await publishDirectory(a, [{ path: "README.md", source: [Buffer.from("# hi")] }], { owner, segmentSize: TENSOR_SEGMENT });
    await assert.rejects(listTensors(a, plain.manifestCid, { key: plain.key }), (e: unknown) => e instanceof NoSafetensorsError && /README\.md/.test(e.message));
    await assert.rejects(listTensors(a, sharded.manifestCid, { key: sharded.key, file: INDEX }), NoSafetensorsError);
    await assert.rejects(listTensors(a, single.manifestCid, { key: single.key, file: SHARD_1 }), NoSafetensorsError);
  });
});

