/**
 * The fetch data path under failure, with separate processes: one `modelvault node start` per
 * node (each on its own data dir, on 127.0.0.1), the CLI for publish, pins and fetch, the HTTP
 * API for content reads and the nodes' `transfer` totals. Sources are stopped (SIGSTOP),
 * killed (SIGKILL) and restarted under reads in flight; every read that succeeds is checked
 * byte for byte, and every node that must survive is checked to still serve, with no
 * "unhandled rejection" on its stderr.
 *
 * Nothing here is a speed measurement, except the one bound the requirements name (a restarted
 * configured peer is connected again within 5 s of its "started" line), asserted as stated.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { hexToBytes } from "viem";
import { open } from "../../crypto/index.js";
import type { Daemon } from "../../scripts/lib/processes.js";
import { assertBytes, collect } from "../helpers/bytes.js";
import {
  assertNoUnhandled,
  assertServing,
  blockPath,
  blockSize,
  Cluster,
  connectionsOf,
  dagBlocks,
  exists,
  freePort,
  get,
  peersOf,
  sleep,
  transferOf,
  waitFor,
  type BlockInfo,
  type Published,
} from "./fixtures/cluster.js";

const MB = 1024 * 1024;
/** A node's fetch is "under way" once this many blocks came from the network (of hundreds). */
const UNDER_WAY_BLOCKS = 24;

const sum = (blocks: BlockInfo[]) => blocks.reduce((total, block) => total + block.size, 0);
const errorCode = (body: Buffer) => (JSON.parse(body.toString()) as { error: { code: string } }).error.code;

/** Resolves once a fetch through `daemon` took `blocks` more blocks from the network than `from`. */
async function underWay(daemon: Daemon, from: number, blocks = UNDER_WAY_BLOCKS): Promise<void> {
  await waitFor("the fetch to be under way", async () => (await transferOf(daemon)).networkBlocks - from >= blocks, 60_000, 40);
}

/** The files in `dir` whose names start with `name` (the output and any temp file beside it). */
async function filesLike(dir: string, name: string): Promise<string[]> {
  return (await readdir(dir)).filter((file) => file.startsWith(name)).sort();
}

describe("fetch robustness: separate processes, sources stopped, killed and restarted", function () {
  this.timeout(120_000);

  describe("one source: B publishes, C is peered with B only, G knows B only as a gateway", function () {
    let cluster: Cluster;
    let dirB: string;
    let b: Daemon;
    let c: Daemon;
    let g: Daemon;
    // The crash needs a DAG with interior nodes: the stock exporter (before the change) walks an
    // interior child in a p-queue job whose promise nobody awaits (`void childQueue.add(...)` in
    // ipfs-unixfs-exporter's file.js), so a block load that fails under it is an unhandled
    // rejection. Our importer puts up to 1024 links in a node, so: more than 1024 leaves, small ones.
    const CRASH_SEGMENT = 1024 - 16;
    const model1 = randomBytes(1100 * CRASH_SEGMENT + 321);
    const model2 = randomBytes(6 * MB);
    const model3 = randomBytes(1 * MB);
    const model4 = randomBytes(2 * MB);
    const recoveryModels = [0, 1, 2].map(() => randomBytes(2 * MB));
    let recovery: Array<[Published, Buffer]>;
    let m1: Published;
    let m2: Published;
    let m3: Published; // published on C: C holds it locally
    let m4: Published;
    let sealed1: Buffer;
    let sealed4: Buffer;

    before(async function () {
      this.timeout(120_000);
      cluster = await Cluster.create("mv-robust-one-");
      const [db, dc, dg] = await cluster.init("b", "c", "g");
      dirB = db!;
      b = await cluster.start(dirB);
      [c, g] = await Promise.all([cluster.start(dc!, { peers: [b.started.multiaddrs[0]!] }), cluster.start(dg!, { gateways: [b.started.api] })]);
      const [ours, recovered] = await Promise.all([
        Promise.all([
          cluster.publish(b, model1, "crash", CRASH_SEGMENT),
          cluster.publish(b, model2, "stall"),
          cluster.publish(b, model4, "routes"),
          cluster.publish(c, model3, "local"),
        ]),
        Promise.all(recoveryModels.map((bytes, i) => cluster.publish(b, bytes, `recover-${i}`))),
      ]);
      [m1, m2, m4, m3] = ours;
      [sealed1, sealed4] = (await Promise.all([m1, m4].map((m) => cluster.sealedOffline(b, m)))) as [Buffer, Buffer];
      recovery = await Promise.all(recovered.map(async (m): Promise<[Published, Buffer]> => [m, await cluster.sealedOffline(b, m)]));
      await waitFor("C to be connected to B", async () => (await peersOf(c)).includes(b.started.peerId));
      assert.equal(await connectionsOf(g), 0, "G has no peers: whatever it fetches comes through the gateway");
    });

    afterEach(() => cluster.resumeAll());
    after(async () => cluster?.cleanup());

    // On the code before the change (ac934d4) C dies at the first assertServing below: the
    // unhandled LoadBlockFailedError ("Want was aborted") from ipfs-unixfs-exporter's file.js.
    it("crash reproduction: a range read, then the only source stops; C answers the next read with an error or a short body and keeps serving", async function () {
      this.timeout(90_000);
      const blocks1 = await dagBlocks(dirB, m1.contentCid);
      assert.ok(blocks1.filter((block) => !block.leaf).length > 1, "the content DAG has interior nodes below its root");
      const url = `${c.started.api}/v1/content/${m1.contentCid}`;
      const range = await get(url, { range: "bytes=0-111" });
      assert.equal(range.status, 206, range.body.toString());
      assertBytes(range.body, sealed1.subarray(0, 112), "bytes 0-111 through C");

      cluster.pause(b);
      const stoppedAt = Date.now();
      const stalled = await get(`${url}?timeoutMs=3000`);
      console.log(`      read with the source stopped: ${stalled.status}, ${stalled.body.length} of ${m1.manifest.sealedSize} bytes${stalled.error ? ` (${stalled.error.message})` : ""}`);
      if (stalled.status === 200) {
        // The status line went out with the first (local) leaf; the rest can only be cut short.
        assert.ok(stalled.body.length < m1.manifest.sealedSize, "a full body came from a stopped source");
        assert.notEqual(stalled.error, undefined, "a short body must end in a broken connection, not a clean end");
        assertBytes(stalled.body, sealed1.subarray(0, stalled.body.length), "what C sent before the stall");
      } else {
        assert.equal(stalled.status, 504, stalled.body.toString());
        assert.equal(errorCode(stalled.body), "CONTENT_NOT_FOUND");
      }
      // The source stays stopped past the fetcher's 8 s per-attempt give-up, so that a timer or
      // rejection left behind by the failed read would fire while C is watched.
      while (Date.now() - stoppedAt < 9_000) {
        await assertServing(c, "C with its only source stopped");
        await sleep(500);
      }
      const again = await get(url, { range: "bytes=0-111" });
      assert.equal(again.status, 206, "C still serves what it holds while its source is stopped");
      assertBytes(again.body, sealed1.subarray(0, 112), "bytes 0-111 through C during the stall");

      cluster.resume(b);
      const out = join(cluster.dir, "crash.out");
      const fetched = await cluster.fetchCli(c, m1, out);
      assert.equal(fetched.code, 0, fetched.stderr);
      assertBytes(await readFile(out), model1, "the model through C after SIGCONT of B");
      await assertServing(c, "C");
    });

    it("a source stopped mid-fetch ends that fetch with a typed error; C serves other requests during the stall", async function () {
      this.timeout(90_000);
      const blocks2 = await dagBlocks(dirB, m2.contentCid);
      const from = (await transferOf(c)).networkBlocks;
      const out = join(cluster.dir, "stall.out");
      let stalledDone = false;
      const stalledFetch = cluster.fetchCli(c, m2, out, 6000).finally(() => (stalledDone = true));
      await underWay(c, from);
      cluster.pause(b);
      const atStop = (await transferOf(c)).networkBlocks - from;
      assert.ok(atStop < blocks2.length, `the fetch was over (${atStop} of ${blocks2.length} blocks) before B stopped: nothing was tested`);

      // Meanwhile C answers: health, and a model it holds itself, in full (decrypted here).
      await assertServing(c, "C during the stall");
      const local = await get(`${c.started.api}/v1/content/${m3.contentCid}`);
      assert.equal(local.status, 200, local.body.toString());
      assert.equal(local.error, undefined);
      assert.equal(stalledDone, false, "the local read was meant to run during the stall"); // 6 s idle timeout vs a local read
      const plain = await collect(open([local.body], { key: hexToBytes(m3.key), modelId: hexToBytes(m3.manifest.modelId) }));
      assertBytes(plain, model3, "the local model served during the stall");

      const result = await stalledFetch;
      assert.notEqual(result.code, 0, `the fetch from a stopped source succeeded: ${result.stdout}`);
      const lines = result.stderr.trim().split("\n");
      assert.equal(lines.length, 1, `one line on stderr: ${result.stderr}`);
      assert.deepEqual(await filesLike(cluster.dir, "stall.out"), [], "a failed fetch leaves no output and no temp file");
      await assertServing(c, "C after the stalled fetch failed");

      cluster.resume(b);
      assertNoUnhandled(c, "C");

      // Last, so that everything above is checked whatever the message: the error is typed
      // (it names CONTENT_NOT_FOUND or the timeout), not {"code":"INTERNAL","message":"aborted"}.
      const { error } = JSON.parse(lines[0]!) as { error: { code: string; message: string } };
      assert.ok(
        error.code === "CONTENT_NOT_FOUND" || /time(d)? ?out/i.test(error.message),
        `the stalled fetch's error is typed and names the timeout; got ${lines[0]}`,
      );
    });

    it("a source that continues after a stall serves what was asked of it during the stall within a short idle timeout", async function () {
      this.timeout(90_000);
      // After SIGCONT, B answers the WANT-BLOCKs that reached it before it stopped, for attempts
      // C has given up on meanwhile (a Helia bitswap session sends no CANCEL when its want is
      // aborted); C drops those blocks, nobody wants them any more. B's ledger keeps each as a
      // "sent" entry, and a new WANT-BLOCK for it is merged into that entry and never answered
      // (within the 5 s doNotResendBlockWindow the entry is "sent"; after it, the merged entry is
      // deleted as expired before the next send). So C's next read of exactly those blocks waits
      // for the fetcher's 8 s per-attempt give-up although B is healthy: any idle timeout under
      // ~8 s fails. Which wants had reached B when it stopped depends on timing, so the stall is
      // repeated on up to three models; one read cut short is the failure.
      for (const [i, [m, sealed]] of recovery.entries()) {
        const url = `${c.started.api}/v1/content/${m.contentCid}`;
        const from = (await transferOf(c)).networkBlocks;
        const firstRead = get(`${url}?timeoutMs=2000`);
        await underWay(c, from);
        cluster.pause(b);
        const cut = await firstRead;
        assert.ok(cut.status !== 200 || cut.error !== undefined, "the read through C with B stopped ended short");
        cluster.resume(b);
        // A client retrying a second later (B has by then answered the stale wants). A running B
        // sends a block every few ms: 4 s without one is not slowness, even on a loaded machine.
        await sleep(1_000);
        const again = await get(`${url}?timeoutMs=4000`);
        assert.equal(again.status, 200, again.body.toString());
        assert.equal(
          again.error,
          undefined,
          `stall ${i + 1}: the read after SIGCONT was cut after ${again.body.length} of ${m.manifest.sealedSize} bytes: B, running again, sent nothing for 4 s`,
        );
        assertBytes(again.body, sealed, `stall ${i + 1}: the ciphertext through C after SIGCONT of B`);
      }
      await assertServing(c, "C");
    });

    it("bitswap route: the ciphertext C fetched from B equals byte for byte what B serves offline", async () => {
      const blocks4 = await dagBlocks(dirB, m4.contentCid);
      const before = await transferOf(c);
      const reply = await get(`${c.started.api}/v1/content/${m4.contentCid}`);
      assert.equal(reply.status, 200, reply.body.toString());
      assert.equal(reply.error, undefined);
      assertBytes(reply.body, sealed4, "ciphertext through C vs the publisher's offline bytes");
      const after = await transferOf(c);
      assert.equal(after.networkBlocks - before.networkBlocks, blocks4.length, "every block of the DAG came from the network, once");
      assert.equal(after.networkBytes - before.networkBytes, sum(blocks4));
      assertBytes(await cluster.sealedOffline(c, m4), sealed4, "C's own copy");
    });

    // GET /ipfs/<cid>?format=raw (node/http/gateway.ts) is served by every node, B included.
    it("trustless-gateway route: G (only --gateway B, no peers) fetches the exact model, and its transfer totals grow by the model's blocks", async () => {
      const rawRoot = await get(`${b.started.api}/ipfs/${m4.contentCid}?format=raw`, { accept: "application/vnd.ipld.raw" });
      assert.equal(rawRoot.status, 200, `B's gateway route: ${rawRoot.body.toString()}`);
      assertBytes(rawRoot.body, await readFile(blockPath(dirB, m4.contentCid)), "B's raw root block");

      const blocks = [...(await dagBlocks(dirB, m4.contentCid)), { cid: m4.manifestCid, size: await blockSize(dirB, m4.manifestCid), leaf: false }];
      const before = await transferOf(g);
      const out = join(cluster.dir, "gateway.out");
      const fetched = await cluster.fetchCli(g, m4, out);
      assert.equal(fetched.code, 0, fetched.stderr);
      assertBytes(await readFile(out), model4, "the model through G's gateway source");
      const after = await transferOf(g);
      assert.equal(after.networkBlocks - before.networkBlocks, blocks.length, "manifest, root and every leaf came through the gateway, once each");
      assert.equal(after.networkBytes - before.networkBytes, sum(blocks));
      assert.equal(await connectionsOf(g), 0, "G fetched with no peer connected");
      assertBytes(await cluster.sealedOffline(g, m4), sealed4, "G's own copy");
      assertNoUnhandled(g, "G");
    });
  });

  describe("three sources B1, B2, B3 (pinned from A, A then stopped); D is peered with all three", function () {
    let cluster: Cluster;
    let bs: Daemon[];
    let d: Daemon;
    const model = randomBytes(6 * MB);
    let m: Published;
    let sealed: Buffer;
    let total: number;

    before(async function () {
      this.timeout(120_000);
      cluster = await Cluster.create("mv-robust-three-");
      const [dirA, ...rest] = await cluster.init("a", "b1", "b2", "b3", "d");
      const dirD = rest.pop()!;
      const a = await cluster.start(dirA!);
      m = await cluster.publish(a, model, "three-sources");
      sealed = await cluster.sealedOffline(a, m);
      total = (await dagBlocks(dirA!, m.contentCid)).length;
      bs = await Promise.all(rest.map((dir) => cluster.start(dir, { peers: [a.started.multiaddrs[0]!] })));
      await Promise.all(bs.map((source) => cluster.pin(source, m)));
      for (const source of bs) assertBytes(await cluster.sealedOffline(source, m), sealed, "a source's pinned copy");
      assert.equal(await a.stop("SIGTERM"), 0, a.stderr());
      d = await cluster.start(dirD, { peers: bs.map((source) => source.started.multiaddrs[0]!) });
      await waitFor("D to be connected to B1, B2 and B3", async () => (await connectionsOf(d)) === 3);
    });

    afterEach(() => cluster.resumeAll());
    after(async () => cluster?.cleanup());

    it("kill -9 of one source mid-fetch: the fetch completes with exactly the model from the other two", async function () {
      this.timeout(90_000);
      const out = join(cluster.dir, "three.out");
      const fetching = cluster.fetchCli(d, m, out);
      await underWay(d, 0);
      await cluster.kill(bs[0]!);
      const atKill = (await transferOf(d)).networkBlocks;
      assert.ok(atKill < total, `the fetch was over (${atKill} of ${total} blocks) before the kill: nothing was tested`);
      const result = await fetching;
      assert.equal(result.code, 0, result.stderr);
      assertBytes(await readFile(out), model, "the model through D with B1 killed mid-fetch");
      await waitFor("D to drop the killed source", async () => (await connectionsOf(d)) === 2);
      await assertServing(d, "D");
      for (const source of bs.slice(1)) await assertServing(source, "a surviving source");
    });

    it("one source stopped (SIGSTOP) mid-fetch: the fetch completes with exactly the model from the others", async function () {
      this.timeout(90_000);
      // A fresh fetching node E, peered with the three (B1 may be dead by now: it is then only a warning).
      const [dirE] = await cluster.init("e");
      const e = await cluster.start(dirE!, { peers: bs.map((source) => source.started.multiaddrs[0]!) });
      const alive = bs.filter((source) => source.child.exitCode === null && source.child.signalCode === null);
      await waitFor("E to be connected to the live sources", async () => (await connectionsOf(e)) === alive.length);
      assert.ok(alive.length >= 2, "two sources or more");
      const out = join(cluster.dir, "three-stopped.out");
      const fetching = cluster.fetchCli(e, m, out);
      await underWay(e, 0);
      cluster.pause(alive[0]!);
      const atStop = (await transferOf(e)).networkBlocks;
      assert.ok(atStop < total, `the fetch was over (${atStop} of ${total} blocks) before the stop: nothing was tested`);
      const result = await fetching;
      assert.equal(result.code, 0, result.stderr);
      assertBytes(await readFile(out), model, "the model through E with one source stopped mid-fetch");
      await assertServing(e, "E");
      cluster.resume(alive[0]!);
    });
  });

  describe("restart and resume: B (fixed port) is the only source of D and R", function () {
    let cluster: Cluster;
    let dirB: string;
    let bListen: string;
    let b: Daemon;
    let d: Daemon;
    let dirR: string;
    let peerIdB: string;
    const model = randomBytes(6 * MB);
    let m: Published;
    let total: number;
    const reconnects: number[] = [];

    before(async function () {
      this.timeout(120_000);
      cluster = await Cluster.create("mv-robust-restart-");
      const [db, dirD, dr] = await cluster.init("b", "d", "r");
      dirB = db!;
      dirR = dr!;
      bListen = `/ip4/127.0.0.1/tcp/${await freePort()}`;
      b = await cluster.start(dirB, { listen: bListen });
      peerIdB = b.started.peerId;
      m = await cluster.publish(b, model, "restart");
      total = (await dagBlocks(dirB, m.contentCid)).length;
      d = await cluster.start(dirD!, { peers: [b.started.multiaddrs[0]!] });
      await waitFor("D to be connected to B", async () => (await peersOf(d)).includes(peerIdB));
    });

    afterEach(() => cluster.resumeAll());
    after(async () => {
      if (reconnects.length > 0) console.log(`      reconnect after B's "started" line: ${reconnects.map((ms) => `${ms} ms`).join(", ")}`);
      await cluster?.cleanup();
    });

    /** Restarts B and returns the ms from its "started" line until D lists it as connected. */
    async function restartB(): Promise<number> {
      b = await cluster.start(dirB, { listen: bListen });
      const startedAt = Date.now();
      assert.equal(b.started.peerId, peerIdB, "B keeps its peer id across the restart");
      assert.equal(b.started.multiaddrs[0], `${bListen}/p2p/${peerIdB}`);
      await waitFor("D to reconnect to B", async () => (await peersOf(d)).includes(peerIdB), 30_000, 50);
      const ms = Date.now() - startedAt;
      reconnects.push(ms);
      return ms;
    }

    it("while B is down, D warns \"cannot reach peer\" at most once for the outage (not at every 2 s redial)", async function () {
      this.timeout(60_000);
      const mark = d.stderr().length;
      assert.equal(await b.stop("SIGTERM"), 0, b.stderr());
      await waitFor("D to lose B", async () => (await connectionsOf(d)) === 0);
      await sleep(6_500); // three redials or more
      const warnings = d.stderr().slice(mark).match(/cannot reach peer/g) ?? [];
      console.log(`      "cannot reach peer" warnings over ~7 s of outage: ${warnings.length}`);
      assert.ok(warnings.length <= 1, `${warnings.length} warnings for one outage:\n${d.stderr().slice(mark)}`);
      await assertServing(d, "D with its only peer down");
    });

    it("B restarted after SIGTERM, and again after kill -9, is connected from D within 5 s of its \"started\" line", async function () {
      this.timeout(90_000);
      // The bound is the requirement itself (5 s). D redials every 2 s and right after a
      // disconnect, so the design needs ~2 s plus a dial; the rest is slack for this loaded
      // machine (the measurement also includes our 50 ms polling).
      const afterTerm = await restartB();
      assert.ok(afterTerm <= 5_000, `D reconnected ${afterTerm} ms after B's started line (SIGTERM restart)`);

      const mark = d.stderr().length;
      await cluster.kill(b);
      await waitFor("D to lose B", async () => (await connectionsOf(d)) === 0);
      const afterKill = await restartB();
      assert.ok(afterKill <= 5_000, `D reconnected ${afterKill} ms after B's started line (kill -9 restart)`);
      const warnings = d.stderr().slice(mark).match(/cannot reach peer/g) ?? [];
      assert.ok(warnings.length <= 1, `${warnings.length} warnings for one outage:\n${d.stderr().slice(mark)}`);
      await assertServing(d, "D");
    });

    it("a fetch in flight when its only source is killed waits for the restarted source and completes with the exact bytes", async function () {
      this.timeout(90_000);
      const from = (await transferOf(d)).networkBlocks;
      const out = join(cluster.dir, "restart.out");
      const fetching = cluster.fetchCli(d, m, out, 20_000);
      await underWay(d, from);
      await cluster.kill(b);
      const atKill = (await transferOf(d)).networkBlocks - from;
      assert.ok(atKill < total, `the fetch was over (${atKill} of ${total} blocks) before the kill: nothing was tested`);
      await waitFor("D to lose B", async () => (await connectionsOf(d)) === 0);
      await restartB();
      const result = await fetching;
      assert.equal(result.code, 0, result.stderr);
      assertBytes(await readFile(out), model, "the model through D across B's restart");
      await assertServing(d, "D");
    });

    it("resume: R, killed (kill -9) mid-fetch and restarted on its data dir, fetches again the exact bytes, taking from the network only the blocks it lacked", async function () {
      this.timeout(90_000);
      let r = await cluster.start(dirR, { peers: [b.started.multiaddrs[0]!] });
      await waitFor("R to be connected to B", async () => (await connectionsOf(r)) === 1);
      const out = join(cluster.dir, "resume.out");
      const first = cluster.fetchCli(r, m, out, 20_000);
      await underWay(r, 0);
      await cluster.kill(r);
      const failed = await first;
      assert.notEqual(failed.code, 0, "the CLI fetch through a killed node cannot succeed");
      assert.deepEqual(await filesLike(cluster.dir, "resume.out"), [], "the killed run leaves neither the output nor a temp file");

      // What the killed R kept: every block it stored is a whole file in its blockstore.
      const blocks = [...(await dagBlocks(dirB, m.contentCid)), { cid: m.manifestCid, size: await blockSize(dirB, m.manifestCid), leaf: false }];
      const held = await Promise.all(blocks.map((block) => exists(blockPath(dirR, block.cid))));
      const present = blocks.filter((_, i) => held[i]);
      const missing = blocks.filter((_, i) => !held[i]);
      assert.ok(present.some((block) => block.leaf), "R had stored some leaves before the kill");
      assert.ok(missing.some((block) => block.leaf), "R was killed before it had every leaf: nothing was tested");
      for (const block of present) assert.equal(await blockSize(dirR, block.cid), block.size, `R's copy of ${block.cid} is whole`);

      r = await cluster.start(dirR, { peers: [b.started.multiaddrs[0]!] });
      await waitFor("the restarted R to be connected to B", async () => (await connectionsOf(r)) === 1);
      const second = await cluster.fetchCli(r, m, out, 20_000);
      assert.equal(second.code, 0, second.stderr);
      assertBytes(await readFile(out), model, "the model after resuming");
      assert.deepEqual(await filesLike(cluster.dir, "resume.out"), ["resume.out"], "only the output is left, no temp file");

      // The restarted R's totals are those of the second run alone.
      const transfer = await transferOf(r);
      assert.equal(transfer.networkBlocks, missing.length, `network blocks of the second run (${present.length} of ${blocks.length} were kept)`);
      assert.equal(transfer.networkBytes, sum(missing), "network bytes of the second run = the bytes of the blocks missing after the kill");
      assert.ok(transfer.localBlocks >= present.length, `${transfer.localBlocks} local block reads for ${present.length} blocks kept`);
      await assertServing(r, "the restarted R");
    });
  });
});
