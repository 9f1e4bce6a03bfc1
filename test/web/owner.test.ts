/** The owner pages' pure parts, in Node: the terms form's parsing, and how a wallet's refusal inside an SDK error reads. */
import assert from "node:assert/strict";
import { UserRejectedRequestError } from "viem";
import { SdkError } from "../../sdk/index.js";
import { describeError } from "../../web/messages.js";
import { parseCount, parseDays, parseEth, parseTerms, termsInput } from "../../web/owner/terms-form.js";

const refusedWith = (field: string) => (error: unknown) => error instanceof SdkError && error.code === "INVALID_ARGUMENT" && error.message.startsWith(`${field}: `);

describe("web: the owner pages' terms form and messages", () => {
  it("parses ETH, whole numbers and days into the contracts' units; empty is 0", () => {
    assert.equal(parseEth("price", "0.01"), 10n ** 16n);
    assert.equal(parseEth("price", " 2 "), 2n * 10n ** 18n);
    assert.equal(parseEth("price", ""), 0n);
    assert.equal(parseEth("price", "0.000000000000000001"), 1n);
    assert.equal(parseCount("max uses", "5"), 5);
    assert.equal(parseCount("max uses", ""), 0);
    assert.equal(parseDays("duration", "1.5"), 129_600);
    assert.equal(parseDays("duration", "0"), 0);
  });

  it("refuses malformed, negative, too fine and out-of-range values, naming the field", () => {
    assert.throws(() => parseEth("price", "-1"), refusedWith("price"));
    assert.throws(() => parseEth("price", "1e3"), refusedWith("price"));
    assert.throws(() => parseEth("price", "0.0000000000000000001"), refusedWith("price"));
    assert.throws(() => parseCount("max uses", "1.5"), refusedWith("max uses"));
    assert.throws(() => parseCount("max uses", String(2 ** 32)), refusedWith("max uses"));
    assert.throws(() => parseDays("duration", "forever"), refusedWith("duration"));
    assert.throws(() => parseDays("duration", "50000"), refusedWith("duration"));
  });

  it("round-trips terms through the form's text", () => {
    const terms = { price: 3n * 10n ** 15n, duration: 86_400 * 30, maxUses: 7, minStake: 10n ** 17n, carryOver: true };
    assert.deepEqual(parseTerms(termsInput(terms)), terms);
    assert.deepEqual(termsInput({ price: 0n, duration: 0, maxUses: 0, minStake: 0n, carryOver: false }), { price: "0", durationDays: "0", maxUses: "0", minStake: "0", carryOver: false });
  });

  it("a wallet's 4001 wrapped by the SDK reads as a refusal, not as a chain failure", () => {
    const wrapped = new SdkError("CHAIN_ERROR", "eth_signTypedData_v4: User rejected the request.", {}, { cause: new UserRejectedRequestError(Object.assign(new Error("User rejected the request."), { code: 4001 })) });
    assert.equal(describeError(wrapped).code, "WALLET_REFUSED");
    assert.equal(describeError(new SdkError("CHAIN_ERROR", "eth_call failed", {}, { cause: new Error("socket hang up") })).code, "CHAIN_ERROR");
    assert.equal(describeError(new SdkError("NOT_OWNER", "model 1 is owned by 0x…")).message, "Only the model's owner can do this: connect the owner's wallet.");
  });
});
