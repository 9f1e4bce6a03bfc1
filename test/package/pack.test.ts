/**
 * The package as a user installs it: `npm run build` stages dist/package, `npm pack` makes the
 * tarball, and a fresh project outside the checkout installs it from the npm cache (the
 * registry's stock dependencies: no tsx, no patch-package, the unpatched @helia/bitswap). There,
 * the bin from node_modules/.bin runs the built JavaScript; a Node script that imports only
 * "modelvault" and "modelvault/crypto" publishes on one peer and fetches over bitswap on another,
 * byte for byte; and "modelvault/sdk" bundles for the browser with no Node builtin.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { buildPackage, packPackage, type PackedPackage } from "../../scripts/build-package.js";
import { forbidNodeBuiltins } from "../helpers/browser-bundle.js";

const run = promisify(execFile);
const VERSION = (JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** Publishes 3 MiB on peer A, fetches it on peer B (dialled to A only) and compares. */
const CONSUMER_SCRIPT = `
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { StoragePeer, publish, fetchModel } from "modelvault";
import { generateMnemonic, identityFromMnemonic } from "modelvault/crypto";

const dir = process.argv[2];
const owner = identityFromMnemonic(generateMnemonic()).account;
const listen = ["/ip4/127.0.0.1/tcp/0"];
const a = await StoragePeer.start({ dataDir: join(dir, "a"), listen });
const b = await StoragePeer.start({ dataDir: join(dir, "b"), listen, peers: a.addresses.map(String) });
try {
  const model = randomBytes(3 * 1024 * 1024 + 12345);
  const published = await publish(a, [model], { owner, segmentSize: 256 * 1024 - 16, name: "packaged" });
  const chunks = [];
  for await (const chunk of fetchModel(b, published.manifestCid, { key: published.key, expectedOwner: owner.address, timeoutMs: 30000 })) chunks.push(chunk);
  const fetched = Buffer.concat(chunks);
  console.log(JSON.stringify({ same: fetched.equals(model), bytes: fetched.length, library: import.meta.resolve("modelvault") }));
} finally {
  await b.stop();
  await a.stop();
}
`;

/** Starts the installed node's API (no chain) and prints what it answers at / and for the entry script. */
const SERVE_SCRIPT = `
import { StoragePeer, startApi } from "modelvault";
import { generateMnemonic, identityFromMnemonic } from "modelvault/crypto";

const peer = await StoragePeer.start({ dataDir: process.argv[2], listen: ["/ip4/127.0.0.1/tcp/0"] });
const api = await startApi({ peer, identity: identityFromMnemonic(generateMnemonic()), host: "127.0.0.1", port: 0 });
try {
  const page = await fetch(api.url + "/");
  const html = await page.text();
  const script = html.match(/src="(\\/assets\\/main-[^"]+\\.js)"/)?.[1];
  const entry = script === undefined ? undefined : await fetch(api.url + script);
  console.log(JSON.stringify({ status: page.status, csp: page.headers.get("content-security-policy"), script, entryStatus: entry?.status, entryType: entry?.headers.get("content-type") }));
} finally {
  await api.close();
  await peer.stop();
}
`;

/** A TypeScript consumer of every entry, type-checked against the shipped declarations (no skipLibCheck). */
const CONSUMER_TYPES = `
import { StoragePeer, publish, connectChain, type Deployment as NodeDeployment, type PublishResult } from "modelvault";
import { createModelvaultClient, type ModelvaultClient } from "modelvault/sdk";
import { seal, generateContentKey, type NodeIdentity } from "modelvault/crypto";
import { modelVaultAbi, groth16VerifierAbi, type Deployment } from "modelvault/contracts";
export const entries = [StoragePeer.start, publish, connectChain, createModelvaultClient, seal, generateContentKey, modelVaultAbi, groth16VerifierAbi(5)];
export type Used = [NodeDeployment, PublishResult, ModelvaultClient, NodeIdentity, Deployment];
const sameRecord: Deployment = {} as NodeDeployment;
export { sameRecord };
`;

describe("package: npm pack, installed into a fresh project", function () {
  this.timeout(300_000);
  let packed: PackedPackage;
  let project: string;
  let work: string;

  before(async () => {
    buildPackage();
    work = await mkdtemp(join(tmpdir(), "mv-pack-"));
    packed = packPackage(work);
    project = join(work, "consumer");
    await run("mkdir", [project]);
    await writeFile(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    await run("npm", ["install", packed.tarball, "--prefer-offline", "--omit=peer", "--no-audit", "--no-fund"], { cwd: project, maxBuffer: 1 << 24 });
  });

  after(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it("holds the built JavaScript, declarations and circuit artifacts, and nothing of tests, benchmarks, scripts or TypeScript sources", () => {
    const { files } = packed;
    for (const needed of ["package.json", "README.md", "bin/modelvault.js", "node/index.js", "node/index.d.ts", "node/cli/index.js", "sdk/index.js", "crypto/index.js", "contracts/index.js", "node/storage/block-ingest-worker.js", "node/models/frame-sealer-worker.js", "build/circuits/ownership/verification_key.json", "build/circuits/ownership/ownership.zkey", "build/circuits/ownership/ownership_js/ownership.wasm", "build/web/index.html", "build/web/manifest.json"]) {
      assert.ok(files.includes(needed), `${needed} is not in the tarball`);
    }
    assert.deepEqual(files.filter((file) => /^(test|bench|scripts|circuits|artifacts|cache|patches|dist)\//.test(file)), []);
    assert.deepEqual(files.filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts")), []);
    assert.deepEqual(files.filter((file) => file.endsWith(".r1cs") || file.endsWith(".sol")), []);
  });

  it("runs the CLI from node_modules/.bin (--version, --help, node init) and serves the verification keys, without tsx", async () => {
    const bin = join(project, "node_modules", ".bin", "modelvault");
    assert.equal((await run(bin, ["--version"], { cwd: project })).stdout.trim(), VERSION);
    assert.match((await run(bin, ["--help"], { cwd: project })).stdout, /publish \[options\] <path>/);
    const env = { PATH: process.env.PATH ?? "", HOME: work, MODELVAULT_PASSWORD: "pack-test" };
    const { stdout } = await run(bin, ["node", "init", "--json", "--data-dir", join(work, "cli-node"), "--scrypt-n", "1024"], { cwd: project, env });
    assert.match((JSON.parse(stdout) as { address: string }).address, /^0x[0-9a-fA-F]{40}$/);
    // The shipped circuits' verification keys are importable by path (exports "./circuits/*").
    const vk = await run(process.execPath, ["--input-type=module", "-e", 'const { default: vk } = await import("modelvault/circuits/ownership/verification_key.json", { with: { type: "json" } }); console.log(vk.protocol, vk.nPublic)'], { cwd: project });
    assert.equal(vk.stdout.trim(), "groth16 5");
    // The installed package runs without tsx (a devDependency of the checkout only).
    await assert.rejects(run(process.execPath, ["-e", 'import("tsx")'], { cwd: project }));
  });

  it("a Node script importing only modelvault and modelvault/crypto publishes on one peer and fetches it on another", async () => {
    const script = join(project, "roundtrip.mjs");
    await writeFile(script, CONSUMER_SCRIPT);
    const { stdout } = await run(process.execPath, [script, join(work, "peers")], { cwd: project, timeout: 120_000 });
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as { same: boolean; bytes: number; library: string };
    assert.equal(result.bytes, 3 * 1024 * 1024 + 12345);
    assert.equal(result.same, true);
    assert.equal(result.library, `file://${join(project, "node_modules", "modelvault", "node", "index.js")}`);
  });

  it("the installed node serves the built web app at / with its Content-Security-Policy", async () => {
    const script = join(project, "serve.mjs");
    await writeFile(script, SERVE_SCRIPT);
    const { stdout } = await run(process.execPath, [script, join(work, "serve-peer")], { cwd: project, timeout: 60_000 });
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as { status: number; csp: string | null; script?: string; entryStatus?: number; entryType?: string };
    assert.equal(result.status, 200);
    assert.match(result.csp ?? "", /^default-src 'none'; /);
    assert.match(result.script ?? "", /^\/assets\/main-[A-Z0-9]+\.js$/);
    assert.equal(result.entryStatus, 200);
    assert.equal(result.entryType, "text/javascript; charset=utf-8");
  });

  it("its declarations type-check in a strict TypeScript consumer, skipLibCheck off", async () => {
    await writeFile(join(project, "use.ts"), CONSUMER_TYPES);
    const compilerOptions = {
      target: "ES2023", lib: ["ES2024", "DOM"], module: "NodeNext", moduleResolution: "NodeNext", strict: true, skipLibCheck: false, noEmit: true,
      // The consumer's @types/node: the checkout's (the package does not depend on it).
      types: ["node"], typeRoots: [fileURLToPath(new URL("../../node_modules/@types", import.meta.url))],
    };
    await writeFile(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["use.ts"] }));
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    const checked = await run(process.execPath, [tsc, "-p", project], { cwd: project }).catch((error: { stdout: string }) => error);
    assert.equal(checked.stdout, "");
  });

  it('bundles "modelvault/sdk" for the browser with no Node builtin', async () => {
    const entry = join(project, "app.js");
    await writeFile(entry, 'import { createModelvaultClient, openSealed } from "modelvault/sdk";\nexport { createModelvaultClient, openSealed };\n');
    const offenders: string[] = [];
    const result = await build({ entryPoints: [entry], absWorkingDir: project, bundle: true, platform: "browser", format: "esm", write: false, metafile: true, logLevel: "silent", plugins: [forbidNodeBuiltins(offenders)] });
    assert.deepEqual(offenders, []);
    assert.deepEqual(result.errors, []);
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(inputs.includes("node_modules/modelvault/sdk/index.js"), "the bundle did not take the installed package's sdk");
    assert.ok(!inputs.some((path) => !path.startsWith("node_modules/") && path !== "app.js"), "the bundle read files outside the project's node_modules");
  });
});
