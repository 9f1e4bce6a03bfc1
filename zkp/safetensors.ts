// safetensors: 8-byte little-endian header length, JSON header, raw little-endian tensor bytes.
// Strict: every tensor's byte range must be in bounds, sized to its shape and dtype, and the
// ranges must tile the data section exactly (no gaps, no overlap).

export class SafetensorsError extends Error {
  override name = "SafetensorsError";
}

export type Dtype = "F64" | "F32" | "I32" | "I16" | "I8" | "U8";
const DTYPE_BYTES: Record<Dtype, number> = { F64: 8, F32: 4, I32: 4, I16: 2, I8: 1, U8: 1 };
/** Headers beyond this are refused before parsing (the reference implementation uses 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface Tensor {
  dtype: Dtype;
  shape: number[];
  /** Values converted to numbers (exact for every supported dtype). */
  data: Float64Array;
}

export interface SafetensorsFile {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

function isDtype(d: unknown): d is Dtype {
  return typeof d === "string" && Object.hasOwn(DTYPE_BYTES, d);
}

function readValues(view: DataView, dtype: Dtype, count: number): Float64Array {
  const out = new Float64Array(count);
  const size = DTYPE_BYTES[dtype];
  for (let i = 0; i < count; i++) {
    const o = i * size;
    out[i] =
      dtype === "F64" ? view.getFloat64(o, true)
      : dtype === "F32" ? view.getFloat32(o, true)
      : dtype === "I32" ? view.getInt32(o, true)
      : dtype === "I16" ? view.getInt16(o, true)
      : dtype === "I8" ? view.getInt8(o)
      : view.getUint8(o);
  }
  return out;
}

export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8) throw new SafetensorsError(`file too short: ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(Math.min(MAX_HEADER_BYTES, bytes.length - 8))) {
    throw new SafetensorsError(`header length ${headerLen} exceeds the file or ${MAX_HEADER_BYTES} bytes`);
  }
  const dataStart = 8 + Number(headerLen);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (e) {
    throw new SafetensorsError(`header is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw new SafetensorsError("header is not a JSON object");

  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const ranges: [number, number, string][] = [];
  const tensors = new Map<string, Tensor>();
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw new SafetensorsError("__metadata__ is not an object");
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== "string") throw new SafetensorsError(`__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof entry !== "object" || entry === null) throw new SafetensorsError(`${name}: entry is not an object`);
    if (!isDtype(e.dtype)) throw new SafetensorsError(`${name}: unsupported dtype ${JSON.stringify(e.dtype)}`);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(`${name}: bad shape ${JSON.stringify(shape)}`);
    }
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw new SafetensorsError(`${name}: bad data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end > dataLen) throw new SafetensorsError(`${name}: data_offsets [${begin}, ${end}] outside data of ${dataLen} bytes`);
    if (end - begin !== count * DTYPE_BYTES[e.dtype]) {
      throw new SafetensorsError(`${name}: ${end - begin} bytes for shape ${JSON.stringify(shape)} of ${e.dtype}`);
    }
    ranges.push([begin, end, name]);
    const sub = new DataView(bytes.buffer, bytes.byteOffset + dataStart + begin, end - begin);
    tensors.set(name, { dtype: e.dtype, shape: shape as number[], data: readValues(sub, e.dtype, count) });
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let pos = 0;
  for (const [begin, end, name] of ranges) {
    if (begin !== pos) throw new SafetensorsError(`${name}: data starts at ${begin}, expected ${pos} (gap or overlap)`);
    pos = end;
  }
  if (pos !== dataLen) throw new SafetensorsError(`${dataLen - pos} trailing bytes after the last tensor`);
  return { tensors, metadata };
}

/** Writes tensors (F32 or F64) in insertion order. */
export function serializeSafetensors(
  tensors: Map<string, { dtype: "F32" | "F64"; shape: number[]; data: ArrayLike<number> }>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    const size = t.data.length * DTYPE_BYTES[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // align data to 8 bytes, as the reference does
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let p = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    for (let i = 0; i < t.data.length; i++) {
      if (t.dtype === "F32") view.setFloat32(p, t.data[i]!, true);
      else view.setFloat64(p, t.data[i]!, true);
      p += DTYPE_BYTES[t.dtype];
    }
  }
  return out;
}
