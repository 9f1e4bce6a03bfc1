/**
 * The SDK's one error class, with stable machine-readable codes. Codes mirror the node's where
 * the same failure exists there (node/errors.ts, crypto/errors.ts, node/custody/errors.ts), so a
 * dApp can branch on `error.code` whichever side failed. Messages never hold keys, shares or
 * plaintext.
 */
import { BaseError, ContractFunctionRevertedError } from "viem";
import type { RefusalCode } from "../contracts/owner-rules.js";
import { ModelvaultCryptoError, NotEnoughSharesError, SegmentAuthenticationError } from "../crypto/errors.js";

export type SdkErrorCode =
  /** A caller's argument is of the wrong type, length or range. */
  | "INVALID_ARGUMENT"
  /** A write (buy, requestKey) without a wallet client or an account. */
  | "NO_ACCOUNT"
  /** The public client serves another chain than the deployment's. */
  | "CHAIN_MISMATCH"
  /** A contract call reverted; `errorName` holds the contract's custom error when known. */
  | "CHAIN_REVERT"
  /** The RPC failed or a transaction did not do what it should (no event, receipt failed). */
  | "CHAIN_ERROR"
  /** The model (or the version) is not registered. */
  | "UNKNOWN_MODEL"
  /** Fewer than threshold custodians released a valid share; `failures` says why per custodian. */
  | "NOT_ENOUGH_SHARES"
  /** The key does not match the manifest's (or the stream's) key commitment. */
  | "WRONG_KEY"
  /** The manifest block does not hash to its CID, is malformed, or is not signed by its owner. */
  | "INVALID_MANIFEST"
  /** The content contradicts the manifest (size) or the node sent nonsense. */
  | "CONTENT_MISMATCH"
  /** A whole-file read of a directory model (read one of its files). */
  | "NOT_A_FILE"
  /** The node found no peer with the CID in time (its 504). */
  | "CONTENT_NOT_FOUND"
  /** The node could not be reached, or answered without a readable body. */
  | "NODE_UNAVAILABLE"
  /** The node answered with another error; `nodeCode` and `status` hold its own. */
  | "NODE_ERROR"
  /** ECIES: a wrapped share does not open with the recipient key (or is malformed). */
  | "UNWRAP_FAILED"
  /** Key shares: malformed, of different keys, or combining to a key other than committed. */
  | "SHARE_MALFORMED"
  | "SHARES_MISMATCHED"
  | "SHARES_INVALID"
  /** Sealed stream (docs/FORMAT.md), as crypto/errors.ts names them. */
  | "SEALED_TRUNCATED"
  | "SEALED_MALFORMED_HEADER"
  | "SEALED_HEADER_TAMPERED"
  | "SEALED_MODEL_MISMATCH"
  | "SEALED_SEGMENT_AUTH"
  | "SEALED_TRAILING_DATA"
  /** Tensors (node/models/tensor-listing.ts names them alike): a file is not valid safetensors, the model has none, a name matches no tensor, or is in two files that no index decides between. */
  | "INVALID_SAFETENSORS"
  | "NO_SAFETENSORS"
  | "TENSOR_NOT_FOUND"
  | "TENSOR_AMBIGUOUS"
  /** A proof is malformed, or no verifier is available for it. */
  | "INVALID_PROOF"
  | "NO_VERIFIER"
  /** WebCrypto (globalThis.crypto.subtle) is missing: an insecure (non-https) browser context. */
  | "NO_WEBCRYPTO"
  /** The operation was aborted through its signal. */
  | "ABORTED"
  /**
   * An owner action the contract refuses, checked before sending (contracts/owner-rules.ts, the
   * node's own rules): NOT_OWNER, MODEL_RETIRED, INVALID_STATUS, NO_LICENCE, LICENCE_REVOKED,
   * EXPIRY_IN_PAST, NOTHING_TO_WITHDRAW (and the staking ones); UNKNOWN_MODEL as above.
   */
  | RefusalCode;

export interface SdkErrorDetails {
  /** SEALED_SEGMENT_AUTH: the first segment that failed. */
  segment?: number;
  /** NOT_ENOUGH_SHARES: per custodian address, why it gave nothing ("CODE: message"). */
  failures?: Record<string, string>;
  threshold?: number;
  released?: number;
  /** NODE_ERROR and others from the node: the node's own code and HTTP status. */
  nodeCode?: string;
  status?: number;
  /** CHAIN_REVERT: the contract's custom error name, and its arguments as text. */
  errorName?: string;
  errorArgs?: string[];
}

export class SdkError extends Error {
  readonly code: SdkErrorCode;
  readonly details: SdkErrorDetails;
  constructor(code: SdkErrorCode, message: string, details: SdkErrorDetails = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = "SdkError";
    this.code = code;
    this.details = details;
  }
}

/** Whether `error` is an SdkError (with `code`, when given). */
export function isSdkError(error: unknown, code?: SdkErrorCode): error is SdkError {
  return error instanceof SdkError && (code === undefined || error.code === code);
}

// ---- the one boundary between the shared formats (crypto/, typed errors) and the SDK's codes ----

/** Core codes the SDK names otherwise; every other core code the SDK documents passes as it is. */
const RENAMED: Record<string, SdkErrorCode> = {
  SEALED_WRONG_KEY: "WRONG_KEY",
  SHARES_NOT_ENOUGH: "NOT_ENOUGH_SHARES",
  MANIFEST_SIGNATURE: "INVALID_MANIFEST",
  INVALID_PUBLIC_KEY: "INVALID_ARGUMENT",
};
const SAME: ReadonlySet<string> = new Set<SdkErrorCode>([
  "INVALID_ARGUMENT", "UNWRAP_FAILED", "SHARE_MALFORMED", "SHARES_MISMATCHED", "SHARES_INVALID", "NO_WEBCRYPTO",
  "SEALED_TRUNCATED", "SEALED_MALFORMED_HEADER", "SEALED_HEADER_TAMPERED", "SEALED_MODEL_MISMATCH", "SEALED_SEGMENT_AUTH", "SEALED_TRAILING_DATA",
]);

/** A crypto/ error (crypto/errors.ts) as the SdkError it is documented as; anything else unchanged. */
export function fromCoreError(error: unknown): unknown {
  if (!(error instanceof ModelvaultCryptoError)) return error;
  const code = RENAMED[error.code] ?? (SAME.has(error.code) ? (error.code as SdkErrorCode) : "INVALID_ARGUMENT");
  const details: SdkErrorDetails =
    error instanceof SegmentAuthenticationError ? { segment: error.segment } : error instanceof NotEnoughSharesError ? { threshold: error.need, released: error.have } : {};
  return new SdkError(code, error.message, details, { cause: error });
}

/** Runs a shared (crypto/) operation, throwing its failure as an SdkError. */
export function sdkSync<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw fromCoreError(error);
  }
}

/** sdkSync for an async operation. */
export async function sdkAsync<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw fromCoreError(error);
  }
}

/** A shared (crypto/) async generator whose failures are SdkErrors. */
export async function* sdkStream<T>(source: AsyncGenerator<T, void, undefined>): AsyncGenerator<T, void, undefined> {
  try {
    yield* source;
  } catch (error) {
    throw fromCoreError(error);
  }
}

export function abortedError(signal: AbortSignal | undefined): SdkError {
  const reason = signal?.reason;
  return new SdkError("ABORTED", reason instanceof Error ? reason.message : "aborted", {}, { cause: reason });
}

/** A viem failure as an SdkError, naming the contract's custom error when it reverted. */
export function chainError(error: unknown, what: string): SdkError {
  if (error instanceof SdkError) return error;
  if (error instanceof BaseError) {
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError) {
      const errorName = revert.data?.errorName ?? revert.reason;
      const args = revert.data?.args === undefined ? "" : `(${revert.data.args.map(String).join(", ")})`;
      const code = errorName === "UnknownModel" ? "UNKNOWN_MODEL" : "CHAIN_REVERT";
      const details: SdkErrorDetails = errorName === undefined ? {} : { errorName, errorArgs: (revert.data?.args ?? []).map(String) };
      return new SdkError(code, `${what} reverted: ${errorName ?? "no reason"}${args}`, details, { cause: error });
    }
    return new SdkError("CHAIN_ERROR", `${what}: ${error.shortMessage}`, {}, { cause: error });
  }
  return new SdkError("CHAIN_ERROR", `${what}: ${error instanceof Error ? error.message : String(error)}`, {}, { cause: error });
}
