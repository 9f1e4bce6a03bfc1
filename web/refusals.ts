/**
 * The licensee's refusals, finer than their SdkErrorCode: a contract's custom error (CHAIN_REVERT's
 * `details.errorName`), a custodian's refusal code (NODE_ERROR's `details.nodeCode`, or each
 * custodian's reason inside NOT_ENOUGH_SHARES) -> what happened and what to do about it.
 * describeError (messages.ts) uses it before the generic sentence of the code.
 */
import { isSdkError } from "../sdk/index.js";

/** Custom errors of Licenses.sol / ModelRegistry.sol a licensee can meet. */
export const REVERT_MESSAGES: Record<string, string> = {
  NoLicense: "Your account holds no licence for this model: buy one first.",
  LicenseExpired: "Your licence expired: buy a new one to open the model again.",
  LicenseExhausted: "Your licence has no uses left: buy a new one to open the model again.",
  LicenseIsRevoked: "The owner revoked your licence: you cannot open this model with it; contact the owner.",
  LicenseNotForVersion: "Your licence is for an older version of this model: buy one for the current version.",
  InsufficientStake: "This model requires a licensee stake that your account has not deposited: stake the required amount, then try again.",
  ModelNotForSale: "This model is paused or retired: licences cannot be bought and keys are not released. Try again when the owner reactivates it.",
  ModelIsRetired: "This model is retired: it can no longer be opened.",
  WrongPayment: "The price changed while you were buying: reload the page to see the current price.",
  LicenseStillActive: "You already hold a usable licence for this model: no need to buy another.",
  UnknownModel: "This model is not registered.",
};

/** A custodian's refusal codes (docs/PROTOCOL.md, "Refusals") a licensee can meet. */
export const CUSTODIAN_MESSAGES: Record<string, string> = {
  LICENCE_NOT_LIVE: "The custodians refused: your licence is revoked or expired, or the model has a newer version. Buy a licence for the current version.",
  TICKET_EXPIRED: "Your access ticket expired before the custodians answered: request a new ticket (it uses your licence once more).",
  TICKET_NOT_CONFIRMED: "The custodians wait for more confirmations of your ticket: try collecting again in a few seconds.",
  RATE_LIMITED: "A custodian limits how often it releases shares: wait a minute, then collect again (the same ticket still works).",
  UNKNOWN_TICKET: "A custodian does not know your ticket yet (its chain view lags): try collecting again shortly.",
  WRONG_RECIPIENT: "The release request was not signed by your ticket's key: request a new ticket.",
  NOT_A_CUSTODIAN: "A listed custodian is no longer in this version's custodian set: the model's owner must fix the custody.",
  NO_SHARE: "A custodian holds no key share for this version: the model's owner must deposit it again.",
  OWNER_MISMATCH: "A custodian's share was not deposited by the model's owner: it is refused for your safety.",
  ALREADY_REDEEMED: "A custodian released this ticket to another key (a chain reorganisation): request a new ticket.",
  CHAIN_UNAVAILABLE: "A custodian could not reach its chain: try again shortly.",
  CHAIN_RPC_ERROR: "A custodian's chain RPC failed: try again shortly.",
};

/** Most telling first: which custodian reason explains a NOT_ENOUGH_SHARES best. */
const CUSTODIAN_PRIORITY = Object.keys(CUSTODIAN_MESSAGES);

export interface Refusal {
  /** The contract error name or custodian code, e.g. "LicenseExpired", "RATE_LIMITED". */
  reason: string;
  message: string;
}

const WALLET_REFUSED: Refusal = { reason: "WALLET_REFUSED", message: "You refused the request in your wallet: nothing was signed, paid or sent." };

/** Whether an EIP-1193 "user rejected" (4001) is behind `error` (the SDK keeps viem's error as its cause). */
export function rejectedInWallet(error: unknown): boolean {
  for (let e = error, depth = 0; e !== null && typeof e === "object" && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === 4001) return true;
  }
  return false;
}

/** The refusal behind an SDK error, when it is one this module knows. */
export function refusalOf(error: unknown): Refusal | undefined {
  if (!isSdkError(error)) return undefined;
  if (error.code === "CHAIN_ERROR" && rejectedInWallet(error.cause)) return WALLET_REFUSED;
  const details = error.details as { errorName?: unknown; nodeCode?: unknown; failures?: unknown };
  if (error.code === "CHAIN_REVERT" && typeof details.errorName === "string") return known(REVERT_MESSAGES, details.errorName);
  if (error.code === "NODE_ERROR" && typeof details.nodeCode === "string") return known(CUSTODIAN_MESSAGES, details.nodeCode);
  if (error.code === "NOT_ENOUGH_SHARES" && typeof details.failures === "object" && details.failures !== null) {
    const codes = Object.values(details.failures as Record<string, unknown>).map((reason) => String(reason).split(":")[0]!.trim());
    const best = CUSTODIAN_PRIORITY.find((code) => codes.includes(code));
    return best === undefined ? undefined : known(CUSTODIAN_MESSAGES, best);
  }
  return undefined;
}

function known(table: Record<string, string>, reason: string): Refusal | undefined {
  return Object.hasOwn(table, reason) ? { reason, message: table[reason]! } : undefined;
}
