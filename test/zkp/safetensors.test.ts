import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { IRIS_MODEL_PATH, mlpFromSafetensors } from "../../zkp/models.js";
import { SafetensorsError, parseSafetensors, serializeSafetensors } from "../../zkp/safetensors.js";

function withHeader(header: unknown, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

const entry = (begin: number, end: number, shape = [2], dtype = "F32") => ({ dtype, shape, data_offsets: [begin, end] });

describe("zkp safetensors", () => {
  it("round-trips tensors and metadata", () => {
    const bytes = serializeSafetensors(
      new Map([
        ["a.weight", { dtype: "F32" as const, shape: [2, 3], data: [1, -2, 3.5, 0, 0.25, -8] }],
        ["a.bias", { dtype: "F64" as const, shape: [2], data: [0.1, -0.2] }],
      ]),
      { note: "x" },
    );
    const file = parseSafetensors(bytes);
    assert.deepEqual(file.metadata, { note: "x" });
    assert.deepEqual(Array.from(file.tensors.get("a.weight")!.data), [1, -2, 3.5, 0, 0.25, -8]);
    assert.deepEqual(file.tensors.get("a.weight")!.shape, [2, 3]);
    assert.deepEqual(Array.from(file.tensors.get("a.bias")!.data), [0.1, -0.2]);
  });

  it("loads the shipped Iris model as a 4-16-3 MLP", () => {
    const mlp = mlpFromSafetensors(readFileSync(IRIS_MODEL_PATH));
    assert.deepEqual(
      mlp.layers.map((l) => [l.weights.length, l.weights[0]!.length, l.biases.length]),
      [[16, 4, 16], [3, 16, 3]],
    );
  });

  const bad: [string, Uint8Array, RegExp][] = [
    ["too short", new Uint8Array(4), /too short/],
    ["header past the end", (() => { const b = new Uint8Array(16); new DataView(b.buffer).setBigUint64(0, 100n, true); return b; })(), /exceeds/],
    ["not JSON", (() => { const b = withHeader({}, 0); b[8] = 0x7b + 1; return b; })(), /not valid UTF-8 JSON/],
    ["array header", withHeader([], 0), /not a JSON object/],
    ["unknown dtype", withHeader({ t: entry(0, 8, [2], "F8") }, 8), /unsupported dtype/],
    ["size mismatch", withHeader({ t: entry(0, 4) }, 4), /4 bytes for shape/],
    ["out of bounds", withHeader({ t: entry(0, 8) }, 4), /outside data/],
    ["gap", withHeader({ t: entry(4, 12) }, 12), /gap or overlap/],
    ["overlap", withHeader({ t: entry(0, 8), u: entry(4, 12) }, 12), /gap or overlap/],
    ["trailing bytes", withHeader({ t: entry(0, 8) }, 12), /trailing bytes/],
    ["bad metadata", withHeader({ __metadata__: { k: 1 } }, 0), /not a string/],
  ];
  for (const [what, bytes, message] of bad) {
    it(`rejects ${what} with a SafetensorsError`, () => {
      assert.throws(() => parseSafetensors(bytes), (e: unknown) => e instanceof SafetensorsError && message.test(e.message));
    });
  }

  it("rejects MLP layers whose shapes do not chain", () => {
    const bytes = serializeSafetensors(
      new Map([
        ["0.weight", { dtype: "F32" as const, shape: [3, 2], data: new Array<number>(6).fill(0) }],
        ["0.bias", { dtype: "F32" as const, shape: [3], data: [0, 0, 0] }],
        ["1.weight", { dtype: "F32" as const, shape: [1, 4], data: [0, 0, 0, 0] }],
        ["1.bias", { dtype: "F32" as const, shape: [1], data: [0] }],
      ]),
    );
    assert.throws(() => mlpFromSafetensors(bytes), /takes 4 inputs, previous layer gives 3/);
  });
});
