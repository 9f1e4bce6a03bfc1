import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { hexToBytes } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { identityFromPrivateKey, seal } from "../../crypto/index.js";
import { startApi, type RunningApi } from "../../node/http/server.js";
import { publish } from "../../node/models/publish.js";
import { publishDirectory } from "../../node/models/publish-directory.js";
import { listTensors as nodeListTensors, readTensors as nodeReadTensors } from "../../node/models/tensors.js";
import type { StoragePeer } from "../../node/storage/storage-peer.js";
import { isSdkError, listTensors, readTensor, readTensors, SealedRangeReader } from "../../sdk/index.js";
import { assertBytes, collect } from "../helpers/bytes.js";
import { SHARD_1, SHARD_2, TENSOR_SEGMENT, tensorModel } from "../helpers/tensor-model.js";
import { PeerFixture } from "../node/helpers.js";

const owner = privateKeyToAccount(generatePrivateKey());
const identity = identityFromPrivateKey(hexToBytes(generatePrivateKey()));
const model = tensorModel();

describe("sdk: tensors of encrypted safetensors models through a node's API (Range requests, WebCrypto)", function () {
  this.timeout(60_000);
  const fixture = new PeerFixture();
  let peer: StoragePeer;
  let api: RunningApi;
  let single: Awaited<ReturnType<typeof publish>>;
  let sharded: Awaited<ReturnType<typeof publishDirectory>>;
  const ranges: string[] = [];
  /** Node's fetch, recording the Range of every content request. */
  const recordingFetch = (input: string | URL, init?: RequestInit) => {
    if (String(input).includes("/v1/content/")) ranges.push(String((init?.headers as Record<string, string> | undefined)?.range));
    return fetch(input, init);
  };

  before(async () => {
    peer = await fixture.start();
    api = await startApi({ peer, identity, fetchTimeoutMs: 20_000 });
    single = await publish(peer, [model.single], { owner, segmentSize: TENSOR_SEGMENT });
    sharded = await publishDirectory(peer, [...model.files].map(([path, bytes]) => ({ path, source: [bytes] })), { owner, segmentSize: TENSOR_SEGMENT });
  });
  after(async () => {
    await api?.close();
    await fixture.cleanup();
  });

  it("lists exactly what the Node library lists, for a one-file and a directory model", async () => {
    for (const published of [single, sharded]) {
      const sdk = await listTensors(published.manifestCid.toString(), { nodeUrl: api.url, key: published.key, expectedOwner: owner.address });
      assert.deepEqual(sdk, await nodeListTensors(peer, published.manifestCid, { key: published.key }));
    }
    const one = await listTensors(sharded.manifestCid.toString(), { nodeUrl: api.url, key: sharded.key, file: SHARD_2 });
    assert.deepEqual(one.tensors.map((t) => t.file), Array(10).fill(SHARD_2));
  });

  it("reads one tensor lazily: the Node library's bytes, only its segments requested", async () => {
    ranges.length = 0;
    const loaded = await readTensor(sharded.manifestCid.toString(), "h.1.attn.c_attn.weight", { nodeUrl: api.url, key: sharded.key, fetch: recordingFetch });
    const [expected] = await nodeReadTensors(peer, sharded.manifestCid, ["h.1.attn.c_attn.weight"], { key: sharded.key });
    assert.deepEqual(loaded.info, expected!.info);
    assertBytes(loaded.bytes, expected!.bytes);
    assert.equal(new Float32Array(loaded.bytes.buffer).length, 64 * 64);
    const asked = ranges.map((r) => /bytes=(\d+)-(\d+)/.exec(r)!).reduce((n, m) => n + Number(m[2]) - Number(m[1]) + 1, 0);
    assert.ok(asked < 16 * 1024 + 5 * 1024 + model.index.length + 1024, `${asked} sealed bytes for a 16 KiB tensor`);
    const both = await readTensors(sharded.manifestCid.toString(), ["shared", "mask", "h.0.attn.c_attn.bias"], { nodeUrl: api.url, key: sharded.key });
    assert.deepEqual(both.map((t) => `${t.info.file}:${t.info.name}`), [`${SHARD_1}:h.0.attn.c_attn.bias`, `${SHARD_1}:mask`, `${SHARD_2}:shared`]);
    const fromNode = await nodeReadTensors(peer, sharded.manifestCid, ["shared", "mask", "h.0.attn.c_attn.bias"], { key: sharded.key });
    both.forEach((t, i) => assertBytes(t.bytes, fromNode[i]!.bytes, t.info.name));
    assertBytes((await readTensor(single.manifestCid.toString(), "wte", { nodeUrl: api.url, key: single.key })).bytes, (await nodeReadTensors(peer, single.manifestCid, ["wte"], { key: single.key }))[0]!.bytes);
  });

  it("refuses with typed errors: wrong key, unknown tensor, no safetensors file, a corrupt header", async () => {
    const code = (c: string) => (e: unknown) => isSdkError(e) && e.code === c;
    await assert.rejects(listTensors(single.manifestCid.toString(), { nodeUrl: api.url, key: randomBytes(32) }), code("WRONG_KEY"));
    await assert.rejects(readTensor(single.manifestCid.toString(), "nope", { nodeUrl: api.url, key: single.key }), code("TENSOR_NOT_FOUND"));
    await assert.rejects(listTensors(sharded.manifestCid.toString(), { nodeUrl: api.url, key: sharded.key, file: "config.json" }), code("NO_SAFETENSORS"));
    const corrupt = new Uint8Array(model.shard1);
    corrupt[8] = 0x5b; // the header is a JSON array, not an object
    const bad = await publishDirectory(peer, [{ path: "bad.safetensors", source: [corrupt] }], { owner, segmentSize: TENSOR_SEGMENT });
    await assert.rejects(listTensors(bad.manifestCid.toString(), { nodeUrl: api.url, key: bad.key }), (e: unknown) => code("INVALID_SAFETENSORS")(e) && /"bad\.safetensors"/.test((e as Error).message));
  });

  it("SealedRangeReader: any range equals the plaintext, a tampered frame fails with its index", async () => {
    const key = randomBytes(32);
    const modelId = randomBytes(32);
    const plaintext = randomBytes(30 * 100 + 7);
    const sealed = Buffer.from(await collect(seal([plaintext], { key, modelId, segmentSize: 100 })));
    const read = async (s: number, e: number) => sealed.subarray(s, e);
    const reader = await SealedRangeReader.open({ key, modelId, sealedLength: sealed.length, read, segmentSize: 100, minReadBytes: 1, concurrency: 3 });
    assert.equal(reader.plaintextLength, plaintext.length);
    for (const [s, e] of [[0, 0], [0, 1], [99, 201], [0, plaintext.length], [2950, plaintext.length]] as const) assertBytes(await reader.bytes(s, e), plaintext.subarray(s, e), `[${s}, ${e})`);
    const tampered = Buffer.from(sealed);
    tampered[112 + 5 * 116 + 1]! ^= 1;
    const bad = await SealedRangeReader.open({ key, modelId, sealedLength: sealed.length, read: async (s, e) => tampered.subarray(s, e), minReadBytes: 1 });
    await assert.rejects(bad.bytes(450, 700), (e: unknown) => isSdkError(e, "SEALED_SEGMENT_AUTH") && e.details.segment === 5);
  });
});
