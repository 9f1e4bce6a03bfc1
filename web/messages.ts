/**
 * One table from every error code the app can meet to what the user reads. `Record<SdkErrorCode, …>`
 * makes the compiler fail when the SDK gains a code this table lacks; unknown codes (a newer node,
 * a wallet's own error) still get a sensible sentence.
 */
import { isSdkError, type SdkErrorCode } from "../sdk/index.js";
import { refusalOf, rejectedInWallet } from "./refusals.js";

/** The app's own codes: the wallet (EIP-1193) and the node's web config. */
export type AppErrorCode = "NO_WALLET" | "WRONG_CHAIN" | "WALLET_REFUSED" | "WALLET_ERROR" | "CONFIG_UNAVAILABLE" | "NOT_NODE_ORIGIN"
  | "TOO_LARGE_FOR_MEMORY" | "SAVE_CANCELLED";

export const SDK_MESSAGES: Record<SdkErrorCode, string> = {
  INVALID_ARGUMENT: "A value given is not valid (wrong type, length or range).",
  NO_ACCOUNT: "Connect a wallet first: this step signs a transaction.",
  CHAIN_MISMATCH: "Your wallet or RPC serves another chain than this node's deployment.",
  CHAIN_REVERT: "The contract refused the transaction.",
  CHAIN_ERROR: "The chain could not be reached, or the transaction did not do what it should.",
  UNKNOWN_MODEL: "This model (or version) is not registered.",
  NOT_ENOUGH_SHARES: "Too few custodians released a key share for your ticket.",
  WRONG_KEY: "The key does not match the model's commitment.",
  INVALID_MANIFEST: "The model's manifest is malformed or not signed by its owner.",
  CONTENT_MISMATCH: "The node sent content that contradicts the model's manifest.",
  NOT_A_FILE: "This model is a directory: open one of its files.",
  CONTENT_NOT_FOUND: "No peer had the content in time. Try again later.",
  NODE_UNAVAILABLE: "The node could not be reached.",
  NODE_ERROR: "The node refused the request.",
  UNWRAP_FAILED: "A key share could not be opened with your key.",
  SHARE_MALFORMED: "A custodian sent a malformed key share.",
  SHARES_MISMATCHED: "The custodians' key shares belong to different keys.",
  SHARES_INVALID: "The key shares do not combine to the model's key.",
  SEALED_TRUNCATED: "The encrypted model is truncated.",
  SEALED_MALFORMED_HEADER: "The encrypted model's header is malformed.",
  SEALED_HEADER_TAMPERED: "The encrypted model's header was tampered with.",
  SEALED_MODEL_MISMATCH: "The encrypted file belongs to another model.",
  SEALED_SEGMENT_AUTH: "A part of the model failed authentication: the data was altered.",
  SEALED_TRAILING_DATA: "The encrypted model has unexpected data at its end.",
  INVALID_SAFETENSORS: "The file is not valid safetensors.",
  NO_SAFETENSORS: "This model has no safetensors files.",
  TENSOR_NOT_FOUND: "No tensor has that name.",
  TENSOR_AMBIGUOUS: "That tensor name is in two files.",
  INVALID_PROOF: "The proof is malformed.",
  NO_VERIFIER: "No verifier is available for this proof.",
  NO_WEBCRYPTO: "This page needs a secure context (https or localhost) for WebCrypto.",
  ABORTED: "Cancelled.",
  // An owner's or a licensee's action the contract would refuse (contracts/owner-rules.ts).
  NOT_OWNER: "Only the model's owner can do this: connect the owner's wallet.",
  MODEL_RETIRED: "This model is retired: it takes no more terms, licences or versions.",
  INVALID_STATUS: "The model is already in that state.",
  NOT_PENDING_OWNER: "This account is not the model's proposed new owner.",
  NO_LICENCE: "That account holds no licence for this model.",
  LICENCE_REVOKED: "That licence is already revoked.",
  EXPIRY_IN_PAST: "The expiry must be in the future.",
  NOTHING_TO_WITHDRAW: "There is nothing to withdraw yet.",
  STAKE_EXCEEDED: "That is more than is staked.",
  STAKE_LOCKED: "A live licence needs this stake to stay in place.",
  NOTHING_UNBONDING: "Nothing is unbonding: unstake an amount first.",
  COOLDOWN_ACTIVE: "The unbonding stake is not withdrawable yet.",
};

export const APP_MESSAGES: Record<AppErrorCode, string> = {
  NO_WALLET: "No wallet found: install an EIP-1193 wallet (such as a browser extension) to sign.",
  WRONG_CHAIN: "Your wallet is on another chain: switch it to this node's chain.",
  WALLET_REFUSED: "The request was refused in your wallet.",
  WALLET_ERROR: "The wallet reported an error.",
  CONFIG_UNAVAILABLE: "This node has no chain configured: the app cannot read the registry.",
  NOT_NODE_ORIGIN: "This page is only available on the node's own address.",
  TOO_LARGE_FOR_MEMORY: "This browser cannot stream files to disk, and this file is too large to assemble in memory: open it in a Chromium-based browser or with the modelvault CLI.",
  SAVE_CANCELLED: "Nothing was saved: no file or folder was chosen.",
};

/** An error of the app itself, with one of APP_MESSAGES' codes. */
export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message = APP_MESSAGES[code],
  ) {
    super(message);
    this.name = "AppError";
  }
}

export interface DescribedError {
  code: string;
  /** The sentence shown. */
  message: string;
  /** The original message, when it says more than the sentence. */
  detail?: string;
  /** A licensee refusal's contract error or custodian code (web/refusals.ts), when known. */
  refusal?: string;
}

export function describeError(error: unknown): DescribedError {
  const code = errorCode(error);
  const original = error instanceof Error ? error.message : String(error);
  const known = (SDK_MESSAGES as Record<string, string>)[code] ?? (APP_MESSAGES as Record<string, string>)[code];
  const refusal = refusalOf(error);
  const message = refusal?.message ?? known ?? `Something went wrong (${code}).`;
  const described: DescribedError = original !== "" && original !== message ? { code, message, detail: original } : { code, message };
  return refusal === undefined ? described : { ...described, refusal: refusal.reason };
}

function errorCode(error: unknown): string {
  // The SDK wraps a wallet's refusal of a signature or transaction (as CHAIN_ERROR): the user refused.
  if (isSdkError(error) && rejectedInWallet(error)) return "WALLET_REFUSED";
  if (isSdkError(error)) return error.code;
  if (error instanceof AppError) return error.code;
  // Before the EIP-1193 codes: a DOMException AbortError has a numeric `code` (20) too.
  if ((error as Error | null)?.name === "AbortError") return "ABORTED";
  // EIP-1193: 4001 user rejected, 4902 unknown chain, others are the wallet's own.
  const eip1193 = (error as { code?: unknown } | null)?.code;
  if (eip1193 === 4001) return "WALLET_REFUSED";
  if (typeof eip1193 === "number") return "WALLET_ERROR";
  return "UNKNOWN";
}
