/**
 * One implementation of every format on two platforms (crypto/platform): the Node one
 * (node:crypto, libsecp256k1) and the browser one (WebCrypto, @noble), which Node can run too.
 * The primitives must agree byte for byte, and crypto/'s own tests, with the committed vectors,
 * are run a second time in a child process under the "browser" import condition, where
 * `#crypto-platform` is crypto/platform/browser.ts (as in the SDK's bundle, test/sdk/bundle.test.ts).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { secp256k1 as noble } from "@noble/curves/secp256k1.js";
import { platform as browser } from "../../crypto/platform/browser.js";
import { platform as node } from "../../crypto/platform/node.js";
import { assertBytes } from "../helpers/bytes.js";

const ROOT = new URL("../../", import.meta.url).pathname;
/** Curve order n, to make a high-s twin of a signature. */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

describe("crypto/platform: the Node and the browser primitives agree", () => {
  it("sha256, constant-time equality and random bytes", () => {
    for (const length of [0, 1, 55, 64, 1000]) {
      const data = randomBytes(length);
      assertBytes(browser.sha256(data), node.sha256(data));
    }
    for (const platform of [node, browser]) {
      assert.equal(platform.constantTimeEqual(Buffer.from("abc"), Buffer.from("abc")), true);
      assert.equal(platform.constantTimeEqual(Buffer.from("abc"), Buffer.from("abd")), false);
      assert.equal(platform.constantTimeEqual(Buffer.from("abc"), Buffer.from("ab")), false);
      assert.equal(platform.randomBytes(100_000).length, 100_000); // more than one getRandomValues call
      assert.notDeepEqual(platform.randomBytes(32), platform.randomBytes(32));
    }
  });

  it("AES-256-GCM: what one seals the other opens, in any pieces", async () => {
    const raw = randomBytes(32);
    const iv = randomBytes(12);
    const aad = randomBytes(32);
    const plaintext = randomBytes(1000);
    const [nodeKey, browserKey] = [await node.importAesGcmKey(raw), await browser.importAesGcmKey(raw)];
    const sealed = Buffer.concat(await node.aesGcmSeal(nodeKey, iv, aad, [plaintext.subarray(0, 3), plaintext.subarray(3)]));
    assertBytes(Buffer.concat(await browser.aesGcmSeal(browserKey, iv, aad, [plaintext])), sealed);
    const pieces = [sealed.subarray(0, 500), sealed.subarray(500, 1010), sealed.subarray(1010)];
    assertBytes(Buffer.concat((await browser.aesGcmOpen(browserKey, iv, aad, pieces, sealed.length))!), plaintext);
    assertBytes(Buffer.concat((await node.aesGcmOpen(nodeKey, iv, aad, pieces, sealed.length))!), plaintext);
  });

  it("secp256k1: keys, ECDH points and RFC 6979 signatures are the same bytes; high s and bad points are refused alike", () => {
    for (let i = 0; i < 20; i++) {
      const a = randomBytes(32);
      const b = randomBytes(32);
      for (const platform of [node, browser]) assert.equal(platform.secp256k1.isPrivateKey(a), true);
      const [pubA, pubB] = [node.secp256k1.publicKey(a), node.secp256k1.publicKey(b)];
      assertBytes(browser.secp256k1.publicKey(a), pubA);
      assertBytes(browser.secp256k1.sharedPoint(a, pubB)!, node.secp256k1.sharedPoint(a, pubB)!);
      assertBytes(node.secp256k1.sharedPoint(b, pubA)!, node.secp256k1.sharedPoint(a, pubB)!);
      const digest = randomBytes(32);
      const signature = node.secp256k1.sign(digest, a);
      assertBytes(browser.secp256k1.sign(digest, a), signature);
      for (const platform of [node, browser]) {
        assert.equal(platform.secp256k1.verify(signature, digest, pubA), true);
        assert.equal(platform.secp256k1.verify(signature, digest, pubB), false);
        const s = BigInt(`0x${Buffer.from(signature.subarray(32)).toString("hex")}`);
        const highS = Buffer.concat([signature.subarray(0, 32), Buffer.from((N - s).toString(16).padStart(64, "0"), "hex")]);
        assert.equal(platform.secp256k1.verify(highS, digest, pubA), false, `${platform.name}: high s`);
        assert.equal(platform.secp256k1.verify(signature.subarray(1), digest, pubA), false);
      }
    }
    const uncompressed = noble.getPublicKey(randomBytes(32), false);
    for (const platform of [node, browser]) {
      assert.equal(platform.secp256k1.isPrivateKey(new Uint8Array(32)), false, `${platform.name}: zero scalar`);
      assert.equal(platform.secp256k1.isPrivateKey(Buffer.from("ff".repeat(32), "hex")), false);
      assert.equal(platform.secp256k1.isCompressedPoint(uncompressed), false);
      const offCurve = new Uint8Array(33).fill(5); // x = 0x0505…05 has no y on secp256k1
      offCurve[0] = 2;
      assert.equal(platform.secp256k1.isCompressedPoint(offCurve), false, `${platform.name}: off the curve`);
      assert.equal(platform.secp256k1.isCompressedPoint(Buffer.from(`02${"ff".repeat(32)}`, "hex")), false, `${platform.name}: x >= p`);
      assert.equal(platform.secp256k1.isCompressedPoint(node.secp256k1.publicKey(randomBytes(32))), true);
    }
  });

  it("the browser platform without WebCrypto fails with NO_WEBCRYPTO", async () => {
    const webCrypto = Object.getOwnPropertyDescriptor(globalThis, "crypto")!;
    Object.defineProperty(globalThis, "crypto", { value: {}, configurable: true });
    try {
      assert.throws(() => browser.randomBytes(1), (e: unknown) => (e as { code?: string }).code === "NO_WEBCRYPTO");
      await assert.rejects(browser.importAesGcmKey(new Uint8Array(32)), (e: unknown) => (e as { code?: string }).code === "NO_WEBCRYPTO");
    } finally {
      Object.defineProperty(globalThis, "crypto", webCrypto);
    }
  });
});

describe("crypto/: its tests and committed vectors on the browser platform (import condition \"browser\")", function () {
  this.timeout(300_000);
  it("sealed format, corners, ECIES, shares, manifest signatures, custody messages: all pass", async () => {
    const files = [
      "sealed-vectors", "sealed-corners", "sealed-stream", "sealed-ranges", "sealed-tamper", "range-plan",
      "protocol-vectors", "ecies", "shares", "manifest-signature",
    ].map((name) => `test/crypto/${name}.test.ts`);
    const mocha = new URL("../../node_modules/mocha/bin/mocha.js", import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--conditions=browser", "--import", "tsx", mocha, "--no-config", "--reporter", "dot", "--timeout", "120000", ...files],
      { cwd: ROOT, env: { ...process.env, MV_EXPECT_PLATFORM: "browser" }, maxBuffer: 16 << 20 },
    ).catch((error: { stdout?: string; stderr?: string }) => assert.fail(`the browser-platform run failed:\n${error.stdout ?? ""}\n${error.stderr ?? ""}`));
    const passing = /(\d+) passing/.exec(stdout);
    assert.ok(passing !== null && Number(passing[1]) > 100, stdout);
    assert.doesNotMatch(stdout, /failing|pending/);
  });
});
