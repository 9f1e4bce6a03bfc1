import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertBytes } from "../helpers/bytes.js";
import { TEST_SCRYPT_N } from "./fixtures/cli.js";
import { ProcessFixture, type Daemon } from "../../scripts/lib/processes.js";

// A well-formed manifest CID (dag-json of {nobody: "has this"}) that no peer holds.
const MISSING = "baguqeerarz6ozf5enshce54ixynipnqgmi2rllxh6rk3u2eorgd6zvztw2jq";
const LOOPBACK = "/ip4/127.0.0.1/tcp/0";

describe("separate processes: two `modelvault node start` peers on 127.0.0.1", function () {
  this.timeout(120_000);
  // Run from outside the package, as an installed CLI is: the publish worker threads once
  // resolved their TypeScript loader from the working directory and failed there.
  const fixture = new ProcessFixture({ MODELVAULT_PASSWORD: "process test password" }, { cwd: tmpdir() });
  let dir: string;
  let dirA: string;
  let dirB: string;
  let a: Daemon;
  let b: Daemon;
  const model = randomBytes(300_000);
  let published: { manifestCid: string; contentCid: string; key: string };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mv-proc-"));
    dirA = join(dir, "a");
    dirB = join(dir, "b");
    const inits = await Promise.all([dirA, dirB].map((d) => fixture.run(["node", "init", "--data-dir", d, "--scrypt-n", TEST_SCRYPT_N, "--json"])));
    for (const init of inits) assert.equal(init.code, 0, init.stderr);
    a = await fixture.start(["--data-dir", dirA, "--api-port", "0", "--listen", LOOPBACK]);
    b = await fixture.start(["--data-dir", dirB, "--api-port", "0", "--listen", LOOPBACK, "--fetch-timeout", "1500"], {
      MODELVAULT_PEERS: a.started.multiaddrs.join(","),
    });
  });

  after(async () => {
    await fixture.cleanup();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("publish on A with the CLI, fetch through B's API (bitswap from A) to an identical file", async () => {
    assert.match(a.started.api, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(a.started.peerId, b.started.peerId);
    const file = join(dir, "model.bin");
    await writeFile(file, model);
    const pub = await fixture.run(["publish", file, "--api", a.started.api, "--segment-size", String(32 * 1024 - 16), "--json"]);
    assert.equal(pub.code, 0, pub.stderr);
    published = JSON.parse(pub.stdout) as typeof published;

    const out = join(dir, "from-b.bin");
    const fetched = await fixture.run(["fetch", published.manifestCid, "-o", out, "--key", published.key, "--api", b.started.api, "--timeout", "20000", "--json"]);
    assert.equal(fetched.code, 0, fetched.stderr);
    assertBytes(await readFile(out), model, "file fetched through B");
    assert.equal((JSON.parse(fetched.stdout) as { owner: string }).owner, a.started.address);
  });

  it("fetching a CID nobody has fails with a clear timeout error", async () => {
    const result = await fixture.run(["fetch", MISSING, "-o", join(dir, "missing.bin"), "--key", published.key, "--api", b.started.api]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^modelvault: no peer provided baguqeera\S+ within 1500 ms \[CONTENT_NOT_FOUND\]\n$/);
  });

  it("a restarted node keeps its peer id and its pins, and stops cleanly on SIGINT/SIGTERM", async () => {
    const peerId = a.started.peerId;
    assert.equal(await a.stop("SIGINT"), 0, a.stderr());
    a = await fixture.start(["--data-dir", dirA, "--api-port", "0", "--listen", LOOPBACK]);
    assert.equal(a.started.peerId, peerId);
    const pins = await fixture.run(["pins", "--api", a.started.api, "--json"]);
    assert.equal(pins.code, 0, pins.stderr);
    assert.deepEqual(
      (JSON.parse(pins.stdout) as { pins: { cid: string }[] }).pins.map((p) => p.cid),
      [published.manifestCid],
    );
    // The model is still there, served from A's own blockstore.
    const out = join(dir, "from-a.bin");
    const fetched = await fixture.run(["fetch", published.manifestCid, "-o", out, "--key", published.key, "--api", a.started.api]);
    assert.equal(fetched.code, 0, fetched.stderr);
    assertBytes(await readFile(out), model);
    assert.equal(await a.stop("SIGTERM"), 0, a.stderr());
    assert.equal(await b.stop("SIGTERM"), 0, b.stderr());
  });
});
