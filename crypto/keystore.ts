/**
 * An encrypted keystore file at rest, in the spirit of Ethereum's keystore v3: scrypt
 * (node:crypto) stretches the password, AES-256-GCM encrypts the secret, and the KDF
 * parameters are authenticated as AAD so they cannot be weakened in place.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID, scrypt as scryptCb } from "node:crypto";
import { rename, readFile, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import { bytesToHex, hexToBytes, isHex } from "viem";
import { utf8 } from "./bytes.js";
import { InvalidArgumentError, KeystoreFormatError, WrongPasswordError } from "./errors.js";

const scrypt = promisify(scryptCb) as (
  password: string,
  salt: Uint8Array,
  length: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** 2^17 costs ~0.3 s and 128 MiB here; decrypting accepts 2^10..2^20. */
export const DEFAULT_SCRYPT_N = 2 ** 17;
const MIN_SCRYPT_N = 2 ** 10;
const MAX_SCRYPT_N = 2 ** 20;

export interface KeystoreFile {
  version: 1;
  kind: "modelvault-keystore";
  id: string;
  /** What the secret is, e.g. "secp256k1-private-key". */
  label: string;
  /** Optional public hint (e.g. the account address); authenticated. */
  address?: string;
  crypto: {
    kdf: "scrypt";
    kdfparams: { n: number; r: number; p: number; dklen: 32; salt: string };
    cipher: "aes-256-gcm";
    cipherparams: { iv: string };
    ciphertext: string;
    tag: string;
  };
}

export interface EncryptKeystoreOptions {
  label?: string;
  address?: string;
  scryptN?: number;
}

function checkPassword(password: unknown): string {
  if (typeof password !== "string" || password.length === 0) throw new InvalidArgumentError("password must be a non-empty string");
  return password.normalize("NFKC");
}

function deriveKey(password: string, params: KeystoreFile["crypto"]["kdfparams"]): Promise<Buffer> {
  const maxmem = 128 * params.n * params.r + (1 << 20) * 4;
  return scrypt(password, hexToBytes(params.salt as `0x${string}`), 32, { N: params.n, r: params.r, p: params.p, maxmem });
}

/** Everything but the ciphertext and tag, canonically ordered: the AAD. */
function associatedData(file: Omit<KeystoreFile, "crypto"> & { crypto: Pick<KeystoreFile["crypto"], "kdfparams"> }): Uint8Array {
  const { n, r, p, dklen, salt } = file.crypto.kdfparams;
  return utf8(JSON.stringify([file.version, file.kind, file.id, file.label, file.address ?? null, n, r, p, dklen, salt]));
}

export async function encryptKeystore(
  secret: Uint8Array,
  password: string,
  options: EncryptKeystoreOptions = {},
): Promise<KeystoreFile> {
  if (!(secret instanceof Uint8Array) || secret.length === 0) throw new InvalidArgumentError("secret must be non-empty bytes");
  const pass = checkPassword(password);
  const n = options.scryptN ?? DEFAULT_SCRYPT_N;
  if (!isPowerOfTwo(n) || n < MIN_SCRYPT_N || n > MAX_SCRYPT_N) throw new InvalidArgumentError("scryptN must be a power of two in [2^10, 2^20]");
  const kdfparams = { n, r: 8, p: 1, dklen: 32 as const, salt: bytesToHex(randomBytes(32)) };
  const base = {
    version: 1 as const,
    kind: "modelvault-keystore" as const,
    id: randomUUID(),
    label: options.label ?? "secp256k1-private-key",
    ...(options.address === undefined ? {} : { address: options.address }),
  };
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", await deriveKey(pass, kdfparams), iv);
  cipher.setAAD(associatedData({ ...base, crypto: { kdfparams } }));
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
  return {
    ...base,
    crypto: {
      kdf: "scrypt",
      kdfparams,
      cipher: "aes-256-gcm",
      cipherparams: { iv: bytesToHex(iv) },
      ciphertext: bytesToHex(ciphertext),
      tag: bytesToHex(cipher.getAuthTag()),
    },
  };
}

export async function decryptKeystore(file: unknown, password: string): Promise<Uint8Array> {
  const keystore = parseKeystore(file);
  const pass = checkPassword(password);
  const { crypto } = keystore;
  const decipher = createDecipheriv("aes-256-gcm", await deriveKey(pass, crypto.kdfparams), hexToBytes(crypto.cipherparams.iv as `0x${string}`));
  decipher.setAAD(associatedData(keystore));
  decipher.setAuthTag(hexToBytes(crypto.tag as `0x${string}`));
  try {
    return new Uint8Array(Buffer.concat([decipher.update(hexToBytes(crypto.ciphertext as `0x${string}`)), decipher.final()]));
  } catch {
    throw new WrongPasswordError();
  }
}

/** Writes the keystore readable by its owner only, atomically (temp file + rename). */
export async function saveKeystore(path: string, keystore: KeystoreFile): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(keystore, null, 2) + "\n", { mode: 0o600 });
  await rename(temp, path);
}

export async function loadKeystore(path: string): Promise<KeystoreFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new KeystoreFormatError(`cannot read keystore ${path}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
  try {
    return parseKeystore(JSON.parse(text));
  } catch (error) {
    if (error instanceof KeystoreFormatError) throw error;
    throw new KeystoreFormatError(`keystore ${path} is not valid JSON`);
  }
}

/** Validates a keystore's shape and bounds (so a hostile file cannot ask for a huge scrypt). */
export function parseKeystore(value: unknown): KeystoreFile {
  const fail = (what: string): never => {
    throw new KeystoreFormatError(`invalid keystore: ${what}`);
  };
  const file = value as KeystoreFile;
  if (typeof value !== "object" || value === null) fail("not an object");
  if (file.version !== 1 || file.kind !== "modelvault-keystore") fail("unknown version or kind");
  if (typeof file.id !== "string" || typeof file.label !== "string") fail("id and label must be strings");
  if (file.address !== undefined && typeof file.address !== "string") fail("address must be a string");
  const c = file.crypto;
  if (typeof c !== "object" || c === null || c.kdf !== "scrypt" || c.cipher !== "aes-256-gcm") fail("unsupported kdf or cipher");
  const k = c.kdfparams ?? {};
  if (!isPowerOfTwo(k.n) || k.n < MIN_SCRYPT_N || k.n > MAX_SCRYPT_N) fail("scrypt n out of range");
  if (!Number.isInteger(k.r) || k.r < 1 || k.r > 16 || !Number.isInteger(k.p) || k.p < 1 || k.p > 4 || k.dklen !== 32) {
    fail("scrypt r, p or dklen out of range");
  }
  const hexOf = (v: unknown, bytes?: number) =>
    typeof v === "string" && isHex(v, { strict: true }) && (bytes === undefined || v.length === 2 + 2 * bytes);
  if (!hexOf(k.salt, 32) || !hexOf(c.cipherparams?.iv, 12) || !hexOf(c.ciphertext) || !hexOf(c.tag, 16)) {
    fail("salt, iv, ciphertext or tag is not hex of the right length");
  }
  return file;
}

function isPowerOfTwo(n: unknown): n is number {
  return typeof n === "number" && Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
}
