/** The web app's pure parts, in Node: route matching, hrefs, formatting, error messages. */
import assert from "node:assert/strict";
import { SdkError } from "../../sdk/index.js";
import { AppError, describeError, SDK_MESSAGES } from "../../web/messages.js";
import { href, matchRoute, type Page } from "../../web/router.js";
import { formatBytes, formatDuration, formatWei, shortAddress } from "../../web/ui/format.js";

const page = (pattern: string): Page => ({ pattern, title: pattern, render: async () => { throw new Error("not rendered here"); } });

describe("web: router, formatting and messages", () => {
  const pages = [page("/"), page("/models/:id"), page("/models/:id/versions/:version"), page("/owner")];

  it("matches hash paths with parameters, first match wins, nothing on a mismatch", () => {
    assert.equal(matchRoute(pages, "/")?.page.pattern, "/");
    assert.deepEqual(matchRoute(pages, "/models/7")?.params, { id: "7" });
    assert.deepEqual(matchRoute(pages, "/models/a%20b/versions/2")?.params, { id: "a b", version: "2" });
    assert.equal(matchRoute(pages, "/owner/")?.page.pattern, "/owner");
    assert.equal(matchRoute(pages, "/models/7?tab=files")?.params.id, "7");
    assert.equal(matchRoute(pages, "/models"), undefined);
    assert.equal(matchRoute(pages, "/models/%E0%A4%A"), undefined); // malformed escape: no match, no throw
  });

  it("builds hrefs with encoded parameters", () => {
    assert.equal(href("/models/:id", { id: 7n }), "#/models/7");
    assert.equal(href("/models/:id", { id: "a/b" }), "#/models/a%2Fb");
    assert.equal(href("/"), "#/");
  });

  it("formats wei, addresses, bytes and durations", () => {
    assert.equal(formatWei(10n ** 15n), "0.001 ETH");
    assert.equal(formatWei(0n), "0 ETH");
    assert.equal(shortAddress("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"), "0x7099…79C8");
    assert.equal(shortAddress("not an address"), "not an address");
    assert.equal(formatBytes(512), "512 B");
    assert.equal(formatBytes(1536), "1.50 KiB");
    assert.equal(formatBytes(256n * 1024n * 1024n), "256.0 MiB");
    assert.equal(formatDuration(0), "unlimited");
    assert.equal(formatDuration(86_400 * 30), "30 d");
    assert.equal(formatDuration(7_500), "2 h 5 min");
    assert.equal(formatDuration(45), "45 s");
  });

  it("has a message for every SDK code, the app's codes, EIP-1193 errors and unknown ones", () => {
    for (const [code, message] of Object.entries(SDK_MESSAGES)) {
      assert.equal(describeError(new SdkError(code as keyof typeof SDK_MESSAGES, "raw detail")).message, message);
    }
    assert.equal(describeError(new AppError("NO_WALLET")).code, "NO_WALLET");
    assert.equal(describeError(Object.assign(new Error("User rejected"), { code: 4001 })).code, "WALLET_REFUSED");
    assert.equal(describeError(Object.assign(new Error("nope"), { code: -32000 })).code, "WALLET_ERROR");
    const unknown = describeError(new Error("weird"));
    assert.equal(unknown.code, "UNKNOWN");
    assert.equal(unknown.detail, "weird");
    assert.match(describeError("a string").message, /Something went wrong/);
  });
});
