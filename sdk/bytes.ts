/** Byte helpers and WebCrypto access; nothing here touches node: modules. */
import { SdkError } from "./errors.js";

export const utf8 = (text: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>;

/** Equality that does not stop at the first difference (false on length mismatch). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function concatBytes(pieces: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const total = pieces.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

export function expectBytes(value: unknown, length: number, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new SdkError("INVALID_ARGUMENT", `${name} must be a Uint8Array`);
  if (value.length !== length) throw new SdkError("INVALID_ARGUMENT", `${name} must be ${length} bytes, got ${value.length}`);
  return value;
}

/** A copy backed by a plain ArrayBuffer (what WebCrypto's BufferSource wants). */
export const copyBytes = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes);

/** WebCrypto's types, taken from the global (the project compiles without the DOM lib). */
export type Subtle = typeof globalThis.crypto.subtle;
export type AesKey = Awaited<ReturnType<Subtle["importKey"]>>;

/** globalThis.crypto.subtle: browsers (secure contexts), Deno, Bun and Node >= 19. */
export function subtle(): Subtle {
  const s = (globalThis as { crypto?: { subtle?: Subtle } }).crypto?.subtle;
  if (s === undefined) {
    throw new SdkError("NO_WEBCRYPTO", "WebCrypto (crypto.subtle) is not available: browsers only offer it on https:// or localhost pages");
  }
  return s;
}

export async function importAesKey(raw: Uint8Array): Promise<AesKey> {
  return subtle().importKey("raw", copyBytes(raw), { name: "AES-GCM" }, false, ["decrypt", "encrypt"]);
}

/** AES-256-GCM open of ciphertext || tag; null when it does not authenticate. */
export async function aesGcmOpen(key: AesKey, iv: Uint8Array, aad: Uint8Array, sealed: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer> | null> {
  try {
    const plain = await subtle().decrypt({ name: "AES-GCM", iv: copyBytes(iv), additionalData: copyBytes(aad), tagLength: 128 }, key, sealed);
    return new Uint8Array(plain);
  } catch {
    return null;
  }
}
