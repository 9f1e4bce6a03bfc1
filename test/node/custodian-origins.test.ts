/** The web app's connect-src follows the custodians' registered endpoints (node/http/custodian-origins.ts). */
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { network } from "hardhat";
import { custom } from "viem";
import { createChainClient, type ChainClient } from "../../node/chain/index.js";
import { followCustodianOrigins } from "../../node/http/custodian-origins.js";
import { startApi, type RunningApi } from "../../node/http/server.js";
import { deploySuite } from "../../scripts/deploy-suite.js";
import { identityAt, MIN_STAKE } from "./fixtures/custody.js";
import { PeerFixture } from "./helpers.js";

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  for (const start = Date.now(); !(await check()); ) {
    if (Date.now() - start > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("node: the web app's connect-src lists the custodians' endpoints", function () {
  this.timeout(60_000);
  const peers = new PeerFixture();
  let connection: Awaited<ReturnType<typeof network.create>>;
  let clients: (index: number) => Promise<ChainClient>;
  const stops: (() => Promise<unknown>)[] = [];

  before(async () => {
    connection = await network.create();
    const publicClient = await connection.viem.getPublicClient();
    const [deployer] = await connection.viem.getWalletClients();
    const deployment = await deploySuite(deployer!, publicClient, { custodianMinStake: MIN_STAKE });
    clients = (index) => createChainClient({ transport: custom(connection.provider, { retryCount: 0 }), deployment, account: identityAt(index).account, pollingIntervalMs: 20 });
  });

  after(async () => {
    for (const stop of stops.reverse()) await stop();
    await connection?.close();
    await peers.cleanup();
  });

  const connectSrc = async (api: RunningApi) => {
    const csp = (await fetch(`${api.url}/`)).headers.get("content-security-policy") ?? "";
    return /connect-src ([^;]*)/.exec(csp)![1]!.split(" ");
  };

  it("adds a custodian within a poll of its registration, follows an endpoint update, and ignores non-http endpoints", async () => {
    const reader = await clients(9);
    const errors: Error[] = [];
    const origins = followCustodianOrigins(reader, { onError: (error) => errors.push(error) });
    stops.push(() => origins.stop());
    const appDir = await peers.dataDir();
    await mkdir(join(appDir, "assets"));
    await writeFile(join(appDir, "index.html"), "<!doctype html>");
    const api = await startApi({ peer: await peers.start(), identity: identityAt(9), host: "127.0.0.1", port: 0, web: { appDir, rpcUrl: "http://127.0.0.1:8545", connectSources: async () => origins.origins() } });
    stops.push(() => api.close());
    assert.deepEqual(await connectSrc(api), ["'self'", "http://127.0.0.1:8545"]);

    const first = await clients(3);
    await first.registerCustodian(identityAt(3).publicKey, "http://127.0.0.1:7001/custody/", MIN_STAKE);
    await until(async () => (await connectSrc(api)).includes("http://127.0.0.1:7001"), "the first custodian's origin");
    const second = await clients(4);
    await second.registerCustodian(identityAt(4).publicKey, "https://custodian.example.org:8443", MIN_STAKE);
    await until(() => origins.origins().length === 2, "the second custodian");
    assert.deepEqual(await connectSrc(api), ["'self'", "http://127.0.0.1:8545", "http://127.0.0.1:7001", "https://custodian.example.org:8443"]);

    // The first moves: its old origin is no longer allowed.
    await first.updateCustodianProfile(identityAt(3).publicKey, "http://127.0.0.1:7002");
    await until(() => origins.origins().includes("http://127.0.0.1:7002"), "the update");
    assert.deepEqual(origins.origins().sort(), ["http://127.0.0.1:7002", "https://custodian.example.org:8443"]);
    // An endpoint a page could never call (not http(s)) is not listed at all.
    await second.updateCustodianProfile(identityAt(4).publicKey, "ftp://custodian.example.org");
    await until(() => origins.origins().length === 1, "the non-http update");
    assert.deepEqual(await connectSrc(api), ["'self'", "http://127.0.0.1:8545", "http://127.0.0.1:7002"]);
    assert.deepEqual(errors, []);
  });

  it("is bounded: beyond `max` custodians, new ones are left out and reported once", async () => {
    const errors: Error[] = [];
    const origins = followCustodianOrigins(await clients(9), { max: 1, onError: (error) => errors.push(error) });
    stops.push(() => origins.stop());
    // Accounts 3 and 4 registered in the test above: the follower replays them from the deployment block.
    await until(() => errors.length > 0, "the bound's report");
    assert.equal(origins.origins().length, 1);
    assert.match(errors[0]!.message, /more than 1 custodians/);
    const third = await clients(5);
    await third.registerCustodian(identityAt(5).publicKey, "http://127.0.0.1:7003", MIN_STAKE);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(origins.origins().length, 1);
    assert.equal(errors.length, 1);
  });
});
