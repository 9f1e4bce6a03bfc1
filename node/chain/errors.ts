/**
 * Typed errors of the chain client. Reverts are decoded from the contracts' custom errors
 * (viem's ContractFunctionRevertedError), never parsed from message text. Nothing here carries
 * an RPC URL as given: it may hold basic-auth credentials or an API key in its path or query.
 */
import {
  AbiEncodingArrayLengthMismatchError,
  AbiEncodingBytesSizeMismatchError,
  AbiEncodingLengthMismatchError,
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  HttpRequestError,
  IntegerOutOfRangeError,
  InvalidAddressError,
  InvalidArrayError,
  SocketClosedError,
  TimeoutError,
  WebSocketRequestError,
  type Abi,
  type ContractErrorName,
  type Hex,
} from "viem";
import {
  custodianRegistryAbi,
  licenseeStakingAbi,
  modelVaultAbi,
  proofAttestationsAbi,
  storageChallengesAbi,
} from "../../contracts/abi/index.js";
import { NodeError } from "../errors.js";

/** Every custom error our contracts define, plus Solidity's built-in Error(string) and Panic(uint256). */
export type ChainErrorName =
  | ContractErrorName<typeof modelVaultAbi>
  | ContractErrorName<typeof custodianRegistryAbi>
  | ContractErrorName<typeof licenseeStakingAbi>
  | ContractErrorName<typeof storageChallengesAbi>
  | ContractErrorName<typeof proofAttestationsAbi>
  | "Error"
  | "Panic";

// A revert can bubble up from a contract that the called one calls (StorageChallenges ->
// CustodianRegistry), so decoding falls back to the errors of the whole set.
const ALL_ERRORS: Abi = [
  ...modelVaultAbi,
  ...custodianRegistryAbi,
  ...licenseeStakingAbi,
  ...storageChallengesAbi,
  ...proofAttestationsAbi,
].filter((item) => item.type === "error");

/** The chain settings or the deployment JSON are invalid, or a write was asked of a client without an account. */
export class ChainConfigError extends NodeError {
  /** The offending field (e.g. "contracts.ModelVault"), when one is to blame. */
  readonly field: string | undefined;
  constructor(message: string, options: { field?: string } = {}) {
    super("CHAIN_CONFIG_INVALID", message);
    this.field = options.field;
  }
}

/** An argument was refused before anything was sent (e.g. a recipient key that is not 33 bytes). */
export class ChainArgumentError extends NodeError {
  constructor(message: string) {
    super("CHAIN_INVALID_ARGUMENT", message);
  }
}

/** The deployment JSON describes another chain than the one the RPC serves. */
export class ChainIdMismatchError extends NodeError {
  readonly expected: number;
  readonly actual: number;
  constructor(expected: number, actual: number, rpcUrl: string) {
    super("CHAIN_ID_MISMATCH", `the deployment is for chain ${expected} but ${rpcUrl} serves chain ${actual}`);
    this.expected = expected;
    this.actual = actual;
  }
}

/** The RPC endpoint could not be reached or did not answer in time. */
export class ChainUnavailableError extends NodeError {
  /** The endpoint, redacted (no credentials, path or query). */
  readonly rpcUrl: string;
  constructor(rpcUrl: string, detail: string) {
    super("CHAIN_UNAVAILABLE", `chain RPC ${rpcUrl} is unavailable: ${detail}`);
    this.rpcUrl = rpcUrl;
  }
}

/** A contract call reverted; errorName and args are decoded from the contract's custom error. */
export class ChainRevertError extends NodeError {
  /** The function that reverted, e.g. "requestKey". */
  readonly functionName: string;
  /** The custom error, e.g. "LicenseExpired"; undefined when the revert carried no decodable data. */
  readonly errorName: ChainErrorName | undefined;
  readonly args: readonly unknown[];
  /** Raw revert data, when there was any. */
  readonly data: Hex | undefined;
  /** Set when the transaction was mined and reverted (rather than failing in simulation). */
  readonly txHash: Hex | undefined;
  constructor(details: {
    functionName: string;
    errorName?: ChainErrorName | undefined;
    args?: readonly unknown[] | undefined;
    data?: Hex | undefined;
    txHash?: Hex | undefined;
  }) {
    const args = details.args ?? [];
    const what = details.errorName === undefined ? "without a known error" : `${details.errorName}(${args.map(formatArg).join(", ")})`;
    const where = details.txHash === undefined ? "" : ` in transaction ${details.txHash}`;
    super("CHAIN_REVERT", `${details.functionName} reverted ${what}${where}`);
    this.functionName = details.functionName;
    this.errorName = details.errorName;
    this.args = args;
    this.data = details.data;
    this.txHash = details.txHash;
  }
}

/** The RPC answered with an error that is not a revert (e.g. insufficient funds for gas, nonce too low). */
export class ChainRpcError extends NodeError {
  constructor(message: string) {
    super("CHAIN_RPC_ERROR", message);
  }
}

function formatArg(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string") return value;
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) ?? String(value);
}

/** What may be shown of an RPC URL: scheme, host and port; a path or query (API keys) becomes "/…". */
export function redactRpcUrl(rpcUrl: string): string {
  let url: URL;
  try {
    url = new URL(rpcUrl);
  } catch {
    return "(invalid RPC URL)";
  }
  const hidden = (url.pathname !== "" && url.pathname !== "/") || url.search !== "" || url.hash !== "";
  return `${url.protocol}//${url.host}${hidden ? "/…" : ""}`;
}

/** Replaces every spelling of the URL that viem may print with its redacted form. */
function scrub(text: string, rpcUrl: string | undefined): string {
  if (rpcUrl === undefined) return text;
  const spellings = new Set([rpcUrl]);
  try {
    const url = new URL(rpcUrl);
    spellings.add(url.href);
    url.username = "";
    url.password = "";
    spellings.add(url.href);
    spellings.add(url.href.replace(/\/$/, ""));
  } catch {
    // Not a URL: only the text as given can appear.
  }
  let out = text;
  for (const spelling of [...spellings].sort((a, b) => b.length - a.length)) {
    if (spelling !== "") out = out.split(spelling).join(redactRpcUrl(rpcUrl));
  }
  return out;
}

function isTransportFailure(error: unknown): boolean {
  return (
    error instanceof HttpRequestError ||
    error instanceof WebSocketRequestError ||
    error instanceof SocketClosedError ||
    error instanceof TimeoutError
  );
}

// viem refuses these while encoding call data: the caller's values do not fit the ABI.
function isEncodingFailure(error: unknown): boolean {
  return (
    error instanceof IntegerOutOfRangeError ||
    error instanceof InvalidAddressError ||
    error instanceof InvalidArrayError ||
    error instanceof AbiEncodingLengthMismatchError ||
    error instanceof AbiEncodingArrayLengthMismatchError ||
    error instanceof AbiEncodingBytesSizeMismatchError
  );
}

/** The decoded revert inside a viem error, if the error is one. */
export function revertOf(error: unknown): { errorName?: ChainErrorName; args?: readonly unknown[]; data?: Hex } | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) return undefined;
  if (reverted.data !== undefined) {
    return { errorName: reverted.data.errorName as ChainErrorName, args: reverted.data.args ?? [], data: reverted.raw };
  }
  if (reverted.raw !== undefined && reverted.raw !== "0x") {
    try {
      const decoded = decodeErrorResult({ abi: ALL_ERRORS, data: reverted.raw });
      return { errorName: decoded.errorName as ChainErrorName, args: decoded.args ?? [], data: reverted.raw };
    } catch {
      return { data: reverted.raw };
    }
  }
  return {};
}

export interface ChainErrorContext {
  /** The RPC URL as configured (redacted here), or undefined for a custom transport. */
  rpcUrl: string | undefined;
  /** The contract function being called, for revert errors. */
  functionName?: string;
}

/** Turns whatever viem threw into one of the typed errors above; our own errors pass unchanged. */
export function toChainError(error: unknown, context: ChainErrorContext): Error {
  if (error instanceof NodeError) return error;
  const shown = context.rpcUrl === undefined ? "(custom transport)" : redactRpcUrl(context.rpcUrl);
  if (!(error instanceof BaseError)) {
    const message = error instanceof Error ? error.message : String(error);
    return new ChainRpcError(scrub(message, context.rpcUrl));
  }
  const revert = revertOf(error);
  if (revert !== undefined) {
    return new ChainRevertError({ functionName: context.functionName ?? "call", ...revert });
  }
  const encoding = error.walk(isEncodingFailure);
  if (encoding instanceof BaseError) {
    const where = context.functionName === undefined ? "" : `${context.functionName}: `;
    return new ChainArgumentError(`${where}${encoding.shortMessage}`);
  }
  const transport = error.walk(isTransportFailure);
  if (transport instanceof BaseError) {
    const detail = transport instanceof TimeoutError ? "request timed out" : transport.details || transport.shortMessage;
    return new ChainUnavailableError(shown, scrub(detail, context.rpcUrl));
  }
  const detail = error.details && error.details !== error.shortMessage ? `: ${error.details}` : "";
  return new ChainRpcError(scrub(`${error.shortMessage}${detail}`, context.rpcUrl));
}
