import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { IRIS_MODEL_PATH, mlpFromSafetensors } from "../../zkp/models.js";
import { SafetensorsError, encodeSafetensorsHeader, parseSafetensors, parseSafetensorsHeader, safetensorsHeaderLength, serializeSafetensors, tensorValues } from "../../zkp/safetensors.js";

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

  it("decodes every dtype: F16, BF16, F8_E4M3, F8_E5M2 by their bit layouts, the integers, BOOL", () => {
    const u16 = (...v: number[]) => new Uint8Array(new Uint16Array(v).buffer);
    assert.deepEqual(Array.from(tensorValues("F16", u16(0x3c00, 0xc000, 0x7c00, 0x0001, 0x3555))), [1, -2, Infinity, 2 ** -24, 0.333251953125]);
    assert.ok(Number.isNaN(tensorValues("F16", u16(0x7e00))[0]));
    assert.deepEqual(Array.from(tensorValues("BF16", u16(0x3f80, 0xc040, 0x0000))), [1, -3, 0]);
    assert.deepEqual(Array.from(tensorValues("F8_E4M3", Uint8Array.of(0x38, 0x7e, 0xb8, 0x01, 0x78))), [1, 448, -1, 2 ** -9, 256]);
    assert.ok(Number.isNaN(tensorValues("F8_E4M3", Uint8Array.of(0x7f))[0]));
    assert.deepEqual(Array.from(tensorValues("F8_E5M2", Uint8Array.of(0x3c, 0x7c, 0x01, 0xc0))), [1, Infinity, 2 ** -16, -2]);
    assert.ok(Number.isNaN(tensorValues("F8_E5M2", Uint8Array.of(0x7f))[0]));
    assert.deepEqual(Array.from(tensorValues("I64", new Uint8Array(new BigInt64Array([-5n, 2n ** 40n]).buffer))), [-5, 2 ** 40]);
    assert.deepEqual(Array.from(tensorValues("U64", new Uint8Array(new BigUint64Array([2n ** 63n]).buffer))), [2 ** 63]);
    assert.deepEqual(Array.from(tensorValues("BOOL", Uint8Array.of(0, 1, 1))), [0, 1, 1]);
    assert.throws(() => tensorValues("BOOL", Uint8Array.of(0, 2)), /BOOL byte 2/);
  });

  it("round-trips every dtype, values or raw bytes, and refuses a bool that is not 0/1", () => {
    const values = new Map([
      ["f64", { dtype: "F64" as const, shape: [2], data: [1.5, -2] }],
      ["i64", { dtype: "I64" as const, shape: [2], data: [-7, 2 ** 40] }],
      ["u64", { dtype: "U64" as const, shape: [1], data: [9] }],
      ["u32", { dtype: "U32" as const, shape: [1], data: [4e9] }],
      ["u16", { dtype: "U16" as const, shape: [1], data: [65535] }],
      ["i16", { dtype: "I16" as const, shape: [1], data: [-3] }],
      ["i8", { dtype: "I8" as const, shape: [1], data: [-128] }],
      ["b", { dtype: "BOOL" as const, shape: [3], data: [1, 0, 1] }],
      ["h", { dtype: "F16" as const, shape: [2], bytes: Uint8Array.of(0x00, 0x3c, 0x00, 0xc0) }],
      ["bf", { dtype: "BF16" as const, shape: [1], bytes: Uint8Array.of(0x80, 0x3f) }],
      ["e4", { dtype: "F8_E4M3" as const, shape: [1], bytes: Uint8Array.of(0x38) }],
      ["e5", { dtype: "F8_E5M2" as const, shape: [1], bytes: Uint8Array.of(0x3c) }],
    ]);
    const file = parseSafetensors(serializeSafetensors(values));
    assert.deepEqual([...file.tensors.keys()], [...values.keys()]);
    assert.deepEqual(Array.from(file.tensors.get("i64")!.data), [-7, 2 ** 40]);
    assert.deepEqual(Array.from(file.tensors.get("h")!.data), [1, -2]);
    for (const name of ["bf", "e4", "e5"]) assert.deepEqual(Array.from(file.tensors.get(name)!.data), [1], name);
    assert.throws(() => serializeSafetensors(new Map([["h", { dtype: "F16" as const, shape: [1], data: [1] }]])), /give F16 tensors as bytes/);
    const badBool = serializeSafetensors(new Map([["b", { dtype: "BOOL" as const, shape: [1], bytes: Uint8Array.of(7) }]]));
    assert.throws(() => parseSafetensors(badBool), SafetensorsError);
  });

  it("parses the header alone from a prefix: absolute byte ranges, in offset order, data aligned to 8", () => {
    const bytes = serializeSafetensors(
      new Map([
        ["z", { dtype: "F32" as const, shape: [3], data: [1, 2, 3] }],
        ["a", { dtype: "I8" as const, shape: [2, 2], data: [1, 2, 3, 4] }],
      ]),
      { format: "pt" },
    );
    const n = safetensorsHeaderLength(bytes.subarray(0, 8), bytes.length);
    assert.equal((8 + n) % 8, 0);
    const header = parseSafetensorsHeader(bytes.subarray(0, 8 + n), bytes.length);
    assert.equal(header.dataStart, 8 + n);
    assert.deepEqual(header.metadata, { format: "pt" });
    assert.deepEqual(header.tensors.map((t) => [t.name, t.dtype, t.shape, t.dataOffsets, t.start, t.end]), [
      ["z", "F32", [3], [0, 12], 8 + n, 8 + n + 12],
      ["a", "I8", [2, 2], [12, 16], 8 + n + 12, 8 + n + 16],
    ]);
    assert.deepEqual(parseSafetensorsHeader(bytes.subarray(0, 8 + n)).tensors, header.tensors, "without the file length: the same tensors");
    assert.throws(() => parseSafetensorsHeader(bytes.subarray(0, 8 + n - 1)), /needs/);
    assert.throws(() => parseSafetensorsHeader(bytes.subarray(0, 8 + n), bytes.length - 1), /outside data|trailing/);
    assert.throws(() => safetensorsHeaderLength(bytes.subarray(0, 8), 8 + n - 1), /exceeds/);
    const { header: encoded, dataLength } = encodeSafetensorsHeader([{ name: "z", dtype: "F32", shape: [3] }, { name: "a", dtype: "I8", shape: [2, 2] }], { format: "pt" });
    assert.deepEqual(encoded, bytes.subarray(0, 8 + n));
    assert.equal(dataLength, 16);
    assert.throws(() => encodeSafetensorsHeader([{ name: "a", dtype: "I8", shape: [1] }, { name: "a", dtype: "I8", shape: [1] }]), /repeated/);
    assert.throws(() => parseSafetensorsHeader(withHeader({ t: entry(0, 8, [2 ** 40, 2 ** 40]) }, 8)), /too large/);
  });

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
