import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { buildStorageTree, storageSegments } from "../../contracts/storage-proof.js";
import { InvalidPathError, checkModelPath, checkModelPaths, fileKey } from "../../crypto/directory.js";
import { open, WrongKeyError } from "../../crypto/index.js";
import { ContentMismatchError, NotAFileError } from "../../node/errors.js";
import { fetchDirectoryFile, fetchModel, readManifest } from "../../node/models/fetch.js";
import { isDirectoryManifest } from "../../node/models/manifest.js";
import { publishDirectory, type DirectoryEntry } from "../../node/models/publish-directory.js";
import { assertBytes, collect } from "../helpers/bytes.js";
import { PeerFixture } from "./helpers.js";

const owner = privateKeyToAccount(generatePrivateKey());
const SEGMENT = 64 * 1024;

/** A Hugging Face-style repository, small: config, tokenizer, two shards and their index. */
function hfDirectory(): Map<string, Buffer> {
  return new Map([
    ["config.json", Buffer.from(JSON.stringify({ model_type: "gpt2", n_layer: 2 }))],
    ["model-00001-of-00002.safetensors", randomBytes(5 * SEGMENT + 17)],
    ["model-00002-of-00002.safetensors", randomBytes(3 * SEGMENT)],
    ["model.safetensors.index.json", Buffer.from(JSON.stringify({ weight_map: { a: "model-00001-of-00002.safetensors" } }))],
    ["tokenizer/vocab.json", Buffer.from("{}")],
    ["empty.txt", Buffer.alloc(0)],
  ]);
}
const entriesOf = (files: Map<string, Buffer>): DirectoryEntry[] => [...files].map(([path, bytes]) => ({ path, source: [bytes] }));

describe("node: directory models (manifest format 2)", function () {
  this.timeout(60_000);
  const fixture = new PeerFixture();
  after(() => fixture.cleanup());

  it("every file is its own sealed stream under its path's key; one tree over their concatenation", async () => {
    const peer = await fixture.start();
    const files = hfDirectory();
    const published = await publishDirectory(peer, entriesOf(files), { owner, segmentSize: SEGMENT, name: "tiny-gpt2" });
    const { manifest } = published.signed;
    assert.equal(manifest.format, "modelvault/manifest/2");
    assert.deepEqual(manifest.files.map((f) => f.path), [...files.keys()]);
    assert.equal(manifest.plaintextSize, [...files.values()].reduce((n, b) => n + b.length, 0));

    // Each file opens with fileKey(content key, its path), and only with it.
    const sealedFiles: Uint8Array[] = [];
    for (const file of manifest.files) {
      const sealed = await collect(peer.fs.cat(file.cid));
      assert.equal(sealed.length, file.sealedSize);
      sealedFiles.push(sealed);
      const plain = await collect(open([sealed], { key: fileKey(published.key, file.path), modelId: Buffer.from(manifest.modelId.slice(2), "hex") }));
      assertBytes(plain, files.get(file.path)!, file.path);
      const other = manifest.files.find((f) => f.path !== file.path)!;
      await assert.rejects(collect(open([sealed], { key: fileKey(published.key, other.path) })), WrongKeyError, "a file does not open under another path's key");
    }
    // The storage root is the contracts' reference tree over the sealed files, back to back.
    const concatenated = Buffer.concat(sealedFiles);
    assert.equal(manifest.sealedSize, concatenated.length);
    assert.equal(manifest.storage.root, buildStorageTree(storageSegments(concatenated)).root);

    // Any UnixFS reader sees the directory of sealed files at their paths.
    const listing = new Map<string, string>();
    for await (const entry of peer.fs.ls(published.contentCid)) listing.set(entry.name, entry.cid.toString());
    assert.deepEqual([...listing.keys()].sort(), ["config.json", "empty.txt", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json", "tokenizer"]);
    for (const file of manifest.files.filter((f) => !f.path.includes("/"))) assert.equal(listing.get(file.path), file.cid.toString(), file.path);
    const tokenizer = (await import("multiformats/cid")).CID.parse(listing.get("tokenizer")!);
    assert.equal((await peer.fs.stat(tokenizer)).type, "directory");
    const nested: string[] = [];
    for await (const entry of peer.fs.ls(tokenizer)) nested.push(`${entry.name}=${entry.cid}`);
    assert.deepEqual(nested, [`vocab.json=${manifest.files.find((f) => f.path === "tokenizer/vocab.json")!.cid}`]);
  });

  it("reads back: the manifest from another peer, each file decrypted; a one-file read of a directory is refused", async () => {
    const a = await fixture.start();
    const files = hfDirectory();
    const published = await publishDirectory(a, entriesOf(files), { owner, segmentSize: SEGMENT });
    const b = await fixture.start({ peers: a.addresses.map(String) });
    const signed = await readManifest(b, published.manifestCid, { expectedOwner: owner.address });
    assert.ok(isDirectoryManifest(signed.manifest));
    for (const [path, bytes] of files) {
      assertBytes(await collect(fetchDirectoryFile(b, signed, path, { key: published.key, timeoutMs: 20_000 })), bytes, path);
    }
    await assert.rejects(collect(fetchDirectoryFile(b, signed, "nope.bin", { key: published.key })), ContentMismatchError);
    await assert.rejects(collect(fetchDirectoryFile(b, signed, "config.json", { key: randomBytes(32) })), WrongKeyError);
    await assert.rejects(collect(fetchModel(b, published.manifestCid, { key: published.key })), NotAFileError);
  });

  it("refuses unsafe and clashing paths, before sealing anything", async () => {
    for (const bad of ["/etc/passwd", "../up", "a/../b", "a//b", "a/", "./a", "a\\b", "c:d", "nul\u0000", "tab\tname", "dot.", "space ", "e\u0301"]) {
      assert.throws(() => checkModelPath(bad), InvalidPathError, JSON.stringify(bad));
    }
    assert.equal(checkModelPath("model-00001-of-00002.safetensors"), "model-00001-of-00002.safetensors");
    assert.equal(checkModelPath("tokenizer/vocab.json"), "tokenizer/vocab.json");
    assert.throws(() => checkModelPaths(["Config.json", "config.json"]), /clashes/);
    assert.throws(() => checkModelPaths(["\u00e9.bin", "\u00c9.bin"]), /clashes/);
    assert.throws(() => checkModelPaths(["a", "a/b"]), /which is a file/);
    const peer = await fixture.start();
    await assert.rejects(publishDirectory(peer, [{ path: "../escape", source: [Buffer.from("x")] }], { owner }), InvalidPathError);
    await assert.rejects(publishDirectory(peer, [{ path: "A.bin", source: [Buffer.from("x")] }, { path: "a.bin", source: [Buffer.from("y")] }], { owner }), /clashes/);
    await assert.rejects(publishDirectory(peer, [], { owner }), /at least one file/);
  });
});
