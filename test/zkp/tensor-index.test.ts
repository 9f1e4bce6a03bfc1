/**
 * zkp/tensor-index.ts on its own: plaintext files in memory behind the small reader interface,
 * the caller's matcher and error factory. The sealed paths (node and SDK) are test/node/tensors
 * and test/sdk/tensors; this checks the shared rules and that they are the caller's to shape.
 */
import assert from "node:assert/strict";
import { CID } from "multiformats/cid";
import { DIRECTORY_MANIFEST_FORMAT, MANIFEST_FORMAT, type Manifest } from "../../crypto/manifest-schema.js";
import {
  listModelTensors,
  loadTensors,
  openForPatterns,
  selectTensors,
  type ModelFile,
  type TensorErrors,
  type TensorModel,
} from "../../zkp/tensor-index.js";
import { assertBytes } from "../helpers/bytes.js";
import { INDEX, SHARD_1, SHARD_2, tensorModel } from "../helpers/tensor-model.js";

const model = tensorModel();
const CID_0 = CID.parse("bafkqaaa");

class TensorTestError extends Error {
  constructor(readonly code: string, message: string, readonly detail?: unknown) {
    super(message);
  }
}
const errors: TensorErrors = {
  invalid: (file, message) => new TensorTestError("INVALID_SAFETENSORS", `${file}: ${message}`, file),
  noSafetensors: (message) => new TensorTestError("NO_SAFETENSORS", message),
  selection: (code, message, names) => new TensorTestError(code, message, names),
  chooseFile: "choose one",
};
const failsWith = (code: string, pattern = /./) => (e: unknown) => e instanceof TensorTestError && e.code === code && pattern.test(e.message);

/** A reader over bytes in memory, counting what is read; `ranges` as the sealed readers have it. */
class MemoryReader {
  readonly reads: Array<[number, number]> = [];
  constructor(readonly data: Uint8Array) {}
  get plaintextLength() {
    return this.data.length;
  }
  async bytes(start: number, end: number) {
    this.reads.push([start, end]);
    return this.data.slice(start, end);
  }
  async *ranges(ranges: readonly { start: number; end: number }[]) {
    for (const [range, { start, end }] of ranges.entries()) {
      // In two pieces, as a reader yields a range that spans segments.
      const middle = start + Math.floor((end - start) / 2);
      yield { range, bytes: await this.bytes(start, middle) };
      yield { range, bytes: await this.bytes(middle, end) };
    }
  }
}

function directory(files: Map<string, Uint8Array>): Manifest {
  const entries = [...files].map(([path, bytes]) => ({ path, cid: CID_0, plaintextSize: bytes.length, sealedSize: 0, noncePrefix: "0x00" }));
  return { format: DIRECTORY_MANIFEST_FORMAT, files: entries } as unknown as Manifest;
}

function memoryModel(files: Map<string, Uint8Array>, options: { manifest?: Manifest; glob?: boolean } = {}) {
  const opened: string[] = [];
  const readers = new Map<string, MemoryReader>();
  const tensors: TensorModel<MemoryReader> = {
    manifest: options.manifest ?? directory(files),
    open: async (file: ModelFile) => {
      opened.push(file.path ?? "(model)");
      const data = file.path === null ? model.single : files.get(file.path);
      if (data === undefined) throw new Error(`no file ${file.path}`);
      const reader = new MemoryReader(data);
      readers.set(file.path ?? "(model)", reader);
      return reader;
    },
    matcher: (pattern) => (options.glob === true ? (name) => name.startsWith(pattern.replace(/\*$/, "")) : (name) => name === pattern),
    errors,
  };
  return { tensors, opened, readers };
}

describe("tensor index (zkp/tensor-index.ts): listing, weight maps, selection, the caller's errors", () => {
  it("lists a sharded model file by file, in manifest order, metadata merged first-wins, reading headers only", async () => {
    const { tensors, opened, readers } = memoryModel(model.files);
    const listing = await listModelTensors(tensors);
    assert.deepEqual(listing.files.map((f) => f.path), [SHARD_1, SHARD_2]);
    assert.deepEqual(opened.sort(), [SHARD_1, SHARD_2].sort());
    for (const file of listing.files) assert.ok(readers.get(file.path!)!.reads.every(([, end]) => end <= file.headerBytes), `${file.path}: read past its header`);
    assert.equal(listing.metadata.format, "pt");
    assert.equal(listing.metadata.origin, "second");
    const wte = listing.tensors.find((t) => t.name === "wte")!;
    assert.deepEqual([wte.file, wte.dtype, wte.shape, wte.end - wte.start], [SHARD_1, "I64", [10, 4], 320]);
    assert.equal(listing.tensors.filter((t) => t.name === "shared").length, 2);
  });

  it("a one-file model: path null, and asking for a file in it is NO_SAFETENSORS", async () => {
    const single = { format: MANIFEST_FORMAT, content: CID_0, plaintextSize: model.single.length, sealedSize: 0 } as unknown as Manifest;
    const { tensors } = memoryModel(model.files, { manifest: single });
    const listing = await listModelTensors(tensors);
    assert.deepEqual(listing.files.map((f) => f.path), [null]);
    await assert.rejects(listModelTensors(tensors, SHARD_1), failsWith("NO_SAFETENSORS", /one file/));
  });

  it("with the index, a selection opens only the shards it names, and the index decides a name in two shards", async () => {
    const { tensors, opened } = memoryModel(model.files);
    const { opened: files, listing, weightMap } = await openForPatterns(tensors, ["h.1.ln.weight", "shared"]);
    assert.deepEqual(opened.sort(), [INDEX, SHARD_2].sort());
    assert.deepEqual(files.map((o) => o.info.path), [SHARD_2]);
    const selected = selectTensors(listing, ["h.1.ln.weight", "shared"], weightMap, tensors);
    assert.deepEqual(selected.map((t) => [t.name, t.file]), [["h.1.ln.weight", SHARD_2], ["shared", SHARD_2]]);
    const loaded = await loadTensors(files, selected);
    const second = new MemoryReader(model.files.get(SHARD_2)!);
    for (const { info, bytes } of loaded) assertBytes(bytes, await second.bytes(info.start, info.end), info.name);
  });

  it("the matcher is the caller's: exact names here, prefixes for another caller; no pattern selects nothing", async () => {
    const exact = memoryModel(model.files);
    const { listing, weightMap } = await openForPatterns(exact.tensors, ["h.0.*"]);
    assert.deepEqual(listing.files.map((f) => f.path), [SHARD_1, SHARD_2]); // "h.0.*" names nothing in the index: every shard
    assert.throws(() => selectTensors(listing, ["h.0.*"], weightMap, exact.tensors), failsWith("TENSOR_NOT_FOUND", /no tensor matches "h\.0\.\*"; some tensors: h\.0\.attn/));
    const prefix = memoryModel(model.files, { glob: true });
    const chosen = selectTensors(listing, ["h.0.*"], weightMap, prefix.tensors);
    assert.deepEqual(chosen.map((t) => t.name), ["h.0.attn.c_attn.weight", "h.0.attn.c_attn.bias", "h.0.mlp.weight"]);
    assert.deepEqual(selectTensors(listing, [], weightMap, exact.tensors), []);
  });

  it("without an index a name in two shards is TENSOR_AMBIGUOUS, naming both files and the caller's advice", async () => {
    const files = new Map([...model.files].filter(([path]) => path !== INDEX));
    const { tensors } = memoryModel(files);
    const { listing, weightMap } = await openForPatterns(tensors, ["shared"]);
    assert.equal(weightMap.size, 0);
    assert.throws(
      () => selectTensors(listing, ["shared"], weightMap, tensors),
      (e: unknown) => failsWith("TENSOR_AMBIGUOUS", /"shared" is in .* and .* and no index says which: choose one$/)(e) && (e as TensorTestError).detail instanceof Array,
    );
  });

  it("a bad index or header is INVALID_SAFETENSORS naming the file; a reader's own failure passes through as it is", async () => {
    const bad = (index: unknown) => memoryModel(new Map([...model.files, [INDEX, new TextEncoder().encode(JSON.stringify(index))]]));
    await assert.rejects(openForPatterns(bad({ weight_map: { wte: 7 } }).tensors, ["wte"]), failsWith("INVALID_SAFETENSORS", /weight_map\["wte"\] is not a path/));
    await assert.rejects(openForPatterns(bad([1]).tensors, ["wte"]), failsWith("INVALID_SAFETENSORS", /no weight_map object/));
    const notJson = memoryModel(new Map([...model.files, [INDEX, Uint8Array.of(0xff, 0xfe)]]));
    await assert.rejects(openForPatterns(notJson.tensors, ["wte"]), failsWith("INVALID_SAFETENSORS", /not UTF-8 JSON/));
    const broken = memoryModel(new Map([...model.files, [SHARD_1, model.files.get(SHARD_1)!.subarray(0, 20)]]));
    await assert.rejects(listModelTensors(broken.tensors), (e: unknown) => failsWith("INVALID_SAFETENSORS")(e) && (e as TensorTestError).detail === SHARD_1);
    const failing = memoryModel(model.files);
    const open = failing.tensors.open;
    failing.tensors.open = async (file) => {
      const reader = await open(file);
      if (file.path === INDEX) reader.bytes = async () => Promise.reject(new Error("segment 3 failed authentication"));
      return reader;
    };
    await assert.rejects(openForPatterns(failing.tensors, ["wte"]), (e: unknown) => !(e instanceof TensorTestError) && /segment 3/.test((e as Error).message));
  });

  it("a size the manifest contradicts, a missing file and a model without safetensors are refused", async () => {
    const manifest = directory(model.files);
    (manifest as unknown as { files: { plaintextSize: number }[] }).files[1]!.plaintextSize += 1;
    await assert.rejects(listModelTensors(memoryModel(model.files, { manifest }).tensors), failsWith("INVALID_SAFETENSORS", /contradicts the manifest/));
    const { tensors } = memoryModel(model.files);
    await assert.rejects(listModelTensors(tensors, "nope.safetensors"), failsWith("NO_SAFETENSORS", /has no file "nope\.safetensors"/));
    await assert.rejects(listModelTensors(tensors, INDEX), failsWith("NO_SAFETENSORS", /is not a \.safetensors file/));
    const config = memoryModel(new Map([...model.files].filter(([path]) => path === "config.json")));
    await assert.rejects(listModelTensors(config.tensors), failsWith("NO_SAFETENSORS", /its files: config\.json/));
  });
});
