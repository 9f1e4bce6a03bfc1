import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hexToBytes } from "viem";
import { HEADER_LENGTH, SealedReader } from "../../crypto/index.js";
import { assertBytes, collect } from "../helpers/bytes.js";
import { TEST_SCRYPT_N } from "./fixtures/cli.js";
import { freePort } from "./fixtures/cluster.js";
import { ProcessFixture, type Daemon } from "../../scripts/lib/processes.js";

const LOOPBACK = "/ip4/127.0.0.1/tcp/0";
const SEGMENT = 16 * 1024 - 16; // 16368 plaintext bytes per segment: one 16 KiB frame per leaf
const MODEL_SIZE = 400_000; // 25 segments, the last one short
const START_MS = 20_000; // a daemon prints its "started" line in ~2-4 s
const HTTP_MS = 20_000;

interface NodeInfo {
  peerId: string;
  multiaddrs: string[];
  address: string;
}
interface Published {
  manifestCid: string;
  contentCid: string;
  key: `0x${string}`;
  manifest: { owner: string; modelId: `0x${string}`; plaintextSize: number; sealedSize: number; segmentSize: number; content: string };
}
interface Reply {
  status: number;
  headers: Headers;
  body: Buffer;
}

async function get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(HTTP_MS) });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

async function getJson<T>(url: string): Promise<T> {
  const reply = await get(url);
  assert.equal(reply.status, 200, `${url}: ${reply.body.toString()}`);
  return JSON.parse(reply.body.toString("utf8")) as T;
}

const connections = async (daemon: Daemon) => (await getJson<{ connections: number }>(`${daemon.started.api}/health`)).connections;

/** Polls until `check` holds, for at most `ms`. */
async function waitFor(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Whether a process with this id exists (signal 0 checks without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

describe("separate processes: three `modelvault node start` peers in a line, A - B - C", function () {
  this.timeout(60_000);
  const fixture = new ProcessFixture({ MODELVAULT_PASSWORD: "three process test password" });
  const model = randomBytes(MODEL_SIZE);
  const daemons: Daemon[] = [];
  let dir: string | undefined;
  let dirA: string;
  let dirB: string;
  let dirC: string;
  let bListen: string;
  let a: Daemon;
  let b: Daemon;
  let c: Daemon;
  let published: Published;
  let sealed: Buffer; // the ciphertext as A, the publisher, serves it

  async function start(dataDir: string, listen: string, peers: string[]): Promise<Daemon> {
    const args = ["--data-dir", dataDir, "--api-port", "0", "--listen", listen, "--fetch-timeout", "10000"];
    for (const peer of peers) args.push("--peer", peer);
    const daemon = await fixture.start(args, {}, START_MS);
    daemons.push(daemon);
    return daemon;
  }

  /** `modelvault fetch` through a node's API; returns the decrypted file and the summary. */
  async function cliFetch(daemon: Daemon, name: string): Promise<{ bytes: Buffer; summary: { owner: string; bytes: number; contentCid: string } }> {
    const out = join(dir!, name);
    const args = ["fetch", published.manifestCid, "-o", out, "--key", published.key, "--api", daemon.started.api, "--timeout", "10000", "--json"];
    const fetched = await fixture.run(args);
    assert.equal(fetched.code, 0, fetched.stderr);
    return { bytes: await readFile(out), summary: JSON.parse(fetched.stdout) as { owner: string; bytes: number; contentCid: string } };
  }

  /** GET /v1/pins (what `modelvault pins ls` prints, without a CLI process per call). */
  async function pinsOf(daemon: Daemon): Promise<string[]> {
    return (await getJson<{ pins: { cid: string }[] }>(`${daemon.started.api}/v1/pins`)).pins.map((pin) => pin.cid);
  }

  /** The whole ciphertext from this node's own blockstore (404 NOT_FOUND when it lacks the root). */
  const offlineContent = (daemon: Daemon) => get(`${daemon.started.api}/v1/content/${published.contentCid}?offline=true`);

  async function assertLacksContent(daemon: Daemon, who: string): Promise<void> {
    const reply = await offlineContent(daemon);
    assert.equal(reply.status, 404, `${who} already holds the content`);
    assert.equal((JSON.parse(reply.body.toString()) as { error: { code: string } }).error.code, "NOT_FOUND");
  }

  /** Stops a daemon and checks it exited by itself with code 0 and its process is gone. */
  async function stopCleanly(daemon: Daemon, signal: NodeJS.Signals): Promise<void> {
    assert.equal(await daemon.stop(signal), 0, daemon.stderr());
    assert.equal(daemon.child.exitCode, 0);
    assert.equal(daemon.child.signalCode, null, "killed by a signal instead of exiting");
    assert.equal(alive(daemon.child.pid!), false, `pid ${daemon.child.pid} still exists`);
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mv-3proc-"));
    [dirA, dirB, dirC] = [join(dir, "a"), join(dir, "b"), join(dir, "c")];
    const inits = await Promise.all([dirA, dirB, dirC].map((d) => fixture.run(["node", "init", "--data-dir", d, "--scrypt-n", TEST_SCRYPT_N, "--json"])));
    for (const init of inits) assert.equal(init.code, 0, init.stderr);
    bListen = `/ip4/127.0.0.1/tcp/${await freePort()}`;
    a = await start(dirA, LOOPBACK, []);
    b = await start(dirB, bListen, [a.started.multiaddrs[0]!]); // B knows only A
    c = await start(dirC, LOOPBACK, [b.started.multiaddrs[0]!]); // C knows only B
  });

  after(async () => {
    await fixture.cleanup();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    for (const daemon of daemons) assert.equal(alive(daemon.child.pid!), false, `orphan daemon pid ${daemon.child.pid}`);
    if (dir !== undefined) await assert.rejects(stat(dir), { code: "ENOENT" });
  });

  it("three distinct peers; A - B - C is the only topology (C is not connected to A)", async () => {
    const infos = await Promise.all([a, b, c].map((d) => getJson<NodeInfo>(`${d.started.api}/v1/node`)));
    assert.deepEqual(
      infos.map((info) => info.peerId),
      [a, b, c].map((d) => d.started.peerId),
    );
    assert.equal(new Set(infos.map((info) => info.peerId)).size, 3);
    assert.equal(new Set(infos.map((info) => info.address)).size, 3);
    assert.deepEqual(infos[1]!.multiaddrs, [`${bListen}/p2p/${b.started.peerId}`]);
    await waitFor("B to see both A and C", async () => (await connections(b)) === 2);
    assert.equal(await connections(a), 1);
    assert.equal(await connections(c), 1);
  });

  it("A publishes a model with the CLI; only A holds it", async () => {
    const file = join(dir!, "model.bin");
    await writeFile(file, model);
    const pub = await fixture.run(["publish", file, "--api", a.started.api, "--name", "three-process", "--segment-size", String(SEGMENT), "--json"]);
    assert.equal(pub.code, 0, pub.stderr);
    published = JSON.parse(pub.stdout) as Published;
    assert.match(published.manifestCid, /^baguqeera[a-z2-7]+$/);
    assert.match(published.key, /^0x[0-9a-f]{64}$/);
    assert.equal(published.manifest.owner, a.started.address);
    assert.equal(published.manifest.plaintextSize, MODEL_SIZE);
    assert.equal(published.manifest.segmentSize, SEGMENT);
    assert.equal(published.manifest.content, published.contentCid);
    assert.deepEqual(await pinsOf(a), [published.manifestCid]);

    const fromA = await offlineContent(a);
    assert.equal(fromA.status, 200);
    assert.equal(fromA.body.length, published.manifest.sealedSize);
    sealed = fromA.body;
    await assertLacksContent(b, "B");
    await assertLacksContent(c, "C");
  });

  it("B fetches the model from A over bitswap and pins it, holding every block", async () => {
    const { bytes, summary } = await cliFetch(b, "from-b.bin");
    assertBytes(bytes, model, "file fetched through B");
    assert.equal(summary.owner, a.started.address);
    assert.equal(summary.bytes, MODEL_SIZE);

    const pin = await fixture.run(["pins", "add", published.manifestCid, "--api", b.started.api, "--timeout", "10000", "--json"]);
    assert.equal(pin.code, 0, pin.stderr);
    assert.deepEqual(JSON.parse(pin.stdout), { cid: published.manifestCid, pinned: true, added: true });
    const listed = await fixture.run(["pins", "--api", b.started.api, "--json"]);
    assert.equal(listed.code, 0, listed.stderr);
    const { pins } = JSON.parse(listed.stdout) as { pins: { model?: { name?: string; plaintextSize?: number } }[] };
    assert.deepEqual(pins.map(({ model: _model, ...pin }) => pin), [{ cid: published.manifestCid, depth: null, metadata: { source: "api" } }]);
    assert.equal(pins[0]?.model?.plaintextSize, MODEL_SIZE, "the pin names the model it holds");

    // Every block of the manifest and the content is in B's own blockstore.
    const content = await offlineContent(b);
    assert.equal(content.status, 200);
    assertBytes(content.body, sealed, "B's local ciphertext");
    const manifestUrl = (d: Daemon) => `${d.started.api}/v1/manifests/${published.manifestCid}?format=dag-json&offline=true`;
    const [manifestA, manifestB] = await Promise.all([get(manifestUrl(a)), get(manifestUrl(b))]);
    assert.equal(manifestB.status, 200);
    assertBytes(manifestB.body, manifestA.body, "B's manifest block");
    // C has still not reached A.
    assert.equal(await connections(a), 1);
    assert.equal(await connections(c), 1);
  });

  it("with A stopped, C gets a byte range and then the whole model from B alone", async () => {
    await stopCleanly(a, "SIGTERM");
    await assert.rejects(fetch(`${a.started.api}/health`, { signal: AbortSignal.timeout(HTTP_MS) }), TypeError);
    await waitFor("B to notice A is gone", async () => (await connections(b)) === 1);
    await assertLacksContent(c, "C");

    // A ciphertext range through C's HTTP API: 206 with exactly A's bytes.
    const url = `${c.started.api}/v1/content/${published.contentCid}`;
    const part = await get(url, { range: "bytes=1000-50999" });
    assert.equal(part.status, 206, part.body.toString());
    assert.equal(part.headers.get("content-range"), `bytes 1000-50999/${published.manifest.sealedSize}`);
    assertBytes(part.body, sealed.subarray(1000, 51_000), "ciphertext range from C");

    // A plaintext range across three segments, decrypted here from ranged reads of C's API.
    const read = async (start: number, end: number) => {
      const reply = await get(url, { range: `bytes=${start}-${end - 1}` });
      assert.equal(reply.status, 206, reply.body.toString());
      assert.equal(reply.headers.get("content-range"), `bytes ${start}-${end - 1}/${published.manifest.sealedSize}`);
      return reply.body;
    };
    const reader = await SealedReader.create({
      key: hexToBytes(published.key),
      modelId: hexToBytes(published.manifest.modelId),
      header: await read(0, HEADER_LENGTH),
      sealedLength: published.manifest.sealedSize,
      read,
    });
    assert.equal(reader.plaintextLength, MODEL_SIZE);
    const [from, to] = [3 * SEGMENT - 100, 5 * SEGMENT + 77];
    assertBytes(await collect(reader.range(from, to)), model.subarray(from, to), "plaintext range from C");
    const tail = MODEL_SIZE - 1234;
    assertBytes(await collect(reader.range(tail)), model.subarray(tail), "last bytes from C");

    const { bytes, summary } = await cliFetch(c, "from-c.bin");
    assertBytes(bytes, model, "file fetched through C with A gone");
    assert.equal(summary.owner, a.started.address);
    assert.equal(summary.contentCid, published.contentCid);
    assert.equal(await connections(c), 1);
  });

  it("B restarts on its data dir with the same peer id, address and pin; a reconnected C fetches from it", async () => {
    const was = await getJson<NodeInfo>(`${b.started.api}/v1/node`);
    await stopCleanly(b, "SIGINT");
    await waitFor("C to lose B", async () => (await connections(c)) === 0);

    // A is gone for good, so B comes back with no peers, on its fixed listen port.
    b = await start(dirB, bListen, []);
    const now = await getJson<NodeInfo>(`${b.started.api}/v1/node`);
    assert.equal(b.started.peerId, was.peerId);
    // Everything but the transfer totals, which count since the start.
    const { transfer: _was, ...wasIdentity } = was as NodeInfo & { transfer?: unknown };
    const { transfer: _now, ...nowIdentity } = now as NodeInfo & { transfer?: unknown };
    assert.deepEqual(nowIdentity, wasIdentity);
    assert.deepEqual(await pinsOf(b), [published.manifestCid]);
    const content = await offlineContent(b);
    assert.equal(content.status, 200);
    assertBytes(content.body, sealed, "B's ciphertext after restart");

    // C kept the blocks of its fetch in its blockstore (unpinned). Drop them, so that the
    // next fetch must come from B, and reconnect C to B's unchanged address.
    assertBytes((await offlineContent(c)).body, sealed, "C's cached ciphertext");
    const cPeerId = c.started.peerId;
    await stopCleanly(c, "SIGTERM");
    await rm(join(dirC, "blocks"), { recursive: true });
    c = await start(dirC, LOOPBACK, [was.multiaddrs[0]!]);
    assert.equal(c.started.peerId, cPeerId);
    await assertLacksContent(c, "restarted C");
    assert.equal(await connections(c), 1);

    const { bytes, summary } = await cliFetch(c, "from-c-again.bin");
    assertBytes(bytes, model, "file fetched through C from the restarted B");
    assert.equal(summary.owner, a.started.address);

    await Promise.all([stopCleanly(c, "SIGTERM"), stopCleanly(b, "SIGTERM")]);
  });
});
