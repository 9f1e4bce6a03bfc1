/** crypto/: pure primitives of modelvault. No network, no chain. */
export * from "./errors.js";
export * from "./sealed/index.js";
export { generateContentKey, keyCommitment, deriveModelKey, hkdfSha256, KEY_LENGTH, type ModelKeyPurpose } from "./derive.js";
export { wrapKey, unwrapKey, generateKeyPair, publicKeyOf, PUBLIC_KEY_LENGTH, WRAP_OVERHEAD } from "./ecies.js";
export { splitKey, combineShares, encodeShare, decodeShare, SHARE_LENGTH, type KeyShare } from "./shares.js";
export { identityFromMnemonic, identityFromPrivateKey, generateMnemonic, DEFAULT_DERIVATION_PATH, type NodeIdentity } from "./identity.js";
export {
  encryptKeystore,
  decryptKeystore,
  saveKeystore,
  loadKeystore,
  parseKeystore,
  DEFAULT_SCRYPT_N,
  type KeystoreFile,
  type EncryptKeystoreOptions,
} from "./keystore.js";
export { signManifest, verifyManifest, manifestDigest, manifestTypedData, canonicalManifestBytes, MANIFEST_TYPES } from "./manifest-signature.js";
export { constantTimeEqual } from "./bytes.js";
