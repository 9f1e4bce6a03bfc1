// safetensors: 8-byte little-endian header length N, N bytes of JSON header, raw little-endian
// tensor bytes. Strict: every tensor's byte range must be in bounds, sized to its shape and dtype,
// and the ranges must tile the data section exactly (no gaps, no overlap).
// The one implementation of the format in modelvault: the node, the CLI, zkp/ and the browser SDK
// use it, so it uses no Node built-ins.

export class SafetensorsError extends Error {
  override name = "SafetensorsError";
}

/** Every dtype of the safetensors format that modelvault reads, with its size in bytes. */
export const DTYPE_BYTES = {
  F64: 8, F32: 4, F16: 2, BF16: 2,
  I64: 8, I32: 4, I16: 2, I8: 1,
  U64: 8, U32: 4, U16: 2, U8: 1,
  BOOL: 1, F8_E4M3: 1, F8_E5M2: 1,
} as const;
export type Dtype = keyof typeof DTYPE_BYTES;
/** Headers beyond this are refused before parsing (the reference implementation uses 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;
/** The fixed prefix: the header's length, u64 little-endian. */
export const LENGTH_PREFIX_BYTES = 8;

/** One tensor as the header describes it; `start`/`end` are absolute byte offsets in the file. */
export interface TensorEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** As in the header: relative to the data section. */
  dataOffsets: [number, number];
  /** Byte range [start, end) in the file: LENGTH_PREFIX_BYTES + headerLength + dataOffsets. */
  start: number;
  end: number;
}

export interface SafetensorsHeader {
  /** N: bytes of JSON (with its padding). */
  headerLength: number;
  /** 8 + N: where the data section starts. */
  dataStart: number;
  /** Every tensor, in the order of its data offsets. */
  tensors: TensorEntry[];
  metadata: Record<string, string>;
}

export interface Tensor {
  dtype: Dtype;
  shape: number[];
  /** Values converted to numbers: exact for every dtype but I64/U64 beyond 2^53 (rounded). */
  data: Float64Array;
  /** The raw little-endian bytes, as stored. */
  bytes: Uint8Array;
}

export interface SafetensorsFile {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

export function isDtype(d: unknown): d is Dtype {
  return typeof d === "string" && Object.hasOwn(DTYPE_BYTES, d);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * N, from the file's first 8 bytes: the whole header is bytes [0, 8 + N). Refused when it
 * exceeds MAX_HEADER_BYTES or (given the file's length) the file.
 */
export function safetensorsHeaderLength(prefix: Uint8Array, fileLength?: number): number {
  if (prefix.length < LENGTH_PREFIX_BYTES || (fileLength !== undefined && fileLength < LENGTH_PREFIX_BYTES)) {
    throw new SafetensorsError(`file too short: ${Math.min(prefix.length, fileLength ?? prefix.length)} bytes`);
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, LENGTH_PREFIX_BYTES).getBigUint64(0, true);
  const limit = Math.min(MAX_HEADER_BYTES, (fileLength ?? Number.MAX_SAFE_INTEGER) - LENGTH_PREFIX_BYTES);
  if (n > BigInt(limit)) throw new SafetensorsError(`header length ${n} exceeds the file or ${MAX_HEADER_BYTES} bytes`);
  return Number(n);
}

function checkedCount(name: string, shape: unknown): number {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(`${name}: bad shape ${JSON.stringify(shape)}`);
  }
  let count = 1;
  for (const d of shape as number[]) {
    count *= d;
    if (!Number.isSafeInteger(count)) throw new SafetensorsError(`${name}: shape ${JSON.stringify(shape)} is too large`);
  }
  return count;
}

/**
 * Parses the header from a prefix of the file (at least its first 8 + N bytes). With the file's
 * length, the tensors must end exactly at the end of the file; without it, only the tiling of the
 * data section from offset 0 is checked.
 */
export function parseSafetensorsHeader(prefix: Uint8Array, fileLength?: number): SafetensorsHeader {
  const headerLength = safetensorsHeaderLength(prefix, fileLength);
  const dataStart = LENGTH_PREFIX_BYTES + headerLength;
  if (prefix.length < dataStart) throw new SafetensorsError(`the header needs ${dataStart} bytes, got ${prefix.length}`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(prefix.subarray(LENGTH_PREFIX_BYTES, dataStart)));
  } catch (e) {
    throw new SafetensorsError(`header is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (!isObject(header)) throw new SafetensorsError("header is not a JSON object");

  const dataLength = fileLength === undefined ? undefined : fileLength - dataStart;
  const metadata: Record<string, string> = {};
  const tensors: TensorEntry[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (!isObject(entry)) throw new SafetensorsError("__metadata__ is not an object");
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== "string") throw new SafetensorsError(`__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (!isObject(entry)) throw new SafetensorsError(`${name}: entry is not an object`);
    const { dtype, shape, data_offsets: offs } = entry;
    if (!isDtype(dtype)) throw new SafetensorsError(`${name}: unsupported dtype ${JSON.stringify(dtype)}`);
    const count = checkedCount(name, shape);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw new SafetensorsError(`${name}: bad data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    if (end < begin || (dataLength !== undefined && end > dataLength)) {
      throw new SafetensorsError(`${name}: data_offsets [${begin}, ${end}] outside data of ${dataLength ?? "?"} bytes`);
    }
    if (end - begin !== count * DTYPE_BYTES[dtype]) {
      throw new SafetensorsError(`${name}: ${end - begin} bytes for shape ${JSON.stringify(shape)} of ${dtype}`);
    }
    tensors.push({ name, dtype, shape: shape as number[], dataOffsets: [begin, end], start: dataStart + begin, end: dataStart + end });
  }
  tensors.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let pos = 0;
  for (const { name, dataOffsets: [begin, end] } of tensors) {
    if (begin !== pos) throw new SafetensorsError(`${name}: data starts at ${begin}, expected ${pos} (gap or overlap)`);
    pos = end;
  }
  if (dataLength !== undefined && pos !== dataLength) throw new SafetensorsError(`${dataLength - pos} trailing bytes after the last tensor`);
  return { headerLength, dataStart, tensors, metadata };
}

/** Decodes one element of a float format with `e` exponent and `m` mantissa bits (IEEE-style). */
function smallFloat(bits: number, e: number, m: number, ieeeSpecials: boolean): number {
  const sign = bits >> (e + m) & 1 ? -1 : 1;
  const exp = (bits >> m) & ((1 << e) - 1);
  const frac = bits & ((1 << m) - 1);
  const bias = (1 << (e - 1)) - 1;
  if (exp === (1 << e) - 1) {
    if (ieeeSpecials) return frac === 0 ? sign * Infinity : NaN;
    if (frac === (1 << m) - 1) return NaN; // E4M3FN: only S.1111.111 is NaN, no infinities
  }
  if (exp === 0) return sign * 2 ** (1 - bias) * (frac / (1 << m));
  return sign * 2 ** (exp - bias) * (1 + frac / (1 << m));
}

/** The values of a tensor's bytes as numbers. BOOL bytes other than 0 and 1 are refused. */
export function tensorValues(dtype: Dtype, bytes: Uint8Array, name = "tensor"): Float64Array {
  const size = DTYPE_BYTES[dtype];
  const count = bytes.length / size;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(count);
  const f32 = new DataView(new ArrayBuffer(4));
  for (let i = 0; i < count; i++) {
    const o = i * size;
    switch (dtype) {
      case "F64": out[i] = view.getFloat64(o, true); break;
      case "F32": out[i] = view.getFloat32(o, true); break;
      case "F16": out[i] = smallFloat(view.getUint16(o, true), 5, 10, true); break;
      case "BF16": f32.setUint32(0, view.getUint16(o, true) << 16); out[i] = f32.getFloat32(0); break;
      case "I64": out[i] = Number(view.getBigInt64(o, true)); break;
      case "U64": out[i] = Number(view.getBigUint64(o, true)); break;
      case "I32": out[i] = view.getInt32(o, true); break;
      case "U32": out[i] = view.getUint32(o, true); break;
      case "I16": out[i] = view.getInt16(o, true); break;
      case "U16": out[i] = view.getUint16(o, true); break;
      case "I8": out[i] = view.getInt8(o); break;
      case "U8": out[i] = view.getUint8(o); break;
      case "F8_E4M3": out[i] = smallFloat(view.getUint8(o), 4, 3, false); break;
      case "F8_E5M2": out[i] = smallFloat(view.getUint8(o), 5, 2, true); break;
      case "BOOL": {
        const b = view.getUint8(o);
        if (b > 1) throw new SafetensorsError(`${name}: BOOL byte ${b} at element ${i} is neither 0 nor 1`);
        out[i] = b;
        break;
      }
    }
  }
  return out;
}

export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  const header = parseSafetensorsHeader(bytes, bytes.length);
  const tensors = new Map<string, Tensor>();
  for (const t of header.tensors) {
    const raw = bytes.subarray(t.start, t.end);
    tensors.set(t.name, { dtype: t.dtype, shape: t.shape, data: tensorValues(t.dtype, raw, t.name), bytes: raw });
  }
  return { tensors, metadata: header.metadata };
}

/** A tensor's description for a header: its byte size follows from dtype and shape. */
export interface TensorLayout {
  name: string;
  dtype: Dtype;
  shape: number[];
}

/**
 * The first 8 + N bytes of a safetensors file holding `tensors` back to back in this order:
 * __metadata__ first (when not empty), JSON padded with spaces so the data starts at a multiple
 * of 8, as the reference implementation writes it. Returns the header and the data's length.
 */
export function encodeSafetensorsHeader(tensors: readonly TensorLayout[], metadata: Record<string, string> = {}): { header: Uint8Array; dataLength: number } {
  const json: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) json.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (t.name === "__metadata__" || Object.hasOwn(json, t.name)) throw new SafetensorsError(`tensor name ${JSON.stringify(t.name)} is reserved or repeated`);
    if (!isDtype(t.dtype)) throw new SafetensorsError(`${t.name}: unsupported dtype ${JSON.stringify(t.dtype)}`);
    const size = checkedCount(t.name, t.shape) * DTYPE_BYTES[t.dtype];
    json[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  const text = new TextEncoder().encode(JSON.stringify(json));
  const padded = text.length + ((8 - ((LENGTH_PREFIX_BYTES + text.length) % 8)) % 8);
  const header = new Uint8Array(LENGTH_PREFIX_BYTES + padded).fill(0x20, LENGTH_PREFIX_BYTES + text.length);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(text, LENGTH_PREFIX_BYTES);
  return { header, dataLength: offset };
}

/** Writes one element of an integer or IEEE float dtype (F16, BF16 and F8 are written from bytes). */
function writeValue(view: DataView, offset: number, dtype: Dtype, value: number, name: string): void {
  switch (dtype) {
    case "F64": return view.setFloat64(offset, value, true);
    case "F32": return view.setFloat32(offset, value, true);
    case "I64": return view.setBigInt64(offset, BigInt(value), true);
    case "U64": return view.setBigUint64(offset, BigInt(value), true);
    case "I32": return view.setInt32(offset, value, true);
    case "U32": return view.setUint32(offset, value, true);
    case "I16": return view.setInt16(offset, value, true);
    case "U16": return view.setUint16(offset, value, true);
    case "I8": return view.setInt8(offset, value);
    case "U8": case "BOOL": return view.setUint8(offset, value);
    default: throw new SafetensorsError(`${name}: give ${dtype} tensors as bytes`);
  }
}

/** A tensor to write: its raw bytes, or values (every dtype but F16, BF16 and the F8 ones). */
export interface TensorToWrite {
  dtype: Dtype;
  shape: number[];
  data?: ArrayLike<number>;
  bytes?: Uint8Array;
}

/** Writes tensors in insertion order (the layout of encodeSafetensorsHeader). */
export function serializeSafetensors(tensors: Map<string, TensorToWrite>, metadata: Record<string, string> = {}): Uint8Array {
  const { header, dataLength } = encodeSafetensorsHeader([...tensors].map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape })), metadata);
  const out = new Uint8Array(header.length + dataLength);
  out.set(header, 0);
  const view = new DataView(out.buffer);
  let p = header.length;
  for (const [name, t] of tensors) {
    const size = checkedCount(name, t.shape) * DTYPE_BYTES[t.dtype];
    if (t.bytes !== undefined) {
      if (t.bytes.length !== size) throw new SafetensorsError(`${name}: ${t.bytes.length} bytes for shape ${JSON.stringify(t.shape)} of ${t.dtype}`);
      out.set(t.bytes, p);
    } else {
      const data = t.data ?? [];
      if (data.length * DTYPE_BYTES[t.dtype] !== size) throw new SafetensorsError(`${name}: ${data.length} values for shape ${JSON.stringify(t.shape)}`);
      for (let i = 0; i < data.length; i++) writeValue(view, p + i * DTYPE_BYTES[t.dtype], t.dtype, data[i]!, name);
    }
    p += size;
  }
  return out;
}
