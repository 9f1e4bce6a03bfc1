import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, createWalletClient, http, numberToHex, type Address } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { modelVaultAbi } from "../../contracts/abi/index.js";
import { deploySuite } from "../../scripts/deploy-suite.js";
import { assertBytes } from "../helpers/bytes.js";
import { startHardhatNode, type HardhatNode } from "../../scripts/lib/hardhat-node.js";
import { TEST_SCRYPT_N } from "../node/fixtures/cli.js";
import { ProcessFixture, type Daemon } from "../../scripts/lib/processes.js";

const LOOPBACK = "/ip4/127.0.0.1/tcp/0";
const MNEMONIC = "test test test test test test test test test test test junk";

describe("e2e: owner, three custodians and a licensee as separate processes on a hardhat node", function () {
  this.timeout(240_000);
  const fixture = new ProcessFixture({ MODELVAULT_PASSWORD: "e2e password" });
  let dir: string;
  let chain: HardhatNode;
  let chainArgs: string[];
  const daemons: Record<string, Daemon> = {};
  const model = randomBytes(400_000);
  let modelId: string;
  let firstManifestCid: string;
  let deploymentAddress: Address;

  async function init(name: string): Promise<string> {
    const dataDir = join(dir, name);
    const result = await fixture.run(["node", "init", "--data-dir", dataDir, "--scrypt-n", TEST_SCRYPT_N, "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const { address } = JSON.parse(result.stdout) as { address: Address };
    // Fund the fresh account from nothing: hardhat_setBalance, as a faucet would.
    const client = createPublicClient({ transport: http(chain.rpcUrl) });
    await client.request({ method: "hardhat_setBalance" as never, params: [address, numberToHex(10n ** 19n)] as never });
    return dataDir;
  }

  async function start(name: string, peers: string[] = []): Promise<Daemon> {
    const dataDir = await init(name);
    const daemon = await fixture.start(["--data-dir", dataDir, "--api-port", "0", "--listen", LOOPBACK, ...chainArgs, ...peers.flatMap((p) => ["--peer", p])]);
    daemons[name] = daemon;
    return daemon;
  }

  async function cli(args: string[]) {
    const result = await fixture.run(args);
    assert.equal(result.code, 0, `modelvault ${args.join(" ")}\n${result.stderr}`);
    return JSON.parse(result.stdout.trim().split("\n").pop()!) as Record<string, unknown>;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mv-e2e-"));
    chain = await startHardhatNode();
    const deployer = mnemonicToAccount(MNEMONIC);
    const transport = http(chain.rpcUrl);
    const deployment = await deploySuite(
      createWalletClient({ account: deployer, chain: hardhat, transport }),
      createPublicClient({ chain: hardhat, transport }),
      { custodianMinStake: 10n ** 17n },
    );
    const deploymentFile = join(dir, "deployment.json");
    await writeFile(deploymentFile, JSON.stringify(deployment));
    chainArgs = ["--rpc-url", chain.rpcUrl, "--deployment", deploymentFile];
    deploymentAddress = deployment.contracts.ModelVault;

    const owner = await start("owner");
    const ownerPeer = owner.started.multiaddrs[0]!;
    for (const name of ["c1", "c2", "c3"]) {
      const custodian = await start(name, [ownerPeer]);
      const registered = await cli(["custodian", "register", "--data-dir", join(dir, name), "--stake", "0.1eth", "--endpoint", custodian.started.api, ...chainArgs, "--json"]);
      assert.equal(registered.custodian, custodian.started.address);
    }
    await start("licensee", [ownerPeer]);
  });

  after(async () => {
    await fixture.cleanup();
    await chain?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("publish --register: shares deposited with all three custodians, then the model is on chain", async () => {
    const file = join(dir, "model.bin");
    await writeFile(file, model);
    const custodians = ["c1", "c2", "c3"].map((n) => daemons[n]!.started.address).join(",");
    const published = await cli([
      "publish", file, "--api", daemons.owner!.started.api, "--register", "--custodians", custodians, "--threshold", "2",
      "--price", "1000", "--segment-size", String(64 * 1024 - 16), "--json",
    ]);
    modelId = published.modelId as string;
    firstManifestCid = published.manifestCid as string;
    assert.equal(modelId, "1");
    assert.equal(published.version, 1);
    for (const name of ["c1", "c2", "c3"]) {
      const response = await fetch(`${daemons[name]!.started.api}/v1/custody/shares`);
      const { shares } = (await response.json()) as { shares: { manifestCid: string }[] };
      assert.deepEqual(shares.map((s) => s.manifestCid), [published.manifestCid]);
    }
  });

  it("access --buy: licence, ticket, 2 of 3 shares, fetch through the licensee's node, decrypt", async () => {
    const out = join(dir, "accessed.bin");
    const accessed = await cli(["access", modelId, "-o", out, "--buy", "--api", daemons.licensee!.started.api, "--data-dir", join(dir, "licensee"), ...chainArgs, "--json"]);
    assert.equal(accessed.bytes, model.length);
    assertBytes(await readFile(out), model, "accessed model");
  });

  it("kill -9 of the owner during publish --register, restart: one model, publishing again is idempotent", async () => {
    const vault = createPublicClient({ transport: http(chain.rpcUrl) });
    const modelCount = () =>
      vault.readContract({ address: deploymentAddress, abi: modelVaultAbi, functionName: "modelCount" });
    const before = await modelCount();
    const file = join(dir, "big-model.bin");
    const bigModel = randomBytes(8 * 1024 * 1024);
    await writeFile(file, bigModel);
    const custodians = ["c1", "c2", "c3"].map((n) => daemons[n]!.started.address).join(",");
    const publishArgs = (api: string) => [
      "publish", file, "--api", api, "--register", "--custodians", custodians, "--threshold", "2", "--price", "1000", "--json",
    ];
    const interrupted = fixture.run(publishArgs(daemons.owner!.started.api));
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(await daemons.owner!.stop("SIGKILL"), null);
    assert.notEqual((await interrupted).code, 0, "the interrupted publish reports a failure");
    const afterKill = await modelCount();
    assert.ok(afterKill === before || afterKill === before + 1n, "at most the one model, never half of one");

    // Restart the owner on its data dir; custodians reach its new address through the deposit.
    daemons.owner = await fixture.start(["--data-dir", join(dir, "owner"), "--api-port", "0", "--listen", LOOPBACK, ...chainArgs]);
    // What the owner acknowledged before the crash is still there.
    const pins = (await (await fetch(`${daemons.owner.started.api}/v1/pins`)).json()) as { pins: { cid: string }[] };
    assert.ok(pins.pins.some((p) => p.cid === firstManifestCid), "the model published before the crash is still pinned");
    const retried = await cli(publishArgs(daemons.owner.started.api));
    assert.equal(await modelCount(), before + 1n, "exactly one model registered after the retry");
    const again = await cli(publishArgs(daemons.owner.started.api));
    assert.equal(again.replayed, true);
    assert.equal(again.modelId, retried.modelId);
    assert.equal(await modelCount(), before + 1n, "a second retry registers nothing");

    const out = join(dir, "big-accessed.bin");
    await cli(["access", String(retried.modelId), "-o", out, "--buy", "--api", daemons.licensee!.started.api, "--data-dir", join(dir, "licensee"), ...chainArgs, "--json"]);
    assertBytes(await readFile(out), bigModel, "the model published after the crash");
  });

  it("kill -9 of one custodian: access still works; of two: a clear error naming them", async () => {
    assert.equal(await daemons.c1!.stop("SIGKILL"), null);
    const out = join(dir, "after-kill.bin");
    await cli(["access", modelId, "-o", out, "--api", daemons.licensee!.started.api, "--data-dir", join(dir, "licensee"), ...chainArgs, "--custodian-timeout", "3000", "--json"]);
    assertBytes(await readFile(out), model, "model with one custodian down");

    await daemons.c2!.stop("SIGKILL");
    const failed = await fixture.run(["access", modelId, "-o", join(dir, "never.bin"), "--api", daemons.licensee!.started.api, "--data-dir", join(dir, "licensee"), ...chainArgs, "--custodian-timeout", "3000"]);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /1 of the 2 shares needed were released/);
    assert.match(failed.stderr, /CUSTODIAN_UNAVAILABLE/);
    assert.match(failed.stderr, /\[NOT_ENOUGH_SHARES\]/);
  });

  it("RPC down: clear errors, the nodes keep running and say so", async () => {
    await chain.stop();
    const health = async (name: string) => (await fetch(`${daemons[name]!.started.api}/health`)).status;
    // Followers poll every second: let them fail a few times.
    await new Promise((r) => setTimeout(r, 3_000));
    for (const name of ["owner", "c3", "licensee"]) {
      assert.equal(await health(name), 200, `${name} still serves`);
      assert.equal(daemons[name]!.child.exitCode, null, `${name} still runs`);
    }
    assert.match(daemons.c3!.stderr(), /warning: chain: .*unavailable/i, "the custodian reports the outage");

    const failed = await fixture.run(["access", modelId, "-o", join(dir, "no-chain.bin"), "--api", daemons.licensee!.started.api, "--data-dir", join(dir, "licensee"), ...chainArgs]);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /^modelvault: chain RPC http:\/\/127\.0\.0\.1:\d+ is unavailable: .*\[CHAIN_UNAVAILABLE\]\n$/);

    const file = join(dir, "model.bin");
    const custodians = ["c1", "c2", "c3"].map((n) => daemons[n]!.started.address).join(",");
    const publish = await fixture.run(["publish", file, "--api", daemons.owner!.started.api, "--register", "--custodians", custodians, "--threshold", "2", "--json"]);
    assert.equal(publish.code, 1);
    assert.equal((JSON.parse(publish.stderr) as { error: { code: string } }).error.code, "CHAIN_UNAVAILABLE");
  });
});

