import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";

const DEMO = fileURLToPath(new URL("../../scripts/demo.ts", import.meta.url));
const demoDirs = async () => (await readdir(tmpdir())).filter((name) => name.startsWith("modelvault-demo-"));

describe("e2e: npm run demo tells the whole story", function () {
  this.timeout(300_000);

  it("publish -> licence -> ticket -> k-of-n release -> fetch -> decrypt -> proof -> attestation, then cleans up", async () => {
    const before = await demoDirs();
    const child = spawn(process.execPath, ["--import", "tsx", DEMO], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (part: Buffer) => (output += part));
    child.stderr.on("data", (part: Buffer) => (output += part));
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 0, output);
    for (const line of [
      /local chain up, contracts deployed/,
      /three custodians registered on chain/,
      /owner published model 1: sealed, 2-of-3 key shares deposited, registered/,
      /key from 2 of 3 custodians/,
      /decrypted weights identical to the owner's file \(980 bytes\)/,
      /inference proof \(Groth16\) for \[6\.7,3,5\.2,2\.3\]: class virginica, verified off-chain/,
      /weights commitment attested well-formed by the owner \(gas \d+\)/,
      /inference attested on chain by the licensee \(gas \d+\)/,
    ]) {
      assert.match(output, line);
    }
    // Every step line carries its time; nothing is left behind.
    assert.ok(output.split("\n").filter((l) => /^\s+\d+\.\d s\s+\+\s*\d+ ms/.test(l)).length >= 8);
    assert.deepEqual(await demoDirs(), before);
  });
});
