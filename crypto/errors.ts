/**
 * Typed errors of crypto/. Every failure a caller can meet has its own class, so callers
 * branch on `instanceof` (or the stable `code`) instead of parsing messages. Messages never
 * contain key material or plaintext.
 */
export class ModelvaultCryptoError extends Error {
  /** Stable, machine-readable code, e.g. for HTTP error bodies. */
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An argument is of the wrong type, length or range (programming or input error). */
export class InvalidArgumentError extends ModelvaultCryptoError {
  constructor(message: string) {
    super("INVALID_ARGUMENT", message);
  }
}

// ---- sealed stream ----------------------------------------------------------------------

/** Base class of every sealed-stream failure: nothing of a failed stream is trustworthy. */
export class SealedStreamError extends ModelvaultCryptoError {}

/** The header is not a modelvault sealed header (magic, version or a field out of range). */
export class MalformedHeaderError extends SealedStreamError {
  constructor(message: string) {
    super("SEALED_MALFORMED_HEADER", message);
  }
}

/** The key does not match the key commitment in the header. */
export class WrongKeyError extends SealedStreamError {
  constructor() {
    super("SEALED_WRONG_KEY", "the key does not open this sealed stream");
  }
}

/** The header was altered: its authentication tag does not verify under the (right) key. */
export class HeaderTamperedError extends SealedStreamError {
  constructor() {
    super("SEALED_HEADER_TAMPERED", "the sealed header failed authentication");
  }
}

/** The stream is authentic but belongs to another model than the one expected. */
export class ModelMismatchError extends SealedStreamError {
  constructor() {
    super("SEALED_MODEL_MISMATCH", "the sealed stream belongs to another model");
  }
}

/**
 * A segment failed authentication: a flipped bit, a segment moved, duplicated, dropped or
 * taken from another stream. No plaintext of this segment or any later one is released.
 */
export class SegmentAuthenticationError extends SealedStreamError {
  readonly segment: number;
  constructor(segment: number) {
    super("SEALED_SEGMENT_AUTH", `segment ${segment} failed authentication`);
    this.segment = segment;
  }
}

/** The stream ended before its final segment (or inside the header). */
export class TruncatedStreamError extends SealedStreamError {
  constructor(message = "the sealed stream ended before its final segment") {
    super("SEALED_TRUNCATED", message);
  }
}

/** Bytes follow the final segment. */
export class TrailingDataError extends SealedStreamError {
  constructor() {
    super("SEALED_TRAILING_DATA", "data follows the final segment of the sealed stream");
  }
}

// ---- key wrapping, shares, keystore, signatures -------------------------------------------

/** A secp256k1 public key is not a valid compressed point. */
export class InvalidPublicKeyError extends ModelvaultCryptoError {
  constructor(message = "not a valid 33-byte compressed secp256k1 public key") {
    super("INVALID_PUBLIC_KEY", message);
  }
}

/** A wrapped key is malformed, was altered, or is not addressed to this private key. */
export class UnwrapError extends ModelvaultCryptoError {
  constructor(message = "the wrapped key does not open with this private key") {
    super("UNWRAP_FAILED", message);
  }
}

/** A key share is malformed. */
export class MalformedShareError extends ModelvaultCryptoError {
  constructor(message: string) {
    super("SHARE_MALFORMED", message);
  }
}

/** Fewer distinct shares than the threshold. */
export class NotEnoughSharesError extends ModelvaultCryptoError {
  readonly have: number;
  readonly need: number;
  constructor(have: number, need: number) {
    super("SHARES_NOT_ENOUGH", `need ${need} distinct shares of the key, have ${have}`);
    this.have = have;
    this.need = need;
  }
}

/** Shares of different keys (or different thresholds) were mixed. */
export class MismatchedSharesError extends ModelvaultCryptoError {
  constructor(message = "the shares belong to different keys or splits") {
    super("SHARES_MISMATCHED", message);
  }
}

/** The shares combine to a key that does not match their commitment: some share is corrupt. */
export class InvalidSharesError extends ModelvaultCryptoError {
  constructor() {
    super("SHARES_INVALID", "no combination of the shares yields the committed key: a share is corrupt");
  }
}

/** A keystore file is not a valid modelvault keystore. */
export class KeystoreFormatError extends ModelvaultCryptoError {
  constructor(message: string) {
    super("KEYSTORE_FORMAT", message);
  }
}

/** The keystore does not open with this password (or its ciphertext was altered). */
export class WrongPasswordError extends ModelvaultCryptoError {
  constructor() {
    super("KEYSTORE_WRONG_PASSWORD", "wrong password (or the keystore was altered)");
  }
}

/** A mnemonic phrase or derivation path is invalid. */
export class InvalidMnemonicError extends ModelvaultCryptoError {
  constructor(message = "not a valid BIP-39 English mnemonic") {
    super("INVALID_MNEMONIC", message);
  }
}

/** A manifest signature is malformed or was made by another signer than expected. */
export class ManifestSignatureError extends ModelvaultCryptoError {
  constructor(message: string) {
    super("MANIFEST_SIGNATURE", message);
  }
}

/** WebCrypto (globalThis.crypto.subtle) is missing: a browser page not on https:// or localhost. */
export class NoWebCryptoError extends ModelvaultCryptoError {
  constructor() {
    super("NO_WEBCRYPTO", "WebCrypto (crypto.subtle) is not available: browsers only offer it on https:// or localhost pages");
  }
}
