/**
 * Every API error is one JSON shape, {"error": {"code", "message"}}, with a stable code and the
 * matching HTTP status. Unknown failures become 500 INTERNAL with a generic message: no stack
 * trace, path or secret ever reaches a client.
 */
import { ModelvaultCryptoError } from "../../crypto/index.js";
import { REFUSAL_STATUS } from "../custody/errors.js";
import { SESSION_ERROR_STATUS } from "../custody/wallet-sessions.js";
import { NodeError } from "../errors.js";

/** An error raised by the API layer itself, with its HTTP status. */
export class ApiError extends NodeError {
  readonly status: number;
  constructor(status: number, code: string, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.status = status;
  }
}

export interface ErrorBody {
  error: { code: string; message: string };
}

/** Status of the library's stable codes (node/ and crypto/). */
const STATUS_OF_CODE: Record<string, number> = {
  CONTENT_NOT_FOUND: 504,
  NOT_FOUND: 404,
  NOT_A_FILE: 422,
  INVALID_MANIFEST: 422,
  CONTENT_MISMATCH: 502,
  INVALID_ARGUMENT: 400,
  ...REFUSAL_STATUS,
  ...SESSION_ERROR_STATUS,
  // A wallet publish of a model the chain would not let the owner publish (rotation).
  UNKNOWN_MODEL: 404,
  NOT_OWNER: 403,
  MODEL_RETIRED: 409,
  // Publishing with custody: the custodians or the chain said no, or could not be reached.
  DEPOSIT_FAILED: 502,
  NOT_ENOUGH_SHARES: 502,
  CHAIN_REVERT: 422,
  CHAIN_INVALID_ARGUMENT: 400,
  CHAIN_UNAVAILABLE: 503,
  CHAIN_RPC_ERROR: 502,
};

/** fastify's own errors (body parsing, routing) mapped onto our codes. */
const FASTIFY_ERRORS: Record<string, [number, string, string?]> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, "UNSUPPORTED_MEDIA_TYPE", "unsupported Content-Type: POST /v1/models takes application/octet-stream (a file) or application/x-tar (a directory); the custody routes take application/json"],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, "PAYLOAD_TOO_LARGE"],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, "INVALID_CONTENT_LENGTH"],
};

/** UnixFS errors (by name: @helia/unixfs does not export its classes from the entry point). */
const UNIXFS_ERRORS: Record<string, [number, string]> = {
  NotUnixFSError: [422, "NOT_A_FILE"],
  NotAFileError: [422, "NOT_A_FILE"],
  InvalidPBNodeError: [422, "NOT_A_FILE"],
};

export function toErrorReply(error: unknown): { status: number; body: ErrorBody } {
  const reply = (status: number, code: string, message: string) => ({ status, body: { error: { code, message } } });
  if (error instanceof ApiError) return reply(error.status, error.code, error.message);
  if (error instanceof NodeError || error instanceof ModelvaultCryptoError) {
    // Their messages are written for users and never hold secrets (a rule of both layers).
    return reply(STATUS_OF_CODE[error.code] ?? (error instanceof ModelvaultCryptoError ? 400 : 500), error.code, error.message);
  }
  const { code, name, statusCode } = (error ?? {}) as { code?: unknown; name?: unknown; statusCode?: unknown };
  if (typeof code === "string" && code in FASTIFY_ERRORS) {
    const [status, stable, message] = FASTIFY_ERRORS[code]!;
    return reply(status, stable, message ?? (error as Error).message);
  }
  if (typeof name === "string" && name in UNIXFS_ERRORS) {
    const [status, stable] = UNIXFS_ERRORS[name]!;
    return reply(status, stable, "the CID is not a UnixFS file");
  }
  // Other fastify client errors (e.g. a malformed URL) carry a 4xx statusCode and a safe message.
  if (typeof statusCode === "number" && statusCode >= 400 && statusCode < 500 && typeof code === "string" && code.startsWith("FST_")) {
    return reply(statusCode, "BAD_REQUEST", (error as Error).message);
  }
  return reply(500, "INTERNAL", "internal error");
}
