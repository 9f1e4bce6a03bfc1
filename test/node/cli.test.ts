import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile, readdir } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { identityFromMnemonic } from "../../crypto/index.js";
import { run } from "../../node/cli/index.js";
import { assertBytes } from "../helpers/bytes.js";
import { MemoryIo, TEST_SCRYPT_N } from "./fixtures/cli.js";

const PASSWORD = "correct horse battery staple";
const SEGMENT = String(8192 - 16);

/** Runs the CLI in-process; returns the exit code and what it printed. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; io: MemoryIo }> {
  const io = new MemoryIo({ MODELVAULT_PASSWORD: PASSWORD, ...env });
  return { code: await run(args, io), io };
}

/** Asserts a failed run: the exit code, one line on stderr naming the code, no stack trace. */
function assertFailed(result: { code: number; io: MemoryIo }, exitCode: number, pattern: RegExp): void {
  assert.equal(result.code, exitCode, `exit code; stderr: ${result.io.err}`);
  assert.match(result.io.err, pattern);
  assert.equal(result.io.err.trim().split("\n").length, 1, `one line: ${result.io.err}`);
  assert.ok(!/\n\s+at /.test(result.io.err), "stack trace printed");
}

describe("CLI: node init", function () {
  this.timeout(30_000);
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), "mv-cli-init-"))));
  after(() => rm(dir, { recursive: true, force: true }));

  it("creates an encrypted identity once and prints its address and mnemonic", async () => {
    const dataDir = join(dir, "a");
    const first = await cli(["node", "init", "--data-dir", dataDir, "--scrypt-n", TEST_SCRYPT_N, "--json"]);
    assert.equal(first.code, 0, first.io.err);
    const out = first.io.json<{ address: string; mnemonic: string; keystore: string }>();
    assert.equal(identityFromMnemonic(out.mnemonic).address, out.address);
    assert.equal((await stat(out.keystore)).mode & 0o777, 0o600);
    const keystore = await readFile(out.keystore, "utf8");
    assert.ok(!keystore.includes(out.mnemonic), "mnemonic stored");
    assert.match(keystore, /"kdf": "scrypt"/);

    assertFailed(await cli(["node", "init", "--data-dir", dataDir, "--scrypt-n", TEST_SCRYPT_N]), 1, /already exists.*\[IDENTITY_EXISTS\]/);
  });

  it("text mode warns about the mnemonic; a password file works; no password is refused", async () => {
    const passwordFile = join(dir, "pw");
    await writeFile(passwordFile, "from a file\n");
    const text = await cli(["node", "init", "--data-dir", join(dir, "b"), "--scrypt-n", TEST_SCRYPT_N, "--password-file", passwordFile], {});
    assert.equal(text.code, 0, text.io.err);
    assert.match(text.io.out, /shown once, never stored/);
    assert.match(text.io.out, /^address\s+0x[0-9a-fA-F]{40}$/m);

    const none = new MemoryIo({});
    assert.equal(await run(["node", "init", "--data-dir", join(dir, "c")], none), 1);
    assert.match(none.err, /MODELVAULT_PASSWORD.*\[PASSWORD_MISSING\]/);
  });
});

describe("CLI: publish, fetch and pins against a node started by `node start`", function () {
  this.timeout(60_000);
  let dir: string;
  let api: string;
  let stopNode: AbortController;
  let nodeRun: Promise<number>;
  let nodeIo: MemoryIo;
  let address: string;
  const model = randomBytes(40_000);
  let published: { manifestCid: string; contentCid: string; key: string };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mv-cli-"));
    const init = await cli(["node", "init", "--data-dir", dir, "--scrypt-n", TEST_SCRYPT_N, "--json"]);
    address = init.io.json<{ address: string }>().address;

    assertFailed(await cli(["node", "start", "--data-dir", dir, "--api-port", "0"], { MODELVAULT_PASSWORD: "wrong" }), 1, /wrong password/);
    assertFailed(await cli(["node", "start", "--data-dir", join(dir, "none"), "--api-port", "0"]), 1, /node init.*\[IDENTITY_MISSING\]/);

    stopNode = new AbortController();
    nodeIo = new MemoryIo({ MODELVAULT_PASSWORD: PASSWORD, MODELVAULT_LISTEN: "/ip4/127.0.0.1/tcp/0" }, stopNode.signal);
    nodeRun = run(["node", "start", "--data-dir", dir, "--api-port", "0", "--json"], nodeIo);
    for (let i = 0; i < 300 && !nodeIo.out.includes("\n"); i++) {
      const early = await Promise.race([nodeRun, new Promise((resolve) => setTimeout(resolve, 100, "waiting"))]);
      if (early !== "waiting") throw new Error(`node start ended early (${String(early)}): ${nodeIo.err}`);
    }
    const started = nodeIo.json<{ event: string; api: string; apiPort: number; address: string }>();
    assert.equal(started.event, "started");
    assert.equal(started.address, address);
    assert.ok(started.apiPort > 0);
    api = started.api;
  });

  after(async () => {
    stopNode?.abort();
    if (nodeRun !== undefined) assert.equal(await nodeRun, 0, nodeIo.err);
    await rm(dir, { recursive: true, force: true });
  });

  it("publish FILE streams it to the node and prints the CIDs and the key", async () => {
    const file = join(dir, "model.bin");
    await writeFile(file, model);
    const result = await cli(["publish", file, "--api", api, "--segment-size", SEGMENT, "--name", "cli model", "--json"]);
    assert.equal(result.code, 0, result.io.err);
    published = result.io.json();
    assert.match(published.key, /^0x[0-9a-f]{64}$/);
    const text = await cli(["publish", file, "--api", api, "--segment-size", SEGMENT]);
    assert.equal(text.code, 0, text.io.err);
    assert.match(text.io.out, /^manifest CID\s+bag/m);
    assert.match(text.io.err, /WARNING: The content key is returned once/);
  });

  it("fetch CID -o FILE verifies, decrypts locally and writes the file atomically", async () => {
    const out = join(dir, "fetched.bin");
    const result = await cli(["fetch", published.manifestCid, "-o", out, "--key", published.key, "--api", api, "--expected-owner", address, "--json"]);
    assert.equal(result.code, 0, result.io.err);
    assertBytes(await readFile(out), model, "fetched file");
    assert.equal(result.io.json<{ bytes: number }>().bytes, model.length);

    const keyFile = join(dir, "key.txt");
    await writeFile(keyFile, published.key.slice(2) + "\n");
    const viaFile = await cli(["fetch", published.manifestCid, "-o", join(dir, "again.bin"), "--key-file", keyFile, "--api", api]);
    assert.equal(viaFile.code, 0, viaFile.io.err);
    assert.match(viaFile.io.out, /signature verified/);
  });

  it("fetch refuses a wrong key, a foreign owner and a content CID, leaving no file", async () => {
    const out = join(dir, "never.bin");
    const wrongKey = "0x" + "11".repeat(32);
    assertFailed(await cli(["fetch", published.manifestCid, "-o", out, "--key", wrongKey, "--api", api]), 1, /\[SEALED_WRONG_KEY\]/);
    const stranger = privateKeyToAccount(generatePrivateKey()).address;
    assertFailed(
      await cli(["fetch", published.manifestCid, "-o", out, "--key", published.key, "--api", api, "--expected-owner", stranger]),
      1,
      /expected 0x.*\[INVALID_MANIFEST\]/,
    );
    assertFailed(await cli(["fetch", published.contentCid, "-o", out, "--key", published.key, "--api", api]), 1, /not a manifest CID/);
    // A node that answers with other bytes than the manifest CID names.
    const liar = createServer((_request, response) => response.end(JSON.stringify({ manifest: {}, signature: "0x" })));
    await new Promise<void>((done) => liar.listen(0, "127.0.0.1", done));
    try {
      const lying = `http://127.0.0.1:${(liar.address() as AddressInfo).port}`;
      assertFailed(await cli(["fetch", published.manifestCid, "-o", out, "--key", published.key, "--api", lying]), 1, /does not match .*\[INVALID_MANIFEST\]/);
    } finally {
      liar.close();
    }
    assertFailed(await cli(["fetch", published.manifestCid, "-o", out, "--key", "abc", "--api", api]), 2, /32 bytes of hex/);
    assertFailed(await cli(["fetch", "not-a-cid", "-o", out, "--key", published.key, "--api", api]), 2, /not a CID/);
    const json = await cli(["fetch", published.manifestCid, "-o", out, "--key", wrongKey, "--api", api, "--json"]);
    assert.equal(json.code, 1);
    assert.equal((JSON.parse(json.io.err) as { error: { code: string } }).error.code, "SEALED_WRONG_KEY");
    await assert.rejects(stat(out), /ENOENT/);
    assert.deepEqual((await readdir(dir)).filter((name) => name.includes(".partial")), []);
  });

  it("pins ls / rm / add", async () => {
    const ls = async () => {
      const result = await cli(["pins", "ls", "--api", api, "--json"]);
      assert.equal(result.code, 0, result.io.err);
      return result.io.json<{ pins: { cid: string }[] }>().pins.map((p) => p.cid).sort();
    };
    const before = await ls();
    assert.ok(before.includes(published.manifestCid));
    assert.equal((await cli(["pins", "rm", published.manifestCid, "--api", api])).code, 0);
    assert.ok(!(await ls()).includes(published.manifestCid));
    assertFailed(await cli(["pins", "rm", published.manifestCid, "--api", api]), 1, /not pinned.*\[PIN_NOT_FOUND\]/);
    const add = await cli(["pins", "add", published.manifestCid, "--api", api, "--json"]);
    assert.equal(add.code, 0, add.io.err);
    assert.deepEqual(add.io.json(), { cid: published.manifestCid, pinned: true, added: true });
    assert.deepEqual(await ls(), before);
    const text = await cli(["pins", "--api", api]);
    // A manifest pin names its model: name, version and size (the root block is read locally).
    assert.match(text.io.out, new RegExp(`^${published.manifestCid}\\s+api\\s+cli model\\s+v1\\s+39\\.1 KiB$`, "m"));
    const listed = await cli(["pins", "--api", api, "--json"]);
    const pin = listed.io.json<{ pins: { cid: string; model?: Record<string, unknown> }[] }>().pins.find((p) => p.cid === published.manifestCid);
    assert.deepEqual(pin?.model, { name: "cli model", version: 1, owner: address, kind: "file", plaintextSize: 40_000, sealedSize: pin?.model?.sealedSize });
    assert.ok(Number(pin?.model?.sealedSize) > 40_000);
    assertFailed(await cli(["pins", "frobnicate", "--api", api]), 2, /unknown pins action/);
  });

  it("usage errors and an unreachable API are one line and a non-zero exit code", async () => {
    assertFailed(await cli(["pins", "--api", "http://127.0.0.1:9"]), 1, /cannot reach the node API.*\[API_UNREACHABLE\]/);
    assertFailed(await cli(["publish", join(dir, "missing.bin"), "--api", api]), 2, /cannot read .*ENOENT/);
    assertFailed(await cli(["publish", join(dir, "model.bin"), "--api", api, "--segment-size", "0"]), 1, /segmentSize.*\[VALIDATION_FAILED\]/);
    assertFailed(await cli(["fetch", published.manifestCid, "--key", published.key, "--api", api]), 1, /required option '-o, --output/);
    assertFailed(await cli(["launch"]), 1, /unknown command 'launch'/);
  });
});
