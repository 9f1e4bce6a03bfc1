import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const START = fileURLToPath(new URL("../../scripts/start.ts", import.meta.url));

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("e2e: npm start", function () {
  this.timeout(240_000);

  it("starts a chain and a custodian node, serves, and Ctrl-C leaves nothing running", async () => {
    for (const port of [8545, 5480, 4501]) assert.equal(await listening(port), false, `port ${port} is free before`);
    const dataDir = await mkdtemp(join(tmpdir(), "mv-start-"));
    try {
      const child = spawn(process.execPath, ["--import", "tsx", START], {
        env: { ...process.env, MODELVAULT_DATA_DIR: dataDir, MODELVAULT_PASSWORD: "start test" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stderr.on("data", (part: Buffer) => (output += part));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`npm start did not come up: ${output}`)), 200_000);
        child.stdout.on("data", (part: Buffer) => {
          output += part;
          if (output.includes("data dir")) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once("exit", (code) => {
          clearTimeout(timer);
          reject(new Error(`npm start exited with ${code}: ${output}`));
        });
      });
      assert.match(output, /API\s+http:\/\/127\.0\.0\.1:5480/);
      assert.match(output, /peer\s+\/ip4\/127\.0\.0\.1\/tcp\/4501\/p2p\/12D3KooW/);
      assert.match(output, /\(registered custodian\)/);
      assert.match(output, /chain\s+http:\/\/127\.0\.0\.1:8545 \(chain id 31337\)/);
      const shares = (await (await fetch("http://127.0.0.1:5480/v1/custody/shares")).json()) as { custodian: string; shares: unknown[] };
      assert.deepEqual(shares.shares, []);
      assert.match(shares.custodian, /^0x[0-9a-fA-F]{40}$/);

      child.kill("SIGINT");
      const [code] = (await once(child, "exit")) as [number | null];
      assert.equal(code, 0, output);
      assert.match(output, /stopped/);
      for (const port of [8545, 5480, 4501]) assert.equal(await listening(port), false, `port ${port} is free after`);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
