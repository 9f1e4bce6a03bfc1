/**
 * Key shares in the SDK: crypto/shares.ts (67-byte encoding, combining that routes around a
 * corrupt share) with its failures as SdkErrors (SHARE_MALFORMED, SHARES_MISMATCHED,
 * SHARES_INVALID, NOT_ENOUGH_SHARES).
 */
import { combineShares as coreCombineShares, decodeShare as coreDecodeShare, type KeyShare } from "../crypto/shares.js";
import { sdkAsync, sdkSync } from "./errors.js";

export { SHARE_LENGTH, type KeyShare } from "../crypto/shares.js";

export function decodeShare(bytes: Uint8Array): KeyShare {
  return sdkSync(() => coreDecodeShare(bytes));
}

/**
 * Recovers the 32-byte key from encoded shares. Duplicates are ignored; with more than
 * `threshold` shares, a corrupt one is routed around by trying other subsets (bounded). The
 * result always matches the shares' key commitment.
 */
export function combineShares(encoded: readonly Uint8Array[]): Promise<Uint8Array> {
  return sdkAsync(() => coreCombineShares(encoded));
}
