/**
 * The node's signing identity: a BIP-39 mnemonic -> secp256k1 key (Ethereum account) that signs
 * manifests. Kept at rest only as an encrypted keystore, <dataDir>/identity.json; the mnemonic
 * is shown once at creation and never stored.
 */
import { mkdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  DEFAULT_SCRYPT_N,
  decryptKeystore,
  encryptKeystore,
  generateMnemonic,
  identityFromMnemonic,
  identityFromPrivateKey,
  loadKeystore,
  saveKeystore,
  type KeystoreFile,
  type NodeIdentity,
} from "../../crypto/index.js";
import { NodeError } from "../errors.js";

export const IDENTITY_FILE = "identity.json";

/** The identity file is missing, already exists, or no password was given. */
export class IdentityError extends NodeError {}

export function identityPath(dataDir: string): string {
  return join(dataDir, IDENTITY_FILE);
}

/** The keystore password: --password-file (first line) over MODELVAULT_PASSWORD. */
export async function resolvePassword(passwordFile: string | undefined, env: Record<string, string | undefined>): Promise<string> {
  if (passwordFile !== undefined) {
    let text: string;
    try {
      text = await readFile(passwordFile, "utf8");
    } catch (error) {
      throw new IdentityError("PASSWORD_MISSING", `cannot read password file ${passwordFile}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
    }
    const password = text.split(/\r?\n/)[0] ?? "";
    if (password === "") throw new IdentityError("PASSWORD_MISSING", `password file ${passwordFile} is empty`);
    return password;
  }
  const password = env.MODELVAULT_PASSWORD;
  if (password === undefined || password === "") {
    throw new IdentityError("PASSWORD_MISSING", "no keystore password: set MODELVAULT_PASSWORD or pass --password-file FILE");
  }
  return password;
}

export interface CreatedIdentity {
  identity: NodeIdentity;
  /** Shown to the operator once; the only way to recover the key without the keystore. */
  mnemonic: string;
  path: string;
}

export async function createIdentity(dataDir: string, password: string, scryptN = DEFAULT_SCRYPT_N): Promise<CreatedIdentity> {
  const path = identityPath(dataDir);
  if (await exists(path)) throw new IdentityError("IDENTITY_EXISTS", `an identity already exists at ${path}; refusing to overwrite it`);
  const mnemonic = generateMnemonic();
  const identity = identityFromMnemonic(mnemonic);
  const keystore = await encryptKeystore(identity.privateKey, password, { address: identity.address, scryptN });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await saveKeystore(path, keystore);
  return { identity, mnemonic, path };
}

export async function loadIdentity(dataDir: string, password: string): Promise<NodeIdentity> {
  return unlockIdentity(await readIdentityKeystore(dataDir), password);
}

/** The data dir's keystore, read and checked but still encrypted. */
export async function readIdentityKeystore(dataDir: string): Promise<KeystoreFile> {
  const path = identityPath(dataDir);
  if (!(await exists(path))) {
    throw new IdentityError("IDENTITY_MISSING", `no node identity at ${path}: run \`modelvault node init\` first`);
  }
  return loadKeystore(path);
}

/** Decrypts a keystore; its scrypt is on libuv's thread pool from the call on. WrongPasswordError when wrong. */
export async function unlockIdentity(keystore: KeystoreFile, password: string): Promise<NodeIdentity> {
  return identityFromPrivateKey(await decryptKeystore(keystore, password));
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
