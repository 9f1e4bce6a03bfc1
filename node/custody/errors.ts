/**
 * Why a custodian refuses a deposit or a release, as stable codes shared by the custodian
 * service, its HTTP API and the clients that call it. Messages name the failed check, never a
 * share or a key.
 */
import { NodeError } from "../errors.js";

export type RefusalCode =
  // deposits
  | "MALFORMED_REQUEST"
  | "BAD_SIGNATURE"
  | "NOT_FOR_THIS_CUSTODIAN"
  | "SHARE_UNREADABLE"
  | "SHARE_CONFLICT"
  | "MANIFEST_MISMATCH"
  // releases
  | "UNKNOWN_TICKET"
  | "WRONG_RECIPIENT"
  | "TICKET_NOT_CONFIRMED"
  | "TICKET_EXPIRED"
  | "LICENCE_NOT_LIVE"
  | "WRONG_MODEL"
  | "NOT_A_CUSTODIAN"
  | "NO_SHARE"
  | "OWNER_MISMATCH"
  | "ALREADY_REDEEMED"
  | "RATE_LIMITED";

/** HTTP status of each refusal: 4xx, the caller's request cannot succeed as sent. */
export const REFUSAL_STATUS: Record<RefusalCode, number> = {
  MALFORMED_REQUEST: 400,
  BAD_SIGNATURE: 401,
  NOT_FOR_THIS_CUSTODIAN: 400,
  SHARE_UNREADABLE: 422,
  SHARE_CONFLICT: 409,
  MANIFEST_MISMATCH: 422,
  UNKNOWN_TICKET: 404,
  WRONG_RECIPIENT: 403,
  TICKET_NOT_CONFIRMED: 425,
  TICKET_EXPIRED: 403,
  LICENCE_NOT_LIVE: 403,
  WRONG_MODEL: 403,
  NOT_A_CUSTODIAN: 403,
  NO_SHARE: 404,
  OWNER_MISMATCH: 403,
  ALREADY_REDEEMED: 409,
  RATE_LIMITED: 429,
};

/** A custodian said no, for a reason the caller can act on. */
export class CustodyRefusedError extends NodeError {
  declare readonly code: RefusalCode;
  constructor(code: RefusalCode, message: string) {
    super(code, message);
  }
}

/** Fewer than threshold custodians released a valid share. */
export class NotEnoughSharesReleasedError extends NodeError {
  constructor(
    readonly threshold: number,
    readonly released: number,
    /** Per custodian address: why it gave nothing (refusal code, timeout, unreachable). */
    readonly failures: Record<string, string>,
  ) {
    const reasons = Object.entries(failures).map(([who, why]) => `${who}: ${why}`).join("; ");
    super("NOT_ENOUGH_SHARES", `${released} of the ${threshold} shares needed were released (${reasons})`);
  }
}

/** A custodian did not acknowledge a deposit, so the model was not registered. */
export class DepositFailedError extends NodeError {
  constructor(readonly failures: Record<string, string>) {
    const reasons = Object.entries(failures).map(([who, why]) => `${who}: ${why}`).join("; ");
    super("DEPOSIT_FAILED", `not every custodian acknowledged its share, nothing was registered (${reasons})`);
  }
}
