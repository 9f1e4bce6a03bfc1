import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DIGITS_MODEL_PATH, IRIS_MODEL_PATH, QUANTIZATION_METADATA, loadMlp, quantizationFromMetadata } from "../../zkp/models.js";
import { DEFAULT_QUANTIZATION } from "../../zkp/quantize.js";
import { SafetensorsError, parseSafetensors, serializeSafetensors } from "../../zkp/safetensors.js";

describe("zkp: a safetensors file names its model's quantization (modelvault.quantization)", () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), "mv-zkp-quant-"))));
  after(() => rm(dir, { recursive: true, force: true }));

  /** The Iris tensors again, with other metadata. */
  async function irisWith(name: string, metadata: Record<string, string>): Promise<string> {
    const { tensors } = parseSafetensors(await readFile(IRIS_MODEL_PATH));
    const path = join(dir, name);
    await writeFile(path, serializeSafetensors(tensors, metadata));
    return path;
  }

  it("the digits model's file names 8-bit inputs at fracBits 6, so loadMlp needs no options; Iris names none", async () => {
    assert.deepEqual(loadMlp(DIGITS_MODEL_PATH).spec, { sizes: [64, 32, 10], weightBits: 6, biasBits: 20, inputBits: 8, fracBits: 6, shifts: [5, 4] });
    const iris = loadMlp(IRIS_MODEL_PATH).spec;
    assert.equal(iris.inputBits, DEFAULT_QUANTIZATION.inputBits);
    assert.equal(iris.fracBits, DEFAULT_QUANTIZATION.fracBits);
  });

  it("options given to loadMlp win over the file's, which win over the defaults", async () => {
    const path = await irisWith("named.safetensors", { [QUANTIZATION_METADATA]: JSON.stringify({ inputBits: 10, fracBits: 6 }) });
    const named = loadMlp(path).spec;
    assert.deepEqual([named.inputBits, named.fracBits, named.weightBits], [10, 6, DEFAULT_QUANTIZATION.weightBits]);
    const overridden = loadMlp(path, { fracBits: 7 }).spec;
    assert.deepEqual([overridden.inputBits, overridden.fracBits], [10, 7]);
  });

  it("the shards of a directory must name the same quantization", async () => {
    const { tensors } = parseSafetensors(await readFile(IRIS_MODEL_PATH));
    const names = [...tensors.keys()];
    const shards = join(dir, "shards");
    await mkdir(shards);
    const write = (file: string, part: string[], metadata: Record<string, string>) =>
      writeFile(join(shards, file), serializeSafetensors(new Map(part.map((n) => [n, tensors.get(n)!])), metadata));
    const named = { [QUANTIZATION_METADATA]: '{"inputBits":10}' };
    await write("a.safetensors", names.slice(0, 2), named);
    await write("b.safetensors", names.slice(2), named);
    assert.equal(loadMlp(shards).spec.inputBits, 10);
    await write("b.safetensors", names.slice(2), {});
    assert.throws(() => loadMlp(shards), (e: unknown) => e instanceof SafetensorsError && /shards name different quantizations/.test(e.message));
  });

  it("refuses malformed options with SafetensorsError naming the key", () => {
    const bad = (text: string) => () => quantizationFromMetadata({ [QUANTIZATION_METADATA]: text });
    assert.throws(bad("{"), (e: unknown) => e instanceof SafetensorsError && /not JSON/.test(e.message));
    assert.throws(bad("[8]"), (e: unknown) => e instanceof SafetensorsError && /not a JSON object/.test(e.message));
    assert.throws(bad('{"inputbits":8}'), (e: unknown) => e instanceof SafetensorsError && /unknown option "inputbits"/.test(e.message));
    assert.throws(bad('{"inputBits":8.5}'), (e: unknown) => e instanceof SafetensorsError && /inputBits is not an integer/.test(e.message));
    assert.throws(bad('{"fracBits":"6"}'), (e: unknown) => e instanceof SafetensorsError && /fracBits is not an integer/.test(e.message));
    assert.deepEqual(quantizationFromMetadata({ other: "x" }), {});
    // Key order does not matter.
    assert.equal(JSON.stringify(quantizationFromMetadata({ [QUANTIZATION_METADATA]: '{"fracBits":6,"inputBits":8}' })), '{"inputBits":8,"fracBits":6}');
  });
});
