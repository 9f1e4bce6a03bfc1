import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { checkModelPath, checkModelPaths, fileKey, InvalidPathError, MAX_DIRECTORY_FILES, ModelPathSet } from "../../crypto/directory.js";
import { keyCommitment } from "../../crypto/index.js";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("crypto: directory models (docs/MANIFEST.md)", () => {
  it("file keys and the key commitment match the test vectors of docs/MANIFEST.md", async () => {
    const doc = await readFile(new URL("../../docs/MANIFEST.md", import.meta.url), "utf8");
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const vector = (label: string) => new RegExp(`\\| ${label.replace(/[()]/g, "\\$&")} \\| \`([0-9a-f]{64})\` \\|`).exec(doc)?.[1];
    assert.equal(hex(keyCommitment(key)), vector("keyCommitment"));
    for (const path of ["config.json", "model-00001-of-00002.safetensors", "tokenizer/vocab.json"]) {
      const documented = vector(`fileKey(\`${path}\`)`);
      assert.ok(documented !== undefined, `the doc lists a vector for ${path}`);
      assert.equal(hex(fileKey(key, path)), documented, path);
    }
    assert.notEqual(hex(fileKey(key, "a")), hex(fileKey(key, "b")), "the path is bound in");
  });

  it("paths: the documented refusals, and what is allowed", () => {
    for (const bad of ["", "/etc/passwd", "../up", "a/../b", "a//b", "a/", "./a", "a\\b", "c:d", "dot.", "space ", "e\u0301", "x\u0085y", "q?", "a".repeat(256)]) {
      assert.throws(() => checkModelPath(bad), InvalidPathError, JSON.stringify(bad));
    }
    for (const good of ["config.json", "tokenizer/vocab.json", "onnx/model.onnx", ".gitattributes", "a b/c-d_e.f", "\u00e9.bin"]) assert.equal(checkModelPath(good), good);
    assert.throws(() => checkModelPaths(["Config.json", "config.json"]), /clashes/);
    assert.throws(() => checkModelPaths(["\u00e9.bin", "\u00c9.bin"]), /clashes/);
    assert.throws(() => checkModelPaths(["a", "a/b"]), /which is a file/);
    assert.throws(() => checkModelPaths(["x", "x"]), /listed twice/);
    assert.throws(() => checkModelPaths(Array.from({ length: 4097 }, (_, i) => `f${i}`)), /at most 4096/);
    checkModelPaths(["a/b", "a/c", "b"]);
  });

  it("ModelPathSet refuses a clash in either order as paths arrive, and the file past the limit", () => {
    const inside = new ModelPathSet();
    inside.add("Tokenizer/vocab.json");
    assert.throws(() => inside.add("tokenizer"), (e: InvalidPathError) => e.path === "Tokenizer/vocab.json" && /inside "tokenizer", which is a file/.test(e.message));
    const parent = new ModelPathSet();
    parent.add("a");
    assert.throws(() => parent.add("A/b"), /inside "a", which is a file/);
    assert.equal(parent.size, 1, "a refused path is not added");
    const many = new ModelPathSet();
    for (let i = 0; i < MAX_DIRECTORY_FILES; i++) many.add(`shards/layer-${i % 64}/part-${i}.safetensors`);
    assert.throws(() => many.add("one-more"), /at most 4096/);
  });
});
