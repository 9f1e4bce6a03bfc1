import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { bytesToHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { WrongKeyError } from "../../crypto/index.js";
import { run } from "../../node/cli/index.js";
import { accessModel } from "../../node/custody/licensee.js";
import { publishWithCustody } from "../../node/custody/owner.js";
import { NoFilesSelectedError, NotADirectoryModelError, OutputExistsError, OutputNotADirectoryError } from "../../node/errors.js";
import { FETCH_STATE_DIR, selectFiles } from "../../node/models/directory-output.js";
import { fetchDirectory } from "../../node/models/fetch-directory.js";
import { publish } from "../../node/models/publish.js";
import { publishDirectory, type PublishDirectoryResult } from "../../node/models/publish-directory.js";
import type { StoragePeer } from "../../node/storage/storage-peer.js";
import { assertBytes } from "../helpers/bytes.js";
import { MemoryIo, TEST_SCRYPT_N } from "./fixtures/cli.js";
import { CustodyWorld } from "./fixtures/custody.js";
import { PeerFixture } from "./helpers.js";

const PASSWORD = "correct horse battery staple";
const SEGMENT = 4096;
const owner = privateKeyToAccount(generatePrivateKey());

/** A small Hugging Face-style repository: config, tokenizer, two shards (one nested) and their index, an empty file. */
function hfFiles(): Map<string, Buffer> {
  return new Map([
    ["config.json", Buffer.from(JSON.stringify({ model_type: "gpt2", n_layer: 2 }))],
    ["model-00001-of-00002.safetensors", randomBytes(3 * SEGMENT + 100)],
    ["weights/model-00002-of-00002.safetensors", randomBytes(2 * SEGMENT + 5)],
    ["model.safetensors.index.json", Buffer.from(JSON.stringify({ weight_map: { a: "model-00001-of-00002.safetensors", b: "weights/model-00002-of-00002.safetensors" } }))],
    ["tokenizer/tokenizer.json", Buffer.from(JSON.stringify({ version: "1.0" }))],
    ["tokenizer/vocab.txt", Buffer.from("a\nb\nc\n")],
    ["empty.txt", Buffer.alloc(0)],
  ]);
}

async function cli(args: string[]): Promise<{ code: number; io: MemoryIo }> {
  const io = new MemoryIo({ MODELVAULT_PASSWORD: PASSWORD });
  return { code: await run(args, io), io };
}

function assertFailed(result: { code: number; io: MemoryIo }, exitCode: number, pattern: RegExp): void {
  assert.equal(result.code, exitCode, `exit code; stderr: ${result.io.err}`);
  assert.match(result.io.err, pattern);
  assert.equal(result.io.err.trim().split("\n").length, 1, `one line: ${result.io.err}`);
}

/** Every file under `dir`, relative, "/"-separated (symbolic links listed, not followed). */
async function listTree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = prefix + entry.name;
    if (entry.isDirectory()) out.push(...(await listTree(join(dir, entry.name), `${path}/`)));
    else out.push(path);
  }
  return out.sort();
}

async function assertTree(dir: string, expected: Map<string, Buffer>, what: string): Promise<void> {
  assert.deepEqual(await listTree(dir), [...expected.keys()].sort(), `${what}: the files written`);
  for (const [path, bytes] of expected) assertBytes(await readFile(join(dir, path)), bytes, `${what}: ${path}`);
}

const subset = (files: Map<string, Buffer>, paths: string[]) => new Map(paths.map((p) => [p, files.get(p)!]));

/**
 * A proxy in front of a node's API that records every GET /v1/content/<cid> and can cut the
 * response of the n-th one (0-based) after its first bytes, as a node going away mid-transfer does.
 */
class ContentProxy {
  readonly content: string[] = [];
  cutAt: number | undefined;
  #server!: Server;
  url = "";

  static async start(target: string): Promise<ContentProxy> {
    const proxy = new ContentProxy();
    proxy.#server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", target);
      let cut = false;
      if (url.pathname.startsWith("/v1/content/")) {
        const n = proxy.content.push(url.pathname.slice("/v1/content/".length)) - 1;
        cut = proxy.cutAt !== undefined && n >= proxy.cutAt;
      }
      const upstream = httpRequest(url, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (!cut) return void answer.pipe(res);
        answer.once("data", (chunk: Buffer) => {
          res.write(chunk.subarray(0, Math.max(1, chunk.length >> 1)));
          setTimeout(() => (res.destroy(), answer.destroy()), 20);
        });
      });
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.#server.listen(0, "127.0.0.1", resolve));
    proxy.url = `http://127.0.0.1:${(proxy.#server.address() as AddressInfo).port}`;
    return proxy;
  }

  reset(): void {
    this.content.length = 0;
    this.cutAt = undefined;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

describe("directory fetch: --include/--exclude patterns", () => {
  const files = [...hfFiles().keys(), ".hidden/x.json"].map((path) => ({ path }));
  const pick = (include?: string[], exclude?: string[]) => selectFiles(files, { include, exclude }).map((f) => f.path);

  it("a pattern without / matches a component anywhere (base names, directories); with / the path from the root", () => {
    assert.deepEqual(pick(["*.safetensors"]), ["model-00001-of-00002.safetensors", "weights/model-00002-of-00002.safetensors"]);
    assert.deepEqual(pick(["tokenizer"]), ["tokenizer/tokenizer.json", "tokenizer/vocab.txt"]);
    assert.deepEqual(pick(["tokenizer/"]), ["tokenizer/tokenizer.json", "tokenizer/vocab.txt"], "a trailing / matches directories");
    assert.throws(() => pick(["tokenizer.json/"]), NoFilesSelectedError, "a trailing / never matches a file");
    assert.deepEqual(pick(["/config.json"]), ["config.json"], "a leading / anchors");
    assert.deepEqual(pick(["weights/*"]), ["weights/model-00002-of-00002.safetensors"]);
    assert.deepEqual(pick(["*/*.json"]), ["tokenizer/tokenizer.json", ".hidden/x.json"]);
    assert.deepEqual(pick(["*.json"], ["tokenizer"]), ["config.json", "model.safetensors.index.json", ".hidden/x.json"], "dot: true; exclude wins");
    assert.deepEqual(pick(undefined, ["*.safetensors", "empty.txt", ".*"]), ["config.json", "model.safetensors.index.json", "tokenizer/tokenizer.json", "tokenizer/vocab.txt"]);
    assert.deepEqual(pick(["**/*.safetensors"]), ["model-00001-of-00002.safetensors", "weights/model-00002-of-00002.safetensors"]);
  });

  it("a selection of no file, or an empty pattern, is NO_FILES_SELECTED listing the model's paths", () => {
    assert.throws(() => pick(["*.bin"]), (error: unknown) => {
      assert.ok(error instanceof NoFilesSelectedError);
      assert.equal(error.code, "NO_FILES_SELECTED");
      assert.match(error.message, /--include \*\.bin selects no file; the model's files: config\.json, model-00001/);
      return true;
    });
    assert.throws(() => pick(undefined, ["*"]), NoFilesSelectedError);
    assert.throws(() => pick(["/"]), /empty pattern/);
  });
});

describe("directory fetch: CLI through the API of a node peered with the publisher", function () {
  this.timeout(120_000);
  const fixture = new PeerFixture();
  const files = hfFiles();
  const oneFile = randomBytes(2 * SEGMENT + 7);
  let a: StoragePeer;
  let dir: string;
  let stopNode: AbortController;
  let nodeRun: Promise<number>;
  let nodeIo: MemoryIo;
  let proxy: ContentProxy;
  let published: PublishDirectoryResult;
  let key: string;
  let single: { manifestCid: string; key: string };
  const fetchArgs = (output: string, ...more: string[]) => ["fetch", published.manifestCid.toString(), "-o", output, "--key", key, "--api", proxy.url, "--timeout", "20000", ...more];
  const cidOf = (path: string) => published.signed.manifest.files.find((f) => f.path === path)!.cid.toString();

  before(async () => {
    a = await fixture.start();
    published = await publishDirectory(a, [...files].map(([path, bytes]) => ({ path, source: [bytes] })), { owner, segmentSize: SEGMENT, name: "tiny-hf" });
    key = bytesToHex(published.key);
    const one = await publish(a, [oneFile], { owner, segmentSize: SEGMENT });
    single = { manifestCid: one.manifestCid.toString(), key: bytesToHex(one.key) };

    dir = await mkdtemp(join(tmpdir(), "mv-dirfetch-"));
    const nodeDir = join(dir, "node");
    assert.equal((await cli(["node", "init", "--data-dir", nodeDir, "--scrypt-n", TEST_SCRYPT_N, "--json"])).code, 0);
    stopNode = new AbortController();
    nodeIo = new MemoryIo({ MODELVAULT_PASSWORD: PASSWORD, MODELVAULT_LISTEN: "/ip4/127.0.0.1/tcp/0" }, stopNode.signal);
    nodeRun = run(["node", "start", "--data-dir", nodeDir, "--api-port", "0", "--peer", a.addresses[0]!.toString(), "--json"], nodeIo);
    for (let i = 0; i < 300 && !nodeIo.out.includes("\n"); i++) {
      const early = await Promise.race([nodeRun, new Promise((resolve) => setTimeout(resolve, 100, "waiting"))]);
      if (early !== "waiting") throw new Error(`node start ended early (${String(early)}): ${nodeIo.err}`);
    }
    proxy = await ContentProxy.start(nodeIo.json<{ api: string }>().api);
  });

  beforeEach(() => proxy?.reset());

  after(async () => {
    await proxy?.close();
    stopNode?.abort();
    if (nodeRun !== undefined) assert.equal(await nodeRun, 0, nodeIo.err);
    await fixture.cleanup();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("fetch -o DIR writes every file byte for byte (parents created), one request per file, progress as JSON lines", async () => {
    const out = join(dir, "all", "nested", "model");
    const result = await cli(fetchArgs(out, "--json", "--progress", "json"));
    assert.equal(result.code, 0, result.io.err);
    await assertTree(out, files, "whole directory");
    const summary = result.io.json<{ bytes: number; fetchedBytes: number; files: { path: string; bytes: number; resumed: boolean }[]; output: string }>();
    const total = [...files.values()].reduce((n, b) => n + b.length, 0);
    assert.equal(summary.bytes, total);
    assert.equal(summary.fetchedBytes, total);
    assert.deepEqual(summary.files.map((f) => f.path), [...files.keys()]);
    assert.ok(summary.files.every((f) => !f.resumed && f.bytes === files.get(f.path)!.length));
    assert.deepEqual([...proxy.content].sort(), [...files.keys()].map(cidOf).sort(), "each file's CID requested once");
    assert.equal((await stat(join(out, "config.json"))).mode & 0o777, 0o600);

    const lines = result.io.err.trim().split("\n").map((line) => JSON.parse(line) as { progress: string; bytes: number; totalBytes: number; file?: string });
    assert.ok(lines.length >= 1);
    for (const line of lines) {
      assert.equal(line.progress, "fetch");
      assert.equal(line.totalBytes, total);
      assert.ok(line.file !== undefined && files.has(line.file), `file detail: ${line.file}`);
    }
    assert.equal(lines.at(-1)!.bytes, total, "the last line is at the total");
    for (let i = 1; i < lines.length; i++) assert.ok(lines[i]!.bytes >= lines[i - 1]!.bytes, "bytes never decrease");
  });

  it("--include/--exclude fetch only the selection (a nested shard matched by *.safetensors); no match is a usage error", async () => {
    const shards = join(dir, "shards");
    const result = await cli(fetchArgs(shards, "--include", "*.safetensors", "--json"));
    assert.equal(result.code, 0, result.io.err);
    const wanted = ["model-00001-of-00002.safetensors", "weights/model-00002-of-00002.safetensors"];
    await assertTree(shards, subset(files, wanted), "shards only");
    assert.deepEqual([...proxy.content].sort(), wanted.map(cidOf).sort(), "only the selection is requested");

    const rest = join(dir, "no-weights");
    const excluded = await cli(fetchArgs(rest, "--exclude", "*.safetensors", "--exclude", "tokenizer", "--include", "*.json", "--include", "*.txt"));
    assert.equal(excluded.code, 0, excluded.io.err);
    await assertTree(rest, subset(files, ["config.json", "model.safetensors.index.json", "empty.txt"]), "json and txt files outside tokenizer/");
    assert.match(excluded.io.out, /^wrote\s+.*no-weights \(3 files, \d+ bytes\)$/m);

    proxy.reset();
    assertFailed(await cli(fetchArgs(join(dir, "none"), "--include", "*.bin")), 2, /--include \*\.bin selects no file; the model's files: config\.json, .*\[NO_FILES_SELECTED\]/);
    await assert.rejects(stat(join(dir, "none")), /ENOENT/, "nothing created");
    assertFailed(await cli(fetchArgs(join(dir, "none"), "--file", "config.json")), 2, /--file goes with --tensor/);
    const wrongKey = fetchArgs(join(dir, "none"));
    wrongKey[wrongKey.indexOf(key)] = "0x" + "11".repeat(32);
    assertFailed(await cli(wrongKey), 1, /\[SEALED_WRONG_KEY\]/);
    await assert.rejects(stat(join(dir, "none")), /ENOENT/, "nothing created");
    assert.deepEqual(proxy.content, [], "no content requested");
  });

  it("-o checks come before any content request: a directory model needs a directory, a one-file model a file", async () => {
    const file = join(dir, "a-file");
    await writeFile(file, "mine");
    assertFailed(await cli(fetchArgs(file)), 2, /a-file" exists and is not a directory.*\[OUTPUT_NOT_A_DIRECTORY\]/);
    assert.equal(await readFile(file, "utf8"), "mine");

    const singleArgs = (output: string, ...more: string[]) => ["fetch", single.manifestCid, "-o", output, "--key", single.key, "--api", proxy.url, ...more];
    const existingDir = join(dir, "a-dir");
    await mkdir(existingDir);
    assertFailed(await cli(singleArgs(existingDir)), 2, /is a directory \(a one-file model is written to a file: name the file\) \[OUTPUT_IS_A_DIRECTORY\]/);
    assertFailed(await cli(singleArgs(join(dir, "out") + "/")), 2, /\[OUTPUT_IS_A_DIRECTORY\]/);
    assertFailed(await cli(singleArgs(join(dir, "missing", "model.bin"))), 2, /missing" is not an existing directory \[OUTPUT_PARENT_MISSING\]/);
    assertFailed(await cli(singleArgs(file)), 2, /a-file" already exists: pass --force .*\[OUTPUT_EXISTS\]/);
    assertFailed(await cli(singleArgs(join(dir, "x.bin"), "--include", "*")), 2, /--include is for directory models/);
    assert.deepEqual(proxy.content, [], "no content requested by any refused fetch");
    assert.deepEqual(await readdir(existingDir), []);

    // A format-1 (one-file) manifest still fetches; with --force over an existing file.
    const fresh = join(dir, "single.bin");
    const fetched = await cli(singleArgs(fresh, "--json", "--progress", "json"));
    assert.equal(fetched.code, 0, fetched.io.err);
    assertBytes(await readFile(fresh), oneFile, "one-file model");
    const last = JSON.parse(fetched.io.err.trim().split("\n").at(-1)!) as { progress: string; bytes: number; totalBytes: number };
    assert.deepEqual(last, { progress: "fetch", bytes: oneFile.length, totalBytes: oneFile.length });
    const forced = await cli(singleArgs(file, "--force"));
    assert.equal(forced.code, 0, forced.io.err);
    assertBytes(await readFile(file), oneFile, "overwritten with --force");
  });

  it("existing files are not overwritten without --force (named), and are with it; other files are left alone", async () => {
    const out = join(dir, "existing");
    await mkdir(join(out, "tokenizer"), { recursive: true });
    await writeFile(join(out, "config.json"), "my config");
    await writeFile(join(out, "tokenizer", "vocab.txt"), "my vocab");
    await writeFile(join(out, "README.md"), "not in the model");
    assertFailed(await cli(fetchArgs(out)), 2, /existing\/config\.json", ".*existing\/tokenizer\/vocab\.txt" already exist: pass --force.*\[OUTPUT_EXISTS\]/);
    assert.equal(await readFile(join(out, "config.json"), "utf8"), "my config");
    assert.deepEqual(proxy.content, []);
    // A selection that does not touch them needs no --force.
    assert.equal((await cli(fetchArgs(out, "--include", "*.safetensors"))).code, 0);

    const forced = await cli(fetchArgs(out, "--force"));
    assert.equal(forced.code, 0, forced.io.err);
    await assertTree(out, new Map([...files, ["README.md", Buffer.from("not in the model")]]), "forced");
  });

  it("resume: a fetch cut after two files keeps them; the rerun fetches only the rest, and refetches a tampered one", async () => {
    const out = join(dir, "resumed");
    const order = published.signed.manifest.files.map((f) => f.path);
    proxy.cutAt = 2;
    const cut = await cli(fetchArgs(out));
    assertFailed(cut, 1, /\[CONTENT_INTERRUPTED\]/);
    assert.deepEqual(await listTree(out), [`${FETCH_STATE_DIR}/journal.json`, order[0]!, order[1]!].sort(), "two files done, the third discarded, the journal kept");
    const journal = JSON.parse(await readFile(join(out, FETCH_STATE_DIR, "journal.json"), "utf8")) as { manifestCid: string; done: Record<string, unknown> };
    assert.equal(journal.manifestCid, published.manifestCid.toString());
    assert.deepEqual(Object.keys(journal.done).sort(), [order[0]!, order[1]!].sort());

    // The second file is damaged on disk: same size, one byte changed.
    const second = join(out, order[1]!);
    const damaged = Buffer.from(await readFile(second));
    damaged.writeUInt8(damaged.readUInt8(damaged.length >> 1) ^ 1, damaged.length >> 1);
    await writeFile(second, damaged);

    proxy.reset();
    const rerun = await cli(fetchArgs(out, "--json"));
    assert.equal(rerun.code, 0, rerun.io.err);
    await assertTree(out, files, "after resuming");
    assert.ok(!proxy.content.includes(cidOf(order[0]!)), "the completed file is not fetched again");
    assert.deepEqual([...proxy.content].sort(), order.slice(1).map(cidOf).sort(), "the tampered file and the rest are fetched");
    const summary = rerun.io.json<{ fetchedBytes: number; files: { path: string; resumed: boolean }[] }>();
    assert.deepEqual(summary.files.filter((f) => f.resumed).map((f) => f.path), [order[0]]);
    assert.equal(summary.fetchedBytes, [...files].filter(([p]) => p !== order[0]).reduce((n, [, b]) => n + b.length, 0));
    await assert.rejects(lstat(join(out, FETCH_STATE_DIR)), /ENOENT/, "the journal is removed once the fetch completed");

    // Without a journal the same files are existing output again.
    assertFailed(await cli(fetchArgs(out)), 2, /\[OUTPUT_EXISTS\]/);
  });

  it("a symbolic link planted in the output is refused, with or without --force, and nothing is written outside", async () => {
    const outside = join(dir, "outside");
    await mkdir(outside);
    await writeFile(join(outside, "victim"), "untouched");
    const out = join(dir, "planted");
    await mkdir(out);
    await symlink(outside, join(out, "tokenizer"));
    assertFailed(await cli(fetchArgs(out)), 2, /refusing to write "tokenizer\/tokenizer\.json": "tokenizer" in the output directory is a symbolic link \[OUTPUT_UNSAFE_PATH\]/);
    assertFailed(await cli(fetchArgs(out, "--force")), 2, /\[OUTPUT_UNSAFE_PATH\]/);
    await rm(join(out, "tokenizer"));
    await symlink(join(outside, "victim"), join(out, "config.json"));
    assertFailed(await cli(fetchArgs(out, "--force")), 2, /"config\.json" in the output directory is a symbolic link \[OUTPUT_UNSAFE_PATH\]/);
    await rm(join(out, "config.json"));
    await symlink(outside, join(out, FETCH_STATE_DIR));
    assertFailed(await cli(fetchArgs(out, "--force")), 2, /\[OUTPUT_UNSAFE_PATH\]/);
    assert.deepEqual(proxy.content, [], "refused before any content request");
    assert.deepEqual(await listTree(outside), ["victim"]);
    assert.equal(await readFile(join(outside, "victim"), "utf8"), "untouched");
    assert.deepEqual(await listTree(out), [FETCH_STATE_DIR], "only the planted link");
  });
});

describe("directory fetch: library fetchDirectory from a StoragePeer", function () {
  this.timeout(60_000);
  const fixture = new PeerFixture();
  after(() => fixture.cleanup());

  it("round trips byte for byte from another peer, with a selection, progress, OUTPUT_EXISTS and force", async () => {
    const files = hfFiles();
    const a = await fixture.start();
    const published = await publishDirectory(a, [...files].map(([path, bytes]) => ({ path, source: [bytes] })), { owner, segmentSize: SEGMENT });
    const b = await fixture.start({ peers: a.addresses.map(String) });
    const out = join(await fixture.dataDir(), "model");

    const progress: { bytes: number; totalBytes: number; file: string }[] = [];
    const result = await fetchDirectory(b, published.manifestCid, out, { key: published.key, expectedOwner: owner.address, timeoutMs: 20_000, onProgress: (p) => progress.push({ ...p }) });
    await assertTree(out, files, "library fetch");
    assert.equal(result.totalBytes, published.signed.manifest.plaintextSize);
    assert.equal(result.manifestCid, published.manifestCid.toString());
    assert.equal(progress.at(-1)!.bytes, result.totalBytes);
    assert.ok(result.stats !== undefined);

    await assert.rejects(fetchDirectory(b, published.manifestCid, out, { key: published.key }), OutputExistsError);
    const shards = join(await fixture.dataDir(), "shards");
    const some = await fetchDirectory(b, published.signed, shards, { key: published.key, include: ["*.safetensors"] });
    assert.deepEqual(some.files.map((f) => f.path), ["model-00001-of-00002.safetensors", "weights/model-00002-of-00002.safetensors"]);
    await assertTree(shards, subset(files, ["model-00001-of-00002.safetensors", "weights/model-00002-of-00002.safetensors"]), "library selection");

    await writeFile(join(out, "config.json"), "changed");
    await fetchDirectory(b, published.manifestCid, out, { key: published.key, force: true });
    await assertTree(out, files, "forced");

    const notDir = join(dirname(out), "file");
    await writeFile(notDir, "x");
    await assert.rejects(fetchDirectory(b, published.manifestCid, notDir, { key: published.key }), OutputNotADirectoryError);
    await assert.rejects(fetchDirectory(b, published.manifestCid, join(dirname(out), "w"), { key: randomBytes(32) }), WrongKeyError);
    const one = await publish(a, [randomBytes(100)], { owner });
    await assert.rejects(fetchDirectory(a, one.manifestCid, join(dirname(out), "one"), { key: one.key }), NotADirectoryModelError);
  });
});

describe("directory fetch: library accessModel of a directory model (custody on the Hardhat EVM)", function () {
  this.timeout(120_000);
  let world: CustodyWorld;
  after(() => world?.cleanup());

  it("checks the output before spending a ticket, then writes the selected files", async () => {
    world = await CustodyWorld.create({ custodians: 2 });
    const files = hfFiles();
    const published = await publishWithCustody(world.owner.peer, { directory: [...files].map(([path, bytes]) => ({ path, source: [bytes] })) }, {
      owner: world.owner.identity.account,
      chain: world.owner.chain,
      custodians: world.custodianAddresses,
      threshold: 2,
      terms: { price: 10n ** 15n, duration: 0, maxUses: 2, minStake: 0n, carryOver: false },
      segmentSize: SEGMENT,
    });
    const { licensee } = world;
    const base = await world.dataDir();
    const taken = join(base, "taken");
    await writeFile(taken, "a file where the directory should go");
    const access = (path: string, more: Partial<Parameters<typeof accessModel>[2]> = {}) =>
      accessModel(licensee.peer, path, { chain: licensee.chain, modelId: published.chainModelId, buy: true, ...more });
    await assert.rejects(access(taken), OutputNotADirectoryError);
    await assert.rejects(access(join(base, "x"), { include: ["*.bin"] }), NoFilesSelectedError);
    assert.equal(await licensee.chain.contracts.vault.read.hasAccess([published.chainModelId, licensee.identity.address]), false, "nothing bought for a refused output");

    const out = join(base, "accessed");
    const result = await access(out, { include: ["*.json"], exclude: ["tokenizer"] });
    assert.deepEqual(result.files?.map((f) => f.path), ["config.json", "model.safetensors.index.json"]);
    await assertTree(out, subset(files, ["config.json", "model.safetensors.index.json"]), "accessed selection");
    await assert.rejects(access(out), OutputExistsError, "the second use of the licence is not spent on an existing output");
    const all = await access(out, { force: true });
    assert.equal(all.plaintextSize, published.signed.manifest.plaintextSize);
    await assertTree(out, files, "accessed, all files");
  });
});
