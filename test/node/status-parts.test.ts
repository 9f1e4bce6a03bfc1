import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CachedRead, ReadTimeoutError } from "../../node/http/cached-read.js";
import { DiskUsage } from "../../node/storage/disk-usage.js";
import { TransferMeter } from "../../node/storage/transfer-meter.js";

describe("status parts: transfer meter, cached reads, disk usage", () => {
  it("TransferMeter: rates over the last 10 s and 60 s, totals by route, today's reset at 00:00 UTC", () => {
    let now = Date.parse("2026-12-01T23:58:00.000Z");
    const meter = new TransferMeter(() => now);
    meter.record("out", "bitswap", 6000);
    now += 30_000;
    meter.record("out", "gateway", 1000);
    meter.record("in", "bitswap", 500);
    meter.record("in", "gateway", 0); // nothing
    let s = meter.snapshot();
    assert.deepEqual(s.rates.out, { last10s: 100, last60s: 7000 / 60 });
    assert.deepEqual(s.rates.in, { last10s: 50, last60s: 500 / 60 });
    assert.deepEqual(s.today.out, { bitswap: 6000, gateway: 1000, total: 7000 });
    now += 31_000; // the first record is 61 s old now
    s = meter.snapshot();
    assert.deepEqual(s.rates.out, { last10s: 0, last60s: 1000 / 60 });
    now += 60_000; // past midnight
    meter.record("out", "bitswap", 10);
    s = meter.snapshot();
    assert.equal(s.day, "2026-12-02");
    assert.deepEqual(s.today.out, { bitswap: 10, gateway: 0, total: 10 });
    assert.deepEqual(s.sinceStart.out, { bitswap: 6010, gateway: 1000, total: 7010 });
    assert.deepEqual(s.rates.out, { last10s: 1, last60s: 10 / 60 });
  });

  it("CachedRead: one read for concurrent callers, reused for the TTL, failures too; a slow read answers with the last result", async () => {
    let calls = 0;
    let release: (() => void) | undefined;
    let fail = false;
    const read = new CachedRead(async () => {
      calls++;
      if (release !== undefined) await new Promise<void>((resolve) => (release = resolve));
      if (fail) throw new Error("rpc down");
      return calls;
    }, { ttlMs: 40, waitMs: 30 });
    const [a, b] = await Promise.all([read.get(), read.get()]);
    assert.deepEqual([a.ok && a.value, b.ok && b.value, calls], [1, 1, 1]);
    assert.equal((await read.get()).ok && calls, 1, "within the TTL");
    await new Promise((resolve) => setTimeout(resolve, 50));
    release = () => {};
    const stale = await read.get(); // the read hangs: the last value comes back after waitMs
    assert.deepEqual([stale.ok && stale.value, calls], [1, 2]);
    release();
    release = undefined;
    await new Promise((resolve) => setTimeout(resolve, 50));
    fail = true;
    const failed = await read.get();
    assert.equal(failed.ok, false);
    assert.equal(calls, 3);
    assert.equal((await read.get()).ok, false, "a failure is reused too");
    assert.equal(calls, 3);

    const never = new CachedRead(() => new Promise<number>(() => {}), { ttlMs: 1000, waitMs: 10 });
    const first = await never.get();
    assert.ok(!first.ok && first.error instanceof ReadTimeoutError);
  });

  it("DiskUsage: file sizes under blocks/ and datastore/, cached for the TTL", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mv-disk-"));
    try {
      await mkdir(join(dir, "blocks", "AB"), { recursive: true });
      await writeFile(join(dir, "blocks", "AB", "one"), Buffer.alloc(1000));
      await writeFile(join(dir, "blocks", "AB", "two"), Buffer.alloc(24));
      const usage = new DiskUsage(dir, { ttlMs: 60_000 });
      const first = await usage.snapshot();
      assert.deepEqual(first.blockstore, { bytes: 1024, files: 2 });
      assert.deepEqual(first.datastore, { bytes: 0, files: 0 }, "absent is empty");
      await writeFile(join(dir, "blocks", "AB", "three"), Buffer.alloc(5));
      assert.deepEqual((await usage.snapshot()).blockstore, { bytes: 1024, files: 2 }, "cached");
      const fresh = new DiskUsage(dir, { ttlMs: 0 });
      await fresh.snapshot();
      await fresh.snapshot(); // starts a background walk, answers the last one
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual((await fresh.snapshot()).blockstore, { bytes: 1029, files: 3 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
