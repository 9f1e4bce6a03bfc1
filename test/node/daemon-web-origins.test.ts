/** A started node (node/cli/daemon.ts) with a chain puts its custodians' registered endpoints into the web app's connect-src. */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createChainClient } from "../../node/chain/index.js";
import { startNode, type RunningNode } from "../../node/cli/daemon.js";
import { loadConfig } from "../../node/config.js";
import { startDevnet, type Devnet } from "../../scripts/lib/devnet.js";
import { identityAt, MIN_STAKE } from "./fixtures/custody.js";

describe("node start: the web app's connect-src follows the custodian registry", function () {
  this.timeout(120_000);
  let dir: string;
  let devnet: Devnet;
  let node: RunningNode;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mv-daemon-web-"));
    devnet = await startDevnet({ deploymentFile: join(dir, "deployment.json"), deploy: { custodianMinStake: MIN_STAKE } });
    const config = await loadConfig({
      flags: { dataDir: join(dir, "node"), apiHost: "127.0.0.1", apiPort: 0, listen: ["/ip4/127.0.0.1/tcp/0"], rpcUrl: devnet.chain.rpcUrl, deployment: devnet.deploymentFile, confirmations: 1 },
      env: {},
    });
    node = await startNode(config, identityAt(8), { onWarning: () => undefined });
  });

  after(async () => {
    await node?.stop();
    await devnet?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("allows a custodian's origin once it registers", async () => {
    const connectSrc = async () => /connect-src ([^;]*)/.exec((await fetch(`${node.api.url}/`)).headers.get("content-security-policy") ?? "")![1]!.split(" ");
    assert.deepEqual(await connectSrc(), ["'self'", new URL(devnet.chain.rpcUrl).origin]);
    const custodian = await createChainClient({ rpcUrl: devnet.chain.rpcUrl, deployment: devnet.deployment, account: identityAt(3).account, pollingIntervalMs: 50 });
    await custodian.registerCustodian(identityAt(3).publicKey, "http://127.0.0.1:7101", MIN_STAKE);
    await custodian.close();
    for (const started = Date.now(); !(await connectSrc()).includes("http://127.0.0.1:7101"); ) {
      assert.ok(Date.now() - started < 30_000, "the custodian's origin never showed up");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
});
