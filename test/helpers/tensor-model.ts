/** Small safetensors models for the tensor tests: every dtype, a header over several segments, two shards with an index. */
import { randomBytes } from "node:crypto";
import { DTYPE_BYTES, serializeSafetensors, type Dtype, type TensorToWrite } from "../../zkp/safetensors.js";

/** Frames of 1 KiB: a header of a few KiB spans several segments. */
export const TENSOR_SEGMENT = 1024 - 16;

function tensor(dtype: Dtype, shape: number[]): TensorToWrite {
  const size = shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
  const bytes = dtype === "BOOL" ? Uint8Array.from({ length: size }, () => Math.round(Math.random())) : new Uint8Array(randomBytes(size));
  return { dtype, shape, bytes };
}

export const SHARD_1 = "model-00001-of-00002.safetensors";
export const SHARD_2 = "model-00002-of-00002.safetensors";
export const INDEX = "model.safetensors.index.json";

export interface TensorModel {
  shard1: Uint8Array;
  shard2: Uint8Array;
  index: Uint8Array;
  /** One file holding what both shards hold (but one `shared`), for a one-file model. */
  single: Uint8Array;
  files: Map<string, Uint8Array>;
}

export function tensorModel(): TensorModel {
  const first = new Map<string, TensorToWrite>([
    ["h.0.attn.c_attn.weight", tensor("F32", [16, 24])],
    ["h.0.attn.c_attn.bias", tensor("F16", [24])],
    ["h.0.mlp.weight", tensor("BF16", [24, 40])],
    ["wte", tensor("I64", [10, 4])],
    ["mask", tensor("BOOL", [33])],
    ["scale.e4m3", tensor("F8_E4M3", [7])],
    ["scale.e5m2", tensor("F8_E5M2", [5])],
    ["empty", tensor("F32", [0, 3])],
    ["shared", tensor("F32", [4])],
  ]);
  const second = new Map<string, TensorToWrite>([
    ["h.1.attn.c_attn.weight", tensor("F32", [64, 64])],
    ["h.1.ln.weight", tensor("F64", [64])],
    ["counts.u8", tensor("U8", [9])],
    ["counts.u16", tensor("U16", [9])],
    ["counts.u32", tensor("U32", [9])],
    ["counts.u64", tensor("U64", [9])],
    ["counts.i8", tensor("I8", [9])],
    ["counts.i16", tensor("I16", [9])],
    ["counts.i32", tensor("I32", [9])],
    ["shared", tensor("F32", [4])],
  ]);
  // Long metadata: the first shard's header spans several 1 KiB segments.
  const shard1 = serializeSafetensors(first, { format: "pt", note: "n".repeat(2500) });
  const shard2 = serializeSafetensors(second, { format: "pt", origin: "second" });
  const weightMap: Record<string, string> = {};
  for (const name of first.keys()) weightMap[name] = SHARD_1;
  for (const name of second.keys()) weightMap[name] = SHARD_2; // "shared" lives in the second shard
  const index = new TextEncoder().encode(JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
  const single = serializeSafetensors(new Map([...first, ...second]), { format: "pt" });
  const files = new Map<string, Uint8Array>([
    ["config.json", new TextEncoder().encode(JSON.stringify({ model_type: "tiny" }))],
    [SHARD_1, shard1],
    [SHARD_2, shard2],
    [INDEX, index],
  ]);
  return { shard1, shard2, index, single, files };
}
