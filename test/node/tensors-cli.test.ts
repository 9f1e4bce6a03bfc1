import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bytesToHex, hexToBytes } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { identityFromPrivateKey } from "../../crypto/index.js";
import { run } from "../../node/cli/index.js";
import { startApi, type RunningApi } from "../../node/http/server.js";
import { publish } from "../../node/models/publish.js";
import { publishDirectory } from "../../node/models/publish-directory.js";
import { listTensors } from "../../node/models/tensors.js";
import type { StoragePeer } from "../../node/storage/storage-peer.js";
import { parseSafetensors, parseSafetensorsHeader, serializeSafetensors } from "../../zkp/safetensors.js";
import { assertBytes } from "../helpers/bytes.js";
import { SHARD_1, SHARD_2, TENSOR_SEGMENT, tensorModel } from "../helpers/tensor-model.js";
import { MemoryIo } from "./fixtures/cli.js";
import { PeerFixture } from "./helpers.js";

const owner = privateKeyToAccount(generatePrivateKey());
const identity = identityFromPrivateKey(hexToBytes(generatePrivateKey()));
const model = tensorModel();

async function cli(args: string[]): Promise<{ code: number; io: MemoryIo }> {
  const io = new MemoryIo({});
  return { code: await run(args, io), io };
}

/** A pass-through proxy in front of the API that records every Range asked of /v1/content. */
function rangeRecorder(target: string): Promise<{ url: string; ranges: string[]; server: Server }> {
  const ranges: string[] = [];
  const server = createServer((req, res) => {
    if (req.url?.startsWith("/v1/content/")) ranges.push(`${req.url.split("?")[0]!.slice(12)} ${req.headers.range ?? "whole"}`);
    const upstream = request(new URL(req.url!, target), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, ranges, server })));
}

/** Sealed bytes a Range list asks for. */
const rangeBytes = (ranges: string[]) => ranges.reduce((n, r) => {
  const m = /bytes=(\d+)-(\d+)$/.exec(r);
  assert.ok(m !== null, `a whole-file request: ${r}`);
  return n + Number(m[2]) - Number(m[1]) + 1;
}, 0);

describe("CLI: tensors and fetch --tensor over the node's API", function () {
  this.timeout(60_000);
  const fixture = new PeerFixture();
  let peer: StoragePeer;
  let api: RunningApi;
  let proxy: Awaited<ReturnType<typeof rangeRecorder>>;
  let dir: string;
  let single: Awaited<ReturnType<typeof publish>>;
  let sharded: Awaited<ReturnType<typeof publishDirectory>>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mv-tensors-cli-"));
    peer = await fixture.start();
    api = await startApi({ peer, identity, fetchTimeoutMs: 20_000 });
    proxy = await rangeRecorder(api.url);
    single = await publish(peer, [model.single], { owner, segmentSize: TENSOR_SEGMENT });
    sharded = await publishDirectory(peer, [...model.files].map(([path, bytes]) => ({ path, source: [bytes] })), { owner, segmentSize: TENSOR_SEGMENT });
  });
  after(async () => {
    proxy?.server.close();
    await api?.close();
    await fixture.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it("tensors --json lists what the library lists, reading only the header segments", async () => {
    for (const published of [single, sharded]) {
      proxy.ranges.length = 0;
      const result = await cli(["tensors", published.manifestCid.toString(), "--key", bytesToHex(published.key), "--api", proxy.url, "--json"]);
      assert.equal(result.code, 0, result.io.err);
      const listing = result.io.json<{ tensors: unknown[]; files: unknown[]; metadata: unknown }>();
      assert.deepEqual(listing, JSON.parse(JSON.stringify(await listTensors(peer, published.manifestCid, { key: published.key }))));
      // One request per safetensors file for the header and frame 0, one more for the rest of a long header.
      const sealedHeaders = published === single ? 1 : 2;
      assert.ok(proxy.ranges.length <= 2 * sealedHeaders, proxy.ranges.join("; "));
      assert.ok(proxy.ranges.every((r) => r.startsWith(published === single ? single.contentCid.toString() : "")));
      const headerEnd = published === single ? parseSafetensorsHeader(model.single).dataStart : parseSafetensorsHeader(model.shard1).dataStart + parseSafetensorsHeader(model.shard2).dataStart;
      assert.ok(rangeBytes(proxy.ranges) <= 112 * sealedHeaders + headerEnd + sealedHeaders * 2 * 1024, `${rangeBytes(proxy.ranges)} sealed bytes for headers of ${headerEnd}`);
    }
    const text = await cli(["tensors", sharded.manifestCid.toString(), SHARD_2, "--key", bytesToHex(sharded.key), "--api", api.url]);
    assert.equal(text.code, 0, text.io.err);
    assert.match(text.io.out, /^NAME\s+DTYPE\s+SHAPE\s+BYTES\s+FILE\s+DATA OFFSETS$/m);
    assert.match(text.io.out, /^h\.1\.ln\.weight\s+F64\s+\[64\]\s+512\s+model-00002-of-00002\.safetensors\s+\d+-\d+$/m);
    assert.match(text.io.out, /^10 tensors$/m);
  });

  it("fetch --tensor (names and globs) writes the tensors' safetensors file, asking only for their segments", async () => {
    const out = join(dir, "attn.safetensors");
    proxy.ranges.length = 0;
    const result = await cli(["fetch", sharded.manifestCid.toString(), "--tensor", "h.1.ln.weight", "--tensor", "h.*.attn.c_attn.bias", "-o", out, "--key", bytesToHex(sharded.key), "--api", proxy.url, "--json", "--progress", "json"]);
    assert.equal(result.code, 0, result.io.err);
    const written = parseSafetensors(await readFile(out));
    assert.deepEqual([...written.tensors.keys()], ["h.0.attn.c_attn.bias", "h.1.ln.weight"]);
    const expected = serializeSafetensors(
      new Map([
        ["h.0.attn.c_attn.bias", parseSafetensors(model.shard1).tensors.get("h.0.attn.c_attn.bias")!],
        ["h.1.ln.weight", parseSafetensors(model.shard2).tensors.get("h.1.ln.weight")!],
      ]),
      { format: "pt", note: "n".repeat(2500), origin: "second" },
    );
    assertBytes(await readFile(out), expected);
    const summary = result.io.json<{ bytes: number; tensors: { name: string; file: string }[] }>();
    assert.equal(summary.bytes, expected.length);
    assert.deepEqual(summary.tensors.map((t) => t.file), [SHARD_1, SHARD_2]);
    const lines = result.io.err.trim().split("\n").map((l) => JSON.parse(l) as { progress: string; bytes: number; totalBytes: number; file?: string });
    assert.equal(lines.at(-1)!.bytes, lines.at(-1)!.totalBytes);
    assert.ok(lines.every((l) => l.progress === "fetch" && (l.file === SHARD_1 || l.file === SHARD_2)));
    // The index, both headers, the two tensors: a small part of the model's sealed bytes.
    assert.ok(rangeBytes(proxy.ranges) < sharded.signed.manifest.sealedSize / 3, `${rangeBytes(proxy.ranges)} of ${sharded.signed.manifest.sealedSize}`);

    const fromOne = join(dir, "wte.safetensors");
    const one = await cli(["fetch", single.manifestCid.toString(), "--tensor", "wte", "-o", fromOne, "--key", bytesToHex(single.key), "--api", api.url]);
    assert.equal(one.code, 0, one.io.err);
    assert.match(one.io.out, /^wrote\s+.*wte\.safetensors \(1 tensor, \d+ bytes\)$/m);
    assertBytes(parseSafetensors(await readFile(fromOne)).tensors.get("wte")!.bytes, parseSafetensors(model.single).tensors.get("wte")!.bytes);
  });

  it("refuses unknown tensors (usage, naming some), outputs in the way, --include with --tensor", async () => {
    const key = bytesToHex(sharded.key);
    const cid = sharded.manifestCid.toString();
    const out = join(dir, "never.safetensors");
    const missing = await cli(["fetch", cid, "--tensor", "nope", "-o", out, "--key", key, "--api", api.url]);
    assert.equal(missing.code, 2, missing.io.err);
    assert.match(missing.io.err, /no tensor matches "nope"; some tensors: h\.0\.attn/);
    await writeFile(out, "x");
    const exists = await cli(["fetch", cid, "--tensor", "wte", "-o", out, "--key", key, "--api", api.url]);
    assert.equal(exists.code, 2, exists.io.err); // OutputError is a usage error of the CLI
    assert.match(exists.io.err, /\[OUTPUT_EXISTS\]/);
    const forced = await cli(["fetch", cid, "--tensor", "wte", "-o", out, "--key", key, "--api", api.url, "--force"]);
    assert.equal(forced.code, 0, forced.io.err);
    const toDir = await cli(["fetch", cid, "--tensor", "wte", "-o", dir, "--key", key, "--api", api.url]);
    assert.match(toDir.io.err, /\[OUTPUT_IS_A_DIRECTORY\]/);
    const both = await cli(["fetch", cid, "--tensor", "wte", "--include", "*.json", "-o", out, "--key", key, "--api", api.url]);
    assert.equal(both.code, 2, both.io.err);
    const noFile = await cli(["tensors", cid, "config.json", "--key", key, "--api", api.url]);
    assert.match(noFile.io.err, /not a \.safetensors file \[NO_SAFETENSORS\]/);
  });
});
