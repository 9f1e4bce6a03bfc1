import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PtauError, resolvePtau } from "../../zkp/ptau.js";

describe("zkp powers of tau", () => {
  const saved = { cache: process.env.MODELVAULT_PTAU_CACHE, ptau: process.env.MODELVAULT_PTAU };
  let dir: string;
  const restore = (k: string, v: string | undefined) => (v === undefined ? delete process.env[k] : (process.env[k] = v));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ptau-"));
    process.env.MODELVAULT_PTAU_CACHE = dir;
    delete process.env.MODELVAULT_PTAU;
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    restore("MODELVAULT_PTAU_CACHE", saved.cache);
    restore("MODELVAULT_PTAU", saved.ptau);
  });

  it("uses the smallest cached dev ptau that is big enough, marked insecure", async () => {
    for (const p of [10, 14, 16]) writeFileSync(join(dir, `pot${p}_dev.ptau`), "x");
    const choice = await resolvePtau(12, undefined, { quiet: true });
    assert.deepEqual(choice, { path: join(dir, "pot14_dev.ptau"), insecure: true, power: 14 });
  });

  it("prefers a ceremony file given by argument, then by MODELVAULT_PTAU", async () => {
    const ceremony = join(dir, "ceremony.ptau");
    writeFileSync(ceremony, "x");
    assert.deepEqual(await resolvePtau(20, ceremony), { path: ceremony, insecure: false, power: undefined });
    process.env.MODELVAULT_PTAU = ceremony;
    assert.equal((await resolvePtau(20)).insecure, false);
  });

  it("with makeDevPtau false, refuses to make a dev ptau and names the power and the cache", async () => {
    writeFileSync(join(dir, "pot14_dev.ptau"), "x");
    assert.equal((await resolvePtau(14, undefined, { quiet: true, makeDevPtau: false })).power, 14);
    await assert.rejects(
      resolvePtau(15, undefined, { quiet: true, makeDevPtau: false }),
      (e: unknown) => e instanceof PtauError && e.message.includes("2^15") && e.message.includes(dir),
    );
    assert.deepEqual(readdirSync(dir), ["pot14_dev.ptau"], "nothing made");
  });

  it("rejects a ceremony path that does not exist", async () => {
    await assert.rejects(resolvePtau(12, join(dir, "missing.ptau")), PtauError);
  });
});
