import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { apiUrlOf, DEFAULT_BODY_LIMIT, loadConfig, type ConfigFlags } from "../../node/config.js";
import { ConfigError } from "../../node/errors.js";

describe("node config: defaults < file < env < flags", function () {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), "mv-config-"))));
  after(() => rm(dir, { recursive: true, force: true }));

  it("defaults bind to loopback and name no peers", async () => {
    const config = await loadConfig({ env: {} });
    assert.equal(config.dataDir, join(homedir(), ".modelvault"));
    assert.deepEqual(config.api, { host: "127.0.0.1", port: 5480, bodyLimit: DEFAULT_BODY_LIMIT });
    assert.deepEqual(config.listen, ["/ip4/127.0.0.1/tcp/4501"]);
    assert.deepEqual(config.peers, []);
    assert.equal(config.chain, undefined, "no chain unless one is configured");
    assert.equal(apiUrlOf(config), "http://127.0.0.1:5480");
  });

  it("reads <dataDir>/config.json, then environment, then flags", async () => {
    await writeFile(
      join(dir, "config.json"),
      JSON.stringify({ api: { port: 6000, bodyLimit: 1000 }, listen: ["/ip4/127.0.0.1/tcp/7000"], fetchTimeoutMs: 1234 }),
    );
    const fromFile = await loadConfig({ env: { MODELVAULT_DATA_DIR: dir } });
    assert.equal(fromFile.dataDir, dir);
    assert.deepEqual(fromFile.api, { host: "127.0.0.1", port: 6000, bodyLimit: 1000 });
    assert.deepEqual(fromFile.listen, ["/ip4/127.0.0.1/tcp/7000"]);
    assert.equal(fromFile.fetchTimeoutMs, 1234);

    const peer = "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWJR5QcN2uHW4GAUp3WHB6J2hgxUkM9pNFr5aWg41WJ4Q8";
    const env = { MODELVAULT_DATA_DIR: dir, MODELVAULT_API_PORT: "6001", MODELVAULT_PEERS: `${peer}, ${peer}`, MODELVAULT_LISTEN: "/ip4/127.0.0.1/tcp/0" };
    const fromEnv = await loadConfig({ env });
    assert.equal(fromEnv.api.port, 6001);
    assert.deepEqual(fromEnv.peers, [peer, peer]);
    assert.deepEqual(fromEnv.listen, ["/ip4/127.0.0.1/tcp/0"]);

    const fromFlags = await loadConfig({ env, flags: { apiPort: "0", apiHost: "::1", peers: [] } });
    assert.equal(fromFlags.api.port, 0);
    assert.equal(fromFlags.api.host, "::1");
    assert.equal(apiUrlOf(fromFlags), "http://[::1]:0");
    assert.deepEqual(fromFlags.peers, [], "an empty flag list still overrides");
  });

  it("an explicit --config file may move the data dir; a missing one is an error", async () => {
    const file = join(dir, "other.json");
    await writeFile(file, JSON.stringify({ dataDir: join(dir, "elsewhere") }));
    assert.equal((await loadConfig({ env: {}, flags: { config: file } })).dataDir, join(dir, "elsewhere"));
    await assert.rejects(loadConfig({ env: {}, flags: { config: join(dir, "nope.json") } }), /cannot read config file .*ENOENT/);
  });

  it("a bad value fails with ConfigError naming the field and its source", async () => {
    const bad = async (env: Record<string, string>, flags = {}, pattern: RegExp) => {
      await assert.rejects(loadConfig({ env: { MODELVAULT_DATA_DIR: join(dir, "empty"), ...env }, flags }), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.code, "CONFIG_INVALID");
        assert.match(error.message, pattern);
        return true;
      });
    };
    await bad({ MODELVAULT_API_PORT: "70000" }, {}, /api\.port \(from environment\)/);
    await bad({ MODELVAULT_API_PORT: "12abc" }, {}, /api\.port \(from environment\)/);
    await bad({ MODELVAULT_PEERS: "/ip4/1.2.3.4/nope" }, {}, /peers \(from environment\).*multiaddr/);
    await bad({}, { fetchTimeoutMs: "0" }, /fetchTimeoutMs \(from command line\)/);
    const file = join(dir, "bad.json");
    await writeFile(file, JSON.stringify({ api: { port: "5480" } }));
    await bad({}, { config: file }, /api\.port \(from .*bad\.json\)/);
    await writeFile(file, JSON.stringify({ apiPort: 1 }));
    await bad({}, { config: file }, /Unrecognized key/);
    await writeFile(file, "{ not json");
    await bad({}, { config: file }, /not valid JSON/);
  });

  it("a chain section: file < MODELVAULT_RPC_URL/DEPLOYMENT/CONFIRMATIONS < flags", async () => {
    const home = join(dir, "chain");
    const file = join(dir, "chain.json");
    await writeFile(file, JSON.stringify({ dataDir: home, chain: { rpcUrl: "http://127.0.0.1:8545", deployment: "deployments/31337.json" } }));
    const fromFile = await loadConfig({ env: {}, flags: { config: file } });
    assert.deepEqual(fromFile.chain, { rpcUrl: "http://127.0.0.1:8545", deployment: resolve("deployments/31337.json"), confirmations: 1 });

    const env = { MODELVAULT_RPC_URL: "wss://rpc.example.org/v3/key", MODELVAULT_CONFIRMATIONS: "12", MODELVAULT_DEPLOYMENT: join(dir, "d.json") };
    const fromEnv = await loadConfig({ env, flags: { config: file } });
    assert.deepEqual(fromEnv.chain, { rpcUrl: "wss://rpc.example.org/v3/key", deployment: join(dir, "d.json"), confirmations: 12 });

    const fromFlags = await loadConfig({ env, flags: { config: file, rpcUrl: "https://rpc.example.org", confirmations: "0", deployment: "x.json" } });
    assert.deepEqual(fromFlags.chain, { rpcUrl: "https://rpc.example.org", deployment: resolve("x.json"), confirmations: 0 });

    // The RPC URL alone is enough: the deployment defaults to the repo's deployments/<chainId>.json.
    const urlOnly = await loadConfig({ env: { MODELVAULT_DATA_DIR: join(dir, "empty"), MODELVAULT_RPC_URL: "http://127.0.0.1:8545" } });
    assert.deepEqual(urlOnly.chain, { rpcUrl: "http://127.0.0.1:8545", confirmations: 1 });
  });

  it("a bad chain value fails with ConfigError naming the field and its source, never the URL", async () => {
    const bad = async (env: Record<string, string>, flags: ConfigFlags, pattern: RegExp) => {
      await assert.rejects(loadConfig({ env: { MODELVAULT_DATA_DIR: join(dir, "empty"), ...env }, flags }), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, pattern);
        assert.ok(!error.message.includes("hunter2"), "no secret in the message");
        return true;
      });
    };
    const rpc = { MODELVAULT_RPC_URL: "http://127.0.0.1:8545" };
    await bad({ ...rpc, MODELVAULT_CONFIRMATIONS: "65" }, {}, /chain\.confirmations \(from environment\)/);
    await bad({ ...rpc, MODELVAULT_CONFIRMATIONS: "3x" }, {}, /chain\.confirmations \(from environment\)/);
    await bad(rpc, { confirmations: -1 }, /chain\.confirmations \(from command line\)/);
    await bad({}, { rpcUrl: "ftp://user:hunter2@example.org" }, /chain\.rpcUrl \(from command line\): must be an http\(s\) or ws\(s\) URL/);
    await bad({ MODELVAULT_RPC_URL: "not a url hunter2" }, {}, /chain\.rpcUrl \(from environment\)/);
    await bad({ MODELVAULT_CONFIRMATIONS: "3" }, {}, /chain\.rpcUrl: required by chain\.confirmations \(from environment\)/);
    const file = join(dir, "bad-chain.json");
    await writeFile(file, JSON.stringify({ chain: { rpcUrl: "http://127.0.0.1:8545", confirmations: "1" } }));
    await bad({}, { config: file }, /chain\.confirmations \(from .*bad-chain\.json\)/);
    await writeFile(file, JSON.stringify({ chain: { rpc: "http://127.0.0.1:8545" } }));
    await bad({}, { config: file }, /Unrecognized key/);
  });
});
