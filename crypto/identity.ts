/**
 * A node's identity: a secp256k1 key from a BIP-39 mnemonic and a BIP-32 path (@scure), the
 * Ethereum account over it (viem), and the compressed public key that custodians register for
 * share wrapping.
 */
import { HDKey } from "@scure/bip32";
import { generateMnemonic as bip39Generate, mnemonicToSeedSync, validateMnemonic } from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english.js";
import { bytesToHex, type Address } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { expectBytes } from "./bytes.js";
import { publicKeyOf } from "./ecies.js";
import { InvalidArgumentError, InvalidMnemonicError } from "./errors.js";

/** Ethereum's first account: m/44'/60'/0'/0/0. */
export const DEFAULT_DERIVATION_PATH = "m/44'/60'/0'/0/0";

export interface NodeIdentity {
  address: Address;
  /** 32-byte secp256k1 private key. Keep it in a keystore at rest. */
  privateKey: Uint8Array;
  /** 33-byte compressed public key: what key shares are wrapped to. */
  publicKey: Uint8Array;
  /** viem account for signing transactions, messages and typed data. */
  account: PrivateKeyAccount;
}

/** A new 24-word English mnemonic (256 bits of entropy). */
export function generateMnemonic(): string {
  return bip39Generate(wordlist, 256);
}

export function identityFromPrivateKey(privateKey: Uint8Array): NodeIdentity {
  expectBytes(privateKey, 32, "privateKey");
  const publicKey = publicKeyOf(privateKey);
  const account = privateKeyToAccount(bytesToHex(privateKey));
  return { address: account.address, privateKey: Uint8Array.from(privateKey), publicKey, account };
}

export function identityFromMnemonic(mnemonic: string, path = DEFAULT_DERIVATION_PATH, passphrase = ""): NodeIdentity {
  const phrase = typeof mnemonic === "string" ? mnemonic.normalize("NFKD").trim().split(/\s+/).join(" ") : "";
  if (!validateMnemonic(phrase, wordlist)) throw new InvalidMnemonicError();
  let key: HDKey;
  try {
    key = HDKey.fromMasterSeed(mnemonicToSeedSync(phrase, passphrase)).derive(path);
  } catch {
    throw new InvalidArgumentError(`invalid BIP-32 derivation path: ${JSON.stringify(path)}`);
  }
  if (key.privateKey === null) throw new InvalidArgumentError("the derivation path yields no private key");
  return identityFromPrivateKey(key.privateKey);
}
