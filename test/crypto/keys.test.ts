import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mnemonicToAccount } from "viem/accounts";
import {
  decryptKeystore,
  deriveModelKey,
  encryptKeystore,
  generateMnemonic,
  identityFromMnemonic,
  InvalidArgumentError,
  InvalidMnemonicError,
  KeystoreFormatError,
  loadKeystore,
  saveKeystore,
  unwrapKey,
  WrongPasswordError,
  wrapKey,
} from "../../crypto/index.js";
import { assertBytes } from "../helpers/bytes.js";

// The well-known Hardhat/Anvil test mnemonic: its first account is public knowledge.
const TEST_MNEMONIC = "test test test test test test test test test test test junk";

describe("node identity from a mnemonic", () => {
  it("derives the standard Ethereum account (agrees with viem's mnemonicToAccount)", () => {
    const id = identityFromMnemonic(TEST_MNEMONIC);
    assert.equal(id.address, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    assert.equal(id.address, mnemonicToAccount(TEST_MNEMONIC).address);
    assert.equal(identityFromMnemonic(TEST_MNEMONIC, "m/44'/60'/0'/0/1").address, mnemonicToAccount(TEST_MNEMONIC, { addressIndex: 1 }).address);
    assert.equal(id.publicKey.length, 33);
  });

  it("its public key receives wrapped shares that its private key opens", async () => {
    const id = identityFromMnemonic(generateMnemonic());
    const secret = new Uint8Array(32).fill(7);
    assertBytes(await unwrapKey(id.privateKey, await wrapKey(id.publicKey, secret)), secret);
  });

  it("rejects a bad mnemonic or path with typed errors", () => {
    assert.throws(() => identityFromMnemonic("test test test"), InvalidMnemonicError);
    assert.throws(() => identityFromMnemonic(TEST_MNEMONIC.replace("junk", "test")), InvalidMnemonicError);
    assert.throws(() => identityFromMnemonic(TEST_MNEMONIC, "not/a/path"), InvalidArgumentError);
  });
});

describe("per-model keys", () => {
  const master = new Uint8Array(32).fill(1);
  const modelA = new Uint8Array(32).fill(2);
  const modelB = new Uint8Array(32).fill(3);

  it("are deterministic, and independent across model, purpose and version", () => {
    assertBytes(deriveModelKey(master, modelA, "content"), deriveModelKey(master, modelA, "content"));
    const keys = [
      deriveModelKey(master, modelA, "content"),
      deriveModelKey(master, modelB, "content"),
      deriveModelKey(master, modelA, "share-at-rest"),
      deriveModelKey(master, modelA, "content", 2),
    ].map((k) => Buffer.from(k).toString("hex"));
    assert.equal(new Set(keys).size, keys.length);
    assert.throws(() => deriveModelKey(new Uint8Array(16), modelA, "content"), InvalidArgumentError);
    assert.throws(() => deriveModelKey(master, modelA, "content", 0), InvalidArgumentError);
  });
});

describe("encrypted keystore", () => {
  const secret = new Uint8Array(32).map((_, i) => i);
  const fast = { scryptN: 2 ** 10 };
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), "mv-keystore-"))));
  after(async () => rm(dir, { recursive: true, force: true }));

  it("round-trips through a file readable only by its owner", async () => {
    const path = join(dir, "node.json");
    await saveKeystore(path, await encryptKeystore(secret, "correct horse", { ...fast, address: "0xabc" }));
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assertBytes(await decryptKeystore(await loadKeystore(path), "correct horse"), secret);
    assert.ok(!(await readFile(path, "utf8")).includes(Buffer.from(secret).toString("hex")));
  });

  it("a wrong password, or altered parameters, fail with WrongPasswordError", async () => {
    const ks = await encryptKeystore(secret, "pw", fast);
    await assert.rejects(decryptKeystore(ks, "PW"), WrongPasswordError);
    const altered = structuredClone(ks);
    altered.crypto.kdfparams.n = 2 ** 11; // weakening (or changing) the KDF is detected
    await assert.rejects(decryptKeystore(altered, "pw"), WrongPasswordError);
    const relabelled = { ...structuredClone(ks), address: "0xdef" };
    await assert.rejects(decryptKeystore(relabelled, "pw"), WrongPasswordError);
  });

  it("malformed or hostile files fail with KeystoreFormatError before any KDF work", async () => {
    const ks = await encryptKeystore(secret, "pw", fast);
    const cases: unknown[] = [
      null,
      "text",
      { ...ks, version: 2 },
      { ...ks, crypto: { ...ks.crypto, kdf: "pbkdf2" } },
      { ...ks, crypto: { ...ks.crypto, kdfparams: { ...ks.crypto.kdfparams, n: 2 ** 30 } } },
      { ...ks, crypto: { ...ks.crypto, kdfparams: { ...ks.crypto.kdfparams, n: 1000 } } },
      { ...ks, crypto: { ...ks.crypto, tag: "0x1234" } },
    ];
    for (const c of cases) await assert.rejects(decryptKeystore(c, "pw"), KeystoreFormatError);
    const path = join(dir, "broken.json");
    await writeFile(path, "{ not json");
    await assert.rejects(loadKeystore(path), KeystoreFormatError);
    await assert.rejects(loadKeystore(join(dir, "missing.json")), KeystoreFormatError);
    await assert.rejects(encryptKeystore(secret, "", fast), InvalidArgumentError);
  });
});
