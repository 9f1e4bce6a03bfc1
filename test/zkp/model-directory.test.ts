import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { weightsCommitment } from "../../zkp/commitment.js";
import { IRIS_MODEL_PATH, loadMlp, safetensorsPaths } from "../../zkp/models.js";
import { parseSafetensors, SafetensorsError, serializeSafetensors } from "../../zkp/safetensors.js";

describe("zkp: directory models (Hugging Face-style: shards and an index, or one file)", () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), "mv-zkp-dir-"))));
  after(() => rm(dir, { recursive: true, force: true }));

  it("the weights commitment of a sharded directory equals that of the same weights as one file", async () => {
    const { tensors, metadata } = parseSafetensors(await readFile(IRIS_MODEL_PATH));
    const names = [...tensors.keys()];
    assert.ok(names.length >= 4);
    const sharded = join(dir, "sharded");
    await mkdir(sharded);
    const shards = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"];
    const weightMap: Record<string, string> = {};
    // Odd tensors in the first shard, even ones in the second: the split ignores layer boundaries.
    for (const [s, shard] of shards.entries()) {
      const part = new Map(names.filter((_, i) => i % 2 === s).map((n) => [n, tensors.get(n)!]));
      for (const n of part.keys()) weightMap[n] = shard;
      await writeFile(join(sharded, shard), serializeSafetensors(part, metadata));
    }
    await writeFile(join(sharded, "model.safetensors.index.json"), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    await writeFile(join(sharded, "config.json"), "{}");
    assert.deepEqual(safetensorsPaths(sharded), shards.map((s) => join(sharded, s)));

    const oneFile = join(dir, "one");
    await mkdir(oneFile);
    await writeFile(join(oneFile, "model.safetensors"), await readFile(IRIS_MODEL_PATH));

    const expected = await weightsCommitment(loadMlp(IRIS_MODEL_PATH));
    assert.equal(await weightsCommitment(loadMlp(sharded)), expected);
    assert.equal(await weightsCommitment(loadMlp(oneFile)), expected);
    assert.deepEqual(loadMlp(sharded), loadMlp(IRIS_MODEL_PATH));
  });

  it("refuses a directory without safetensors, a bad index, and a tensor in two shards", async () => {
    const empty = join(dir, "empty");
    await mkdir(empty);
    await writeFile(join(empty, "README.md"), "hi");
    assert.throws(() => loadMlp(empty), (e: unknown) => e instanceof SafetensorsError && /no \.safetensors file/.test(e.message));
    const badIndex = join(dir, "bad-index");
    await mkdir(badIndex);
    await writeFile(join(badIndex, "model.safetensors.index.json"), JSON.stringify({ weight_map: { a: "../../etc/passwd" } }));
    assert.throws(() => loadMlp(badIndex), /weight_map is not an object of shard file names/);
    const twice = join(dir, "twice");
    await mkdir(twice);
    const bytes = await readFile(IRIS_MODEL_PATH);
    await writeFile(join(twice, "a.safetensors"), bytes);
    await writeFile(join(twice, "b.safetensors"), bytes);
    assert.throws(() => loadMlp(twice), /in two shards/);
  });
});
