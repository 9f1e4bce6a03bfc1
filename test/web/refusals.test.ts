/** The licensee's refusals (web/refusals.ts): contract errors, custodian codes and wallet refusals -> what to do. */
import assert from "node:assert/strict";
import { SdkError } from "../../sdk/index.js";
import { describeError } from "../../web/messages.js";
import { rateLabel } from "../../web/licensee/save-stream.js";
import { CUSTODIAN_MESSAGES, REVERT_MESSAGES, refusalOf } from "../../web/refusals.js";

describe("web: the licensee's refusals", () => {
  it("names the contract's custom error of a revert: no licence, expired, exhausted, stake, paused", () => {
    for (const name of ["NoLicense", "LicenseExpired", "LicenseExhausted", "InsufficientStake", "ModelNotForSale", "LicenseIsRevoked"]) {
      const described = describeError(new SdkError("CHAIN_REVERT", `requestKey reverted: ${name}(1, 0x00)`, { errorName: name }));
      assert.equal(described.code, "CHAIN_REVERT");
      assert.equal(described.refusal, name);
      assert.equal(described.message, REVERT_MESSAGES[name]);
      assert.match(described.detail!, new RegExp(name)); // the raw message stays available
    }
    // An unknown custom error keeps the code's generic sentence.
    assert.equal(describeError(new SdkError("CHAIN_REVERT", "x", { errorName: "Other" })).refusal, undefined);
  });

  it("picks the most telling custodian reason of NOT_ENOUGH_SHARES, and a custodian's own code", () => {
    const failures = { "0xaa": "NODE_UNAVAILABLE: unreachable", "0xbb": "RATE_LIMITED: too many release requests; retry in 30 s" };
    assert.deepEqual(refusalOf(new SdkError("NOT_ENOUGH_SHARES", "0 of 2", { threshold: 2, released: 0, failures })), { reason: "RATE_LIMITED", message: CUSTODIAN_MESSAGES.RATE_LIMITED });
    const live = { ...failures, "0xcc": "LICENCE_NOT_LIVE: revoked" };
    assert.equal(refusalOf(new SdkError("NOT_ENOUGH_SHARES", "0 of 2", { failures: live }))?.reason, "LICENCE_NOT_LIVE");
    assert.equal(refusalOf(new SdkError("NOT_ENOUGH_SHARES", "0 of 2", { failures: { "0xaa": "NODE_UNAVAILABLE: down" } })), undefined);
    assert.equal(refusalOf(new SdkError("NODE_ERROR", "x", { nodeCode: "TICKET_EXPIRED", status: 403 }))?.reason, "TICKET_EXPIRED");
  });

  it("sees a wallet's 4001 behind a CHAIN_ERROR (viem's error is the cause)", () => {
    const rejected = Object.assign(new Error("User rejected the request."), { code: 4001 });
    const wrapped = new SdkError("CHAIN_ERROR", "buy: User rejected the request.", {}, { cause: Object.assign(new Error("wrapper"), { cause: rejected }) });
    assert.equal(describeError(wrapped).refusal, "WALLET_REFUSED");
    assert.equal(refusalOf(new SdkError("CHAIN_ERROR", "rpc down", {}, { cause: new Error("ECONNREFUSED") })), undefined);
  });

  it("a cancelled save (DOMException AbortError, whose numeric code is 20) is ABORTED, not a wallet error", () => {
    assert.equal(describeError(new DOMException("cancelled", "AbortError")).code, "ABORTED");
  });

  it("labels progress with bytes and MB/s", () => {
    assert.equal(rateLabel(2 * 2 ** 20, 4 * 2 ** 20, 0.5), "2.00 MiB of 4.00 MiB · 4.2 MB/s");
    assert.equal(rateLabel(0, 10, 0), "0 B of 10 B · 0.0 MB/s");
  });
});
