/**
 * ECIES in the SDK: crypto/ecies.ts (the node's own implementation, here on @noble/curves and
 * WebCrypto) with its failures as SdkErrors (UNWRAP_FAILED, INVALID_ARGUMENT).
 */
import { generateKeyPair, publicKeyOf as corePublicKeyOf, unwrapKey as coreUnwrapKey } from "../crypto/ecies.js";
import { sdkAsync, sdkSync } from "./errors.js";

export interface RecipientKeyPair {
  privateKey: Uint8Array;
  /** 33-byte compressed secp256k1 public key: what requestKey records in the ticket. */
  publicKey: Uint8Array;
}

/** A fresh secp256k1 key pair from crypto.getRandomValues. */
export function generateRecipientKey(): RecipientKeyPair {
  return sdkSync(generateKeyPair);
}

export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  return sdkSync(() => corePublicKeyOf(privateKey));
}

/** Opens a key wrapped to `privateKey`'s public key under `context`; UNWRAP_FAILED on any mismatch. */
export function unwrapKey(privateKey: Uint8Array, wrapped: Uint8Array, context = ""): Promise<Uint8Array> {
  return sdkAsync(() => coreUnwrapKey(privateKey, wrapped, context));
}
