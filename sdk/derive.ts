/** HKDF-SHA256 and the key commitment, byte-identical to crypto/derive.ts (@noble/hashes, pure JS). */
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { expectBytes, utf8 } from "./bytes.js";

export const KEY_LENGTH = 32;

export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: string | Uint8Array, length: number): Uint8Array {
  return hkdf(sha256, ikm, salt, typeof info === "string" ? utf8(info) : info, length);
}

/** HKDF(key, salt = "", info = "modelvault/v1/key-commitment", 32): in the manifest, every share and every sealed header. */
export function keyCommitment(key: Uint8Array): Uint8Array {
  expectBytes(key, KEY_LENGTH, "key");
  return hkdfSha256(key, new Uint8Array(0), "modelvault/v1/key-commitment", 32);
}
