/** The SDK's environment check; byte helpers and every primitive are crypto/'s (crypto/bytes.ts, crypto/platform). */
import { NoWebCryptoError } from "../crypto/errors.js";
import { fromCoreError } from "./errors.js";

/**
 * Throws NO_WEBCRYPTO unless globalThis.crypto.subtle exists (browsers offer it on https:// and
 * localhost pages only): checked before a step that cannot be undone (a licence bought, a
 * ticket spent) whose result would need it.
 */
export function requireWebCrypto(): void {
  if ((globalThis as { crypto?: { subtle?: unknown } }).crypto?.subtle === undefined) throw fromCoreError(new NoWebCryptoError());
}
