import assert from "node:assert/strict";
import { SdkError, type SdkErrorCode } from "../../sdk/index.js";

/** Awaits `promise` and asserts it rejects with an SdkError of `code` (then runs `extra` on it). */
export async function assertSdkCode(promise: Promise<unknown>, code: SdkErrorCode, extra?: (e: SdkError) => void): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SdkError, `expected an SdkError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    extra?.(error);
    return true;
  });
}
