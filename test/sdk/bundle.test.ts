/**
 * The SDK's entry bundles for the browser: esbuild with platform "browser" (browser export
 * conditions and "browser" fields, as a dApp's bundler resolves them), and a plugin that fails
 * the build on any Node builtin, however it is spelled. Then the bundle itself is loaded and used:
 * it opens a stream the node sealed with nothing but WebCrypto and pure JS (crypto/platform/browser.ts),
 * and it passes the committed vectors (test/crypto/platforms.test.ts runs crypto/'s own tests on
 * that platform).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build, type BuildResult } from "esbuild";
import { bytesToHex, type Address, type Hex } from "viem";
import type { ShareRelease } from "../../crypto/custody-messages.js";
import { generateKeyPair, seal, wrapKey } from "../../crypto/index.js";
import { releaseSignedBy } from "../../node/custody/protocol.js";
import { assertBytes, collect, hex, unhex } from "../helpers/bytes.js";
import { forbidNodeBuiltins } from "../helpers/browser-bundle.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const ENTRY = join(ROOT, "sdk", "index.ts");

describe("sdk: browser bundle (esbuild, platform browser)", function () {
  this.timeout(120_000);
  let result: BuildResult<{ write: false; metafile: true }>;
  let code: string;
  let bundled: typeof import("../../sdk/index.js");
  let dir: string;
  const offenders: string[] = [];

  before(async () => {
    result = await build({
      entryPoints: [ENTRY],
      absWorkingDir: ROOT,
      bundle: true,
      platform: "browser",
      format: "esm",
      target: "es2022",
      write: false,
      metafile: true,
      logLevel: "silent",
      plugins: [forbidNodeBuiltins(offenders)],
    });
    code = result.outputFiles[0]!.text;
    dir = await mkdtemp(join(tmpdir(), "mv-sdk-bundle-"));
    const file = join(dir, "modelvault-sdk.mjs");
    await writeFile(file, code);
    bundled = (await import(pathToFileURL(file).href)) as typeof import("../../sdk/index.js");
  });

  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("bundles sdk/index.ts without errors, warnings or any Node builtin in its import graph", () => {
    assert.deepEqual(offenders, []);
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.warnings.map((w) => w.text), []);
    assert.ok(code.length > 10_000);
  });

  it("the check has teeth: the node's crypto/ (node:crypto) does not bundle for the browser", async () => {
    const seen: string[] = [];
    await assert.rejects(
      build({ entryPoints: [join(ROOT, "crypto", "index.ts")], absWorkingDir: ROOT, bundle: true, platform: "browser", format: "esm", write: false, logLevel: "silent", plugins: [forbidNodeBuiltins(seen)] }),
      /node:crypto/,
    );
    assert.ok(seen.some((s) => s.startsWith("node:crypto")));
  });

  it("with code splitting, snarkjs (proof checks) is a lazily loaded chunk of its own", async () => {
    const split = await build({
      entryPoints: [ENTRY], absWorkingDir: ROOT, bundle: true, platform: "browser", format: "esm", splitting: true, outdir: join(tmpdir(), "mv-sdk-split") /* write: false: nothing is written */,
      write: false, metafile: true, logLevel: "silent", plugins: [forbidNodeBuiltins([])],
    });
    const outputs = Object.entries(split.metafile.outputs).filter(([path]) => path.endsWith(".js"));
    const entry = outputs.find(([, o]) => o.entryPoint === "sdk/index.ts");
    assert.ok(entry !== undefined);
    assert.ok(!Object.keys(entry[1].inputs).some((p) => p.includes("snarkjs")), "snarkjs is in the entry chunk");
    assert.ok(outputs.some(([, o]) => Object.keys(o.inputs).some((p) => p.includes("snarkjs/build/browser.esm.js"))));
  });

  it("the output imports nothing external: no require(), no node: or builtin imports", () => {
    assert.doesNotMatch(code, /\brequire\(\s*["'`]/);
    assert.doesNotMatch(code, /(?:from|import)\s*\(?\s*["'`](?:node:|fs|path|crypto|os|stream|worker_threads|child_process|net|http|https|url|util|buffer|module)["'`/]/);
    assert.doesNotMatch(code, /["'`]node:[a-z_/]+["'`]/);
    // Every import statement left would be external: there must be none.
    assert.doesNotMatch(code, /^\s*import\s[^(]/m);
  });

  it("pulls in the shared formats on the browser platform, and none of the node's own code (only the pure ABIs, registry views, owner rules and version calls, zkp field/verifier-abi/safetensors/tensor-index)", () => {
    const ours = Object.keys(result.metafile.inputs).filter((path) => !path.includes("node_modules/"));
    // crypto/ (formats and messages, one implementation) and zkp/'s safetensors reader and tensor
    // index have no Node built-ins; the primitives are crypto/platform/browser.ts's.
    const allowed = /^(sdk\/[a-z-]+\.ts|contracts\/abi\/[A-Za-z]+\.ts|contracts\/(views|log-scan|version-calls|storage-segment|owner-rules)\.ts|zkp\/(field|verifier-abi|safetensors|tensor-index)\.ts|crypto\/([a-z-]+\/)?[a-z-]+\.ts)$/;
    for (const path of ours) assert.match(path, allowed);
    for (const nodeOnly of ["crypto/platform/node.ts", "crypto/keystore.ts", "crypto/index.ts"]) assert.ok(!ours.includes(nodeOnly), `${nodeOnly} is in the bundle`);
    assert.ok(ours.includes("crypto/platform/browser.ts"), "the browser platform is not in the bundle");
    assert.ok(ours.includes("sdk/index.ts"));
    // The SDK's tensors, ranged reads and registry views are the node's own code, not copies of it.
    for (const shared of ["crypto/sealed/stream.ts", "crypto/sealed/random-access.ts", "crypto/sealed/header.ts", "crypto/sealed/range-plan.ts", "crypto/sealed/reader-rules.ts", "zkp/tensor-index.ts", "contracts/views.ts", "contracts/log-scan.ts"]) assert.ok(ours.includes(shared), `${shared} is not in the bundle`);
    assert.ok(!Object.keys(result.metafile.inputs).some((p) => p.includes("node_modules/picomatch")), "picomatch is in the bundle");
    const deps = new Set(
      Object.keys(result.metafile.inputs)
        .filter((p) => p.includes("node_modules/"))
        .map((p) => p.split("node_modules/").at(-1)!.split("/").slice(0, 2).join("/").replace(/^([^@][^/]*)\/.*$/, "$1")),
    );
    for (const forbidden of ["tiny-secp256k1", "helia", "libp2p", "fastify", "blockstore-fs", "circom_runtime"]) {
      assert.ok(![...deps].some((d) => d.startsWith(forbidden)), `${forbidden} is in the bundle`);
    }
    // snarkjs resolves to its self-contained browser build.
    assert.ok(Object.keys(result.metafile.inputs).some((p) => p.endsWith("snarkjs/build/browser.esm.js")));
  });

  it("the bundle works: it opens a stream the node sealed, unwraps a node-wrapped share, signs a release the node accepts", async () => {
    const key = randomBytes(32);
    const modelId = randomBytes(32);
    const plaintext = randomBytes(5000);
    const sealed = await collect(seal([plaintext], { key, modelId, segmentSize: 1000 }));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < sealed.length; i += 333) controller.enqueue(sealed.subarray(i, i + 333));
        controller.close();
      },
    });
    assertBytes(await collect(bundled.openSealed(stream, { key, modelId })), plaintext);

    const recipient = bundled.generateRecipientKey();
    const share = randomBytes(67);
    assertBytes(await bundled.unwrapKey(recipient.privateKey, await wrapKey(recipient.publicKey, share, "custody/release/0x01"), "custody/release/0x01"), share);
    const node = generateKeyPair();
    assert.equal(node.publicKey.length, 33);

    const domain = { chainId: 31337, vault: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const };
    const request = bundled.signRelease(recipient.privateKey, domain, { ticketId: bytesToHex(randomBytes(32)), modelId: "7", version: 1 });
    assert.equal(releaseSignedBy(domain, request, bytesToHex(recipient.publicKey)), true);
    assert.ok(new bundled.SdkError("WRONG_KEY", "x") instanceof Error);
  });

  it("the bundle passes the committed vectors (test/crypto/vectors): sealed streams and their corners, ECIES, shares, release, manifest block", async () => {
    const load = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../crypto/vectors/${name}`, import.meta.url), "utf8")) as T;
    const sealed = load<{ vectors: { name: string; key: string; modelId: string; plaintext: string; sealed: string }[] }>("sealed-v1.json");
    for (const v of sealed.vectors) {
      const out = await collect(bundled.openSealed([unhex(v.sealed)], { key: unhex(v.key), modelId: unhex(v.modelId) }));
      assert.equal(hex(out), v.plaintext, v.name);
    }
    // Every corner fails (or not) with the code it names, in the SDK's names, releasing what it says.
    const corners = load<{ key: string; corners: { name: string; input: string; key?: string; modelId?: string; code: string; released: string }[] }>("sealed-v1-corners.json");
    for (const c of corners.corners) {
      const released: Uint8Array[] = [];
      let code = "OK";
      try {
        const options = { key: unhex(c.key ?? corners.key), ...(c.modelId === undefined ? {} : { modelId: unhex(c.modelId) }) };
        for await (const piece of bundled.openSealed([unhex(c.input)], options)) released.push(piece);
      } catch (error) {
        assert.ok(error instanceof bundled.SdkError, `${c.name}: ${String(error)}`);
        code = error.code;
      }
      assert.equal(code, c.code === "SEALED_WRONG_KEY" ? "WRONG_KEY" : c.code, c.name);
      assert.equal(hex(Buffer.concat(released)), c.released, c.name);
    }
    const ecies = load<{ vectors: { name: string; recipientPrivateKey: string; context: string; plaintext: string; wrapped: string }[] }>("ecies-v1.json");
    for (const v of ecies.vectors) assert.equal(hex(await bundled.unwrapKey(unhex(v.recipientPrivateKey), unhex(v.wrapped), v.context)), v.plaintext, v.name);
    const shares = load<{ vectors: { name: string; key: string; threshold: number; shares: { encoded: string }[] }[] }>("shares-v1.json");
    for (const v of shares.vectors) {
      assert.equal(hex(await bundled.combineShares(v.shares.slice(0, v.threshold).map((s) => unhex(s.encoded)))), v.key, v.name);
      assert.equal(hex(bundled.keyCommitment(unhex(v.key))), hex(bundled.decodeShare(unhex(v.shares[0]!.encoded)).commitment));
    }
    const release = load<{ domain: { chainId: number; verifyingContract: Address }; ticket: { recipientPrivateKey: string; recipientKey: Hex }; request: { digest: Hex; body: ShareRelease } }>("release-v1.json");
    const domain = { chainId: release.domain.chainId, vault: release.domain.verifyingContract };
    const { signature, ...unsigned } = release.request.body;
    assert.deepEqual(bundled.signRelease(unhex(release.ticket.recipientPrivateKey), domain, unsigned), release.request.body);
    assert.equal(bytesToHex(bundled.releaseDigest(domain, unsigned)), release.request.digest);
    assert.equal(bundled.releaseSignedBy(domain, { ...unsigned, signature }, release.ticket.recipientKey), true);
    const manifest = load<{ owner: Address; block: string; manifestCid: string }>("manifest-signature-v1.json");
    const block = new TextEncoder().encode(manifest.block); // dag-json, committed as text
    assert.equal((await bundled.decodeSignedManifest(block, manifest.owner)).signer, manifest.owner);
    const { CID } = await import("multiformats/cid");
    bundled.checkManifestBlock(CID.parse(manifest.manifestCid), block); // a CID from outside the bundle: CID.asCID accepts it
  });
});
