import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { appendFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { hexToBytes } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { identityFromPrivateKey, TAG_LENGTH } from "../../crypto/index.js";
import { MAX_DIRECTORY_FILES } from "../../crypto/directory.js";
import { run } from "../../node/cli/index.js";
import { tarEntries } from "../../node/http/directory-upload.js";
import { startApi, type RunningApi } from "../../node/http/server.js";
import { fetchDirectoryFile, readManifest } from "../../node/models/fetch.js";
import { isDirectoryManifest } from "../../node/models/manifest.js";
import type { StoragePeer } from "../../node/storage/storage-peer.js";
import { assertBytes, chunked, collect } from "../helpers/bytes.js";
import { MemoryIo } from "./fixtures/cli.js";
import { hfDirectory, tarItemsOf, tarOf, writeTree } from "./fixtures/hf-directory.js";
import { PeerFixture } from "./helpers.js";

const identity = identityFromPrivateKey(hexToBytes(generatePrivateKey()));
const SEGMENT = 4096 - TAG_LENGTH;
const BODY_LIMIT = 256 * 1024;

interface Published {
  manifestCid: string;
  contentCid: string;
  key: string;
  manifest: { format: string; files: { path: string; cid: string }[] };
  files: { path: string; plaintextSize: number; sealedSize: number; cid: string }[];
}

interface JsonError {
  error: { code: string; message: string };
}

/** A POST of raw bytes as one request body (with Content-Length). */
const postTar = (api: RunningApi, body: Uint8Array, query = `?segmentSize=${SEGMENT}`) =>
  fetch(`${api.url}/v1/models${query}`, { method: "POST", headers: { "content-type": "application/x-tar" }, body });

async function expectError(response: Response, status: number, code: string, message?: RegExp): Promise<void> {
  const body = (await response.json()) as JsonError;
  assert.equal(response.status, status, `status of ${JSON.stringify(body)}`);
  assert.equal(body.error.code, code, body.error.message);
  if (message !== undefined) assert.match(body.error.message, message);
}

/** A chunked POST written piece by piece; `abortAfter` pieces, then the socket is destroyed. */
function postChunked(url: string, pieces: Buffer[], abortAfter?: number): Promise<{ status: number; body: string } | "aborted"> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: "POST", headers: { "content-type": "application/x-tar" } }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (part: Buffer) => parts.push(part));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
      res.on("error", reject);
    });
    req.on("error", (error) => (abortAfter === undefined ? reject(error) : resolve("aborted")));
    const write = (i: number) => {
      if (i === abortAfter) {
        req.destroy();
        return resolve("aborted");
      }
      if (i === pieces.length) return req.end();
      if (req.destroyed) return;
      req.write(pieces[i]!, () => setImmediate(() => write(i + 1)));
    };
    write(0);
  });
}

/** Every file of the published manifest decrypts to the bytes it came from. */
async function assertDecrypts(peer: StoragePeer, published: Pick<Published, "manifestCid" | "key">, files: Map<string, Buffer>): Promise<void> {
  const signed = await readManifest(peer, published.manifestCid, { expectedOwner: identity.address });
  assert.ok(isDirectoryManifest(signed.manifest));
  assert.deepEqual(new Set(signed.manifest.files.map((f) => f.path)), new Set(files.keys()));
  for (const [path, bytes] of files) {
    assertBytes(await collect(fetchDirectoryFile(peer, signed, path, { key: hexToBytes(published.key as `0x${string}`) })), bytes, path);
  }
}

describe("directory models over the API (tar) and the CLI", function () {
  this.timeout(60_000);
  const fixture = new PeerFixture();
  let peer: StoragePeer;
  let api: RunningApi;
  let dir: string;
  const pins = async () => ((await (await fetch(`${api.url}/v1/pins`)).json()) as { pins: unknown[] }).pins.length;
  const healthy = async () => assert.equal((await fetch(`${api.url}/health`)).status, 200, "the node keeps serving");

  before(async () => {
    peer = await fixture.start();
    api = await startApi({ peer, identity, bodyLimit: BODY_LIMIT, fetchTimeoutMs: 10_000 });
    dir = await mkdtemp(join(tmpdir(), "mv-dir-upload-"));
  });
  after(async () => {
    await api?.close();
    await fixture.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it("POST /v1/models with a tar publishes the directory as one version; every file decrypts byte for byte", async () => {
    const files = hfDirectory();
    // A long nested path and a non-ASCII name: pax headers.
    files.set(`onnx/${"deep/".repeat(30)}model.onnx`, Buffer.from("onnx bytes"));
    files.set("tokenizer/vocabulaire-é.txt", Buffer.from("é"));
    const response = await postTar(api, await tarOf(tarItemsOf(files)), `?segmentSize=${SEGMENT}&name=tiny-hf`);
    assert.equal(response.status, 201, await response.clone().text());
    const published = (await response.json()) as Published;
    assert.equal(published.manifest.format, "modelvault/manifest/2");
    assert.match(published.key, /^0x[0-9a-f]{64}$/);
    assert.deepEqual(published.files.map((f) => f.path), [...files.keys()], "archive order, './' dropped");
    for (const file of published.files) {
      assert.equal(file.plaintextSize, files.get(file.path)!.length, file.path);
      assert.ok(file.sealedSize > file.plaintextSize);
      assert.equal(typeof file.cid, "string");
    }
    assert.equal(typeof published.manifest.files[0]!.cid, "string", "manifest CIDs as strings");
    await assertDecrypts(peer, published, files);
  });

  it("what `tar -C DIR -cf - .` writes is accepted as it is", async () => {
    const files = hfDirectory();
    const tree = join(dir, "tar-tree");
    await writeTree(tree, files);
    const { stdout } = await promisify(execFile)("tar", ["-C", tree, "-cf", "-", "."], { encoding: "buffer", maxBuffer: 1 << 24 });
    const response = await postTar(api, stdout);
    assert.equal(response.status, 201, await response.clone().text());
    const published = (await response.json()) as Published;
    assert.deepEqual(published.files.map((f) => f.path).sort(), [...files.keys()].sort());
    await assertDecrypts(peer, published, files);
  });

  it("refuses unsafe entries and paths with 400 and a stable code, publishing nothing, and keeps serving", async () => {
    const before = await pins();
    const ok = { name: "config.json", body: Buffer.from("{}") };
    const cases: [string, Buffer, string, RegExp][] = [
      ["parent path", await tarOf([ok, { name: "../x", body: Buffer.from("x") }]), "INVALID_PATH", /"\.\.\/x"/],
      ["nested parent path", await tarOf([{ name: "./a/../../x", body: Buffer.from("x") }]), "INVALID_PATH", /a\/\.\.\/\.\.\/x/],
      ["absolute path", await tarOf([{ name: "/etc/passwd", body: Buffer.from("x") }]), "INVALID_PATH", /absolute/],
      ["symlink", await tarOf([ok, { name: "link", type: "symlink", linkname: "/etc/passwd" }]), "UNSUPPORTED_TAR_ENTRY", /"link" is a symbolic link/],
      ["hard link", await tarOf([ok, { name: "hard", type: "link", linkname: "config.json" }]), "UNSUPPORTED_TAR_ENTRY", /"hard" is a hard link/],
      ["fifo", await tarOf([{ name: "pipe", type: "fifo" }]), "UNSUPPORTED_TAR_ENTRY", /"pipe" is a fifo/],
      ["device", await tarOf([{ name: "dev", type: "character-device" }]), "UNSUPPORTED_TAR_ENTRY", /"dev"/],
      ["case clash", await tarOf([{ name: "A.txt", body: Buffer.from("a") }, { name: "a.txt", body: Buffer.from("b") }]), "INVALID_PATH", /"a\.txt".*clashes with "A\.txt"/],
      ["NFC/NFD clash", await tarOf([{ name: "\u00e9.txt", body: Buffer.from("a") }, { name: "e\u0301.txt", body: Buffer.from("b") }]), "INVALID_PATH", /clashes/],
      ["twice", await tarOf([ok, ok]), "INVALID_PATH", /twice/],
      ["file where a directory is needed", await tarOf([{ name: "a", body: Buffer.from("x") }, { name: "a/b", body: Buffer.from("y") }]), "INVALID_PATH", /is inside "a"/],
      ["empty archive", await tarOf([]), "EMPTY_BODY", /no file/],
      ["directories only", await tarOf([{ name: "./", type: "directory" }, { name: "./sub/", type: "directory" }]), "EMPTY_BODY", /no file/],
      ["empty body", Buffer.alloc(0), "EMPTY_BODY", /no file/],
      ["not a tar", Buffer.alloc(2048, 7), "INVALID_TAR", /not a valid tar/],
    ];
    const whole = await tarOf([ok, { name: "weights.bin", body: Buffer.alloc(20_000, 1) }]);
    cases.push(["cut short", whole.subarray(0, 512 * 3 + 100), "INVALID_TAR", /not a valid tar/]);
    for (const [what, body, code, message] of cases) {
      await expectError(await postTar(api, body), 400, code, message).catch((error: Error) => assert.fail(`${what}: ${error.message}`));
      await healthy();
    }
    assert.equal(await pins(), before, "nothing pinned");
  });

  it("the body limit covers the whole archive: 413 declared or streamed; a client gone mid-archive costs nothing", async () => {
    const before = await pins();
    const big = await tarOf([{ name: "a.bin", body: Buffer.alloc(BODY_LIMIT / 2, 1) }, { name: "b.bin", body: Buffer.alloc(BODY_LIMIT / 2, 2) }]);
    await expectError(await postTar(api, big), 413, "PAYLOAD_TOO_LARGE");
    const pieces = Array.from({ length: Math.ceil(big.length / 16384) }, (_, i) => big.subarray(i * 16384, (i + 1) * 16384));
    const streamed = await postChunked(`${api.url}/v1/models?segmentSize=${SEGMENT}`, pieces);
    assert.notEqual(streamed, "aborted");
    if (streamed !== "aborted") {
      assert.equal(streamed.status, 413);
      assert.equal((JSON.parse(streamed.body) as JsonError).error.code, "PAYLOAD_TOO_LARGE");
    }
    await healthy();
    assert.equal(await postChunked(`${api.url}/v1/models?segmentSize=${SEGMENT}`, pieces.slice(0, 8), 4), "aborted");
    await new Promise((resolve) => setTimeout(resolve, 200));
    await healthy();
    assert.equal(await pins(), before, "nothing pinned");
    // And a good archive still publishes.
    const response = await postTar(api, await tarOf([{ name: "config.json", body: Buffer.from("{}") }]));
    assert.equal(response.status, 201);
  });

  it("tarEntries: an entry left unread is drained before the next; a failing body reaches the reader as it is", async () => {
    const archive = await tarOf([{ name: "a.bin", body: Buffer.alloc(100_000, 1) }, { name: "b.bin", body: Buffer.alloc(70_000, 2) }]);
    const names: string[] = [];
    for await (const entry of tarEntries(chunked(archive, [1000, 7000]))) names.push(entry.path); // sources never read
    assert.deepEqual(names, ["a.bin", "b.bin"]);

    const gone = new Error("client closed the connection");
    async function* failing() {
      yield archive.subarray(0, 30_000);
      throw gone;
    }
    const first = (await tarEntries(failing()).next()).value!;
    await assert.rejects(collect(first.source), (error: unknown) => error === gone);
  });

  it("more than MAX_DIRECTORY_FILES files is TOO_MANY_FILES, found while parsing", async () => {
    const items = Array.from({ length: MAX_DIRECTORY_FILES + 1 }, (_, i) => ({ name: `f${i}` }));
    const archive = await tarOf(items);
    let seen = 0;
    await assert.rejects(
      (async () => {
        for await (const _ of tarEntries([archive])) seen++;
      })(),
      (error: unknown) => (error as { code?: string }).code === "TOO_MANY_FILES",
    );
    assert.equal(seen, MAX_DIRECTORY_FILES);
  });

  describe("modelvault publish DIR", () => {
    const cli = async (args: string[], io = new MemoryIo()) => ({ code: await run(args, io), io });

    it("walks the directory (sorted paths, .git skipped, a link inside followed) and publishes it as one version", async () => {
      const files = hfDirectory();
      const tree = join(dir, "cli-tree");
      await writeTree(tree, files);
      await mkdir(join(tree, ".git", "objects"), { recursive: true });
      await writeFile(join(tree, ".git", "HEAD"), "ref: refs/heads/main\n");
      await symlink("config.json", join(tree, "config.link.json")); // inside: followed
      files.set("config.link.json", files.get("config.json")!);

      const result = await cli(["publish", tree, "--api", api.url, "--segment-size", String(SEGMENT), "--progress", "json", "--json"]);
      assert.equal(result.code, 0, result.io.err);
      const published = result.io.json<Published & { skipped: string[] }>();
      const expected = [...files.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      assert.deepEqual(published.files.map((f) => f.path), expected, "bytewise UTF-8 order, no .git");
      assert.deepEqual(published.skipped, [".git"]);
      await assertDecrypts(peer, published, files);
      const progress = result.io.err.trim().split("\n").map((line) => JSON.parse(line) as { progress: string; bytes: number; totalBytes: number; file?: string });
      const total = [...files.values()].reduce((n, b) => n + b.length, 0);
      assert.equal(progress.at(-1)!.bytes, total);
      assert.ok(progress.every((p) => p.progress === "publish" && p.totalBytes === total && typeof p.file === "string"));

      const text = await cli(["publish", tree, "--api", api.url, "--segment-size", String(SEGMENT)]);
      assert.equal(text.code, 0, text.io.err);
      assert.match(text.io.out, /^manifest CID\s+bag/m);
      assert.match(text.io.out, /^content CID\s+baf/m);
      assert.match(text.io.out, new RegExp(`^files\\s+${files.size} files$`, "m"));
      assert.match(text.io.out, new RegExp(`^size\\s+${total} bytes$`, "m"));
      assert.match(text.io.out, /^skipped\s+\.git \(not published\)$/m);
      assert.match(text.io.out, /^key\s+0x[0-9a-f]{64}$/m);
      assert.match(text.io.err, /^WARNING: The content key is returned once/m);
    });

    it("refuses links out of DIR, clashing and bad names before uploading anything", async () => {
      const before = await pins();
      const make = async (name: string, build: (tree: string) => Promise<void>) => {
        const tree = join(dir, name);
        await mkdir(tree, { recursive: true });
        await writeFile(join(tree, "config.json"), "{}");
        await build(tree);
        return tree;
      };
      const outside = await make("outside-link", async (tree) => symlink(join(dir, "cli-tree", "config.json"), join(tree, "escape.json")));
      const broken = await make("broken-link", async (tree) => symlink("nowhere.json", join(tree, "dangling.json")));
      const toDir = await make("dir-link", async (tree) => {
        await mkdir(join(tree, "sub"));
        await symlink("sub", join(tree, "sub-link"));
      });
      const cases: [string, number, RegExp][] = [
        [outside, 2, /"escape\.json" is a symbolic link to .*outside the model directory/],
        [broken, 2, /"dangling\.json" is a symbolic link to nothing/],
        [toDir, 2, /"sub-link" is a symbolic link to something that is not a regular file/],
        [await make("case-clash", async (tree) => writeFile(join(tree, "Config.json"), "{}")), 1, /clashes with.*\[INVALID_PATH\]/],
        [await make("nfd-clash", async (tree) => {
          await writeFile(join(tree, "\u00e9.txt"), "a");
          await writeFile(join(tree, "e\u0301.txt"), "b");
        }), 1, /Unicode normalization.*\[INVALID_PATH\]/],
        [await make("bad-name", async (tree) => writeFile(join(tree, "what?.txt"), "x")), 1, /"what\?\.txt".*\[INVALID_PATH\]/],
        [await make("empty", async (tree) => rm(join(tree, "config.json"))), 2, /holds no file/],
      ];
      for (const [tree, exitCode, message] of cases) {
        const result = await cli(["publish", tree, "--api", api.url]);
        assert.equal(result.code, exitCode, `${tree}: ${result.io.err}`);
        assert.match(result.io.err, message);
        assert.equal(result.io.err.trim().split("\n").length, 1, result.io.err);
      }
      assert.equal(await pins(), before, "nothing uploaded");
      await healthy();
    });

    it("a file that changes size while it is uploaded fails the publish; nothing is published", async () => {
      const before = await pins();
      const tree = join(dir, "changing");
      await writeTree(tree, new Map([["a.bin", Buffer.alloc(100_000, 1)], ["z.bin", Buffer.alloc(1000, 2)]]));
      const io = new MemoryIo();
      const write = io.stderr.write;
      let grown = false;
      io.stderr.write = (text: string) => {
        // The first progress line: a.bin is on its way, z.bin (listed at 1000 bytes) grows.
        if (!grown && text.startsWith('{"progress"')) {
          grown = true;
          appendFileSync(join(tree, "z.bin"), "more");
        }
        return write(text);
      };
      const result = await cli(["publish", tree, "--api", api.url, "--segment-size", String(SEGMENT), "--progress", "json"], io);
      assert.ok(grown);
      assert.equal(result.code, 1, io.err);
      assert.match(io.err, /"z\.bin" changed while it was being published.*\[FILE_CHANGED\]/);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(await pins(), before, "nothing published");
      await healthy();
    });
  });
});
