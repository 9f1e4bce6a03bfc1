import assert from "node:assert/strict";
import { encryptKeystore, saveKeystore, type NodeIdentity } from "../../crypto/index.js";
import { run } from "../../node/cli/index.js";
import { identityPath } from "../../node/cli/identity.js";
import { ChallengeResponder } from "../../node/custody/challenge-responder.js";
import { MemoryIo } from "./fixtures/cli.js";
import { identityAt, MIN_STAKE } from "./fixtures/custody.js";
import { operatorWorld, UNBONDING_DELAY, type OperatorWorld } from "./fixtures/operator.js";

const PASSWORD = "operator password";

describe("CLI: custodian status, unbond, withdraw and audit once (Hardhat EVM over HTTP, real custodians)", function () {
  this.timeout(120_000);
  let ow: OperatorWorld;
  const homes = new Map<string, string>();

  before(async () => {
    ow = await operatorWorld();
  });
  after(() => ow?.close());

  /** A data dir whose keystore holds `identity`. */
  async function home(identity: NodeIdentity): Promise<string> {
    let dir = homes.get(identity.address);
    if (dir === undefined) {
      dir = await ow.world.dataDir();
      await saveKeystore(identityPath(dir), await encryptKeystore(identity.privateKey, PASSWORD, { address: identity.address, scryptN: 1024 }));
      homes.set(identity.address, dir);
    }
    return dir;
  }
  async function cli(args: string[], env: Record<string, string> = { MODELVAULT_PASSWORD: PASSWORD }) {
    const io = new MemoryIo(env);
    const code = await run([...args, ...ow.chainArgs], io);
    return { code, io };
  }
  async function ok<T = Record<string, unknown>>(args: string[], env?: Record<string, string>) {
    const { code, io } = await cli([...args, "--json"], env);
    assert.equal(code, 0, io.err);
    return io.json<T>();
  }
  async function refused(args: string[], code: string, exit = 1) {
    const { code: exitCode, io } = await cli([...args, "--json"]);
    assert.equal(exitCode, exit, io.err);
    assert.equal((JSON.parse(io.err) as { error: { code: string } }).error.code, code, io.err);
    return (JSON.parse(io.err) as { error: { message: string } }).error.message;
  }

  it("custodian status: stake, versions, shares from the node's API, challenges and revenue, without a password", async () => {
    const node = ow.world.custodians[0]!;
    const dir = await home(node.identity);
    // Sales revenue for the custodians: a licence is bought.
    await ow.world.licensee.chain.buy(ow.published.chainModelId);
    type Status = { account: string; registered: boolean; active: boolean; stake: string; unbondAt: null; shares: { count: number; manifests: string[] }; versions: { modelId: string; version: number; pendingRevenue: string }[]; challenges: { total: number }; revenue: { pendingSales: string } };
    const status = await ok<Status>(["custodian", "status", "--data-dir", dir, "--api", node.api.url], {});
    assert.equal(status.account, node.identity.address);
    assert.deepEqual([status.registered, status.active, status.stake, status.unbondAt], [true, true, MIN_STAKE.toString(), null]);
    assert.deepEqual(status.shares, { count: 1, manifests: [ow.published.manifestCid.toString()] });
    assert.deepEqual(status.versions.map((v) => [v.modelId, v.version]), [[ow.published.chainModelId.toString(), 1]]);
    // 20 % of the price for two custodians: 10 % each.
    assert.equal(status.revenue.pendingSales, (10n ** 15n / 10n).toString());
    assert.equal(status.challenges.total, 0);

    const other = await ok<Omit<Status, "shares"> & { shares: null; sharesError: string }>(["custodian", "status", "--account", identityAt(16).address, "--api", node.api.url], {});
    assert.deepEqual([other.registered, other.stake, other.versions, other.shares], [false, "0", [], null]);
    assert.match(other.sharesError, /not 0x/);
    const text = await cli(["custodian", "status", "--data-dir", dir, "--api", node.api.url], {});
    assert.equal(text.code, 0, text.io.err);
    assert.match(text.io.out, /registered\s+yes, active/);
    assert.match(text.io.out, /shares\s+1 held/);
    assert.equal((await cli(["custodian", "status", "--account", "0x123"])).code, 2);
  });

  it("custodian unbond and withdraw: the registry's delay, then the stake; typed refusals", async () => {
    const node = ow.world.custodians[1]!;
    const dir = await home(node.identity);
    await refused(["custodian", "withdraw", "--data-dir", dir], "NOTHING_TO_WITHDRAW");
    await refused(["custodian", "unbond", (MIN_STAKE + 1n).toString(), "--data-dir", dir], "AMOUNT_EXCEEDS_STAKE");
    await refused(["custodian", "unbond", "0", "--data-dir", dir], "USAGE", 2);
    await refused(["custodian", "unbond", "1eth", "--data-dir", await home(identityAt(16))], "NOT_A_CUSTODIAN");

    const unbond = await ok<{ amount: string; unbonding: string; stake: string; unbondAt: number; restarted: boolean; active: boolean }>(["custodian", "unbond", "0.01eth", "--data-dir", dir]);
    assert.deepEqual([unbond.amount, unbond.unbonding, unbond.restarted, unbond.active], [(10n ** 16n).toString(), (10n ** 16n).toString(), false, false]);
    assert.equal(unbond.stake, (MIN_STAKE - 10n ** 16n).toString());
    const message = await refused(["custodian", "withdraw", "--data-dir", dir], "STILL_UNBONDING");
    assert.match(message, new RegExp(`still bonding until ${new Date(unbond.unbondAt * 1000).toISOString().replace(".000Z", "Z")}`));
    const status = await ok<{ unbonding: string; unbondAt: number; withdrawable: boolean; active: boolean }>(["custodian", "status", "--data-dir", dir], {});
    assert.deepEqual([status.unbonding, status.unbondAt, status.withdrawable, status.active], [(10n ** 16n).toString(), unbond.unbondAt, false, false]);

    await ow.world.connection.networkHelpers.time.increase(Number(UNBONDING_DELAY) + 1);
    const withdrawn = await ok<{ stake: string; txHashes: string[]; stillUnbonding: null }>(["custodian", "withdraw", "--data-dir", dir]);
    assert.equal(withdrawn.stake, (10n ** 16n).toString());
    assert.equal(withdrawn.stillUnbonding, null);
    assert.equal((await node.chain.custodianInfo(node.identity.address))?.unbonding, 0n);
    await refused(["custodian", "withdraw", "--data-dir", dir], "NOTHING_TO_WITHDRAW");
    // Back above the minimum for the audit below.
    await node.chain.write("custodians", "addStake", [], { value: 10n ** 16n });
  });

  it("audit once: challenges within the budget, follows each to its end; the honest custodian answers, its bond is withdrawable", async () => {
    const node = ow.world.custodians[0]!;
    const responder = new ChallengeResponder({ chain: node.chain, peer: node.peer });
    await responder.start();
    // Hardhat mines only on transactions: a miner stands in for the chain's block time.
    const miner = setInterval(() => void ow.world.connection.networkHelpers.mine(1).catch(() => {}), 100);
    try {
      const auditor = await home(identityAt(17));
      const bond = await node.chain.contracts.challenges.read.bond();
      // Two pairs to challenge (asked for three), within a budget of two bonds; the second
      // custodian runs no responder (it never answers) and is slashed.
      type Summary = { budgetPerDay: string; spentToday: string; actions: { action: string; custodian?: string; amount?: string }[]; open: unknown[] };
      const summary = await ok<Summary>(["audit", "once", "--pairs", "3", "--budget", (2n * bond).toString(), "--poll", "50", "--data-dir", auditor]);
      const kinds = summary.actions.map((a) => a.action);
      assert.deepEqual(kinds.slice(0, 2), ["challenged", "challenged"]);
      assert.deepEqual(kinds.filter((k) => k === "revealed").length, 2);
      const outcome = (custodian: string) => summary.actions.find((a) => (a.action === "answered" || a.action === "slashed") && a.custodian === custodian)?.action;
      assert.equal(outcome(node.identity.address), "answered");
      assert.equal(outcome(ow.world.custodians[1]!.identity.address), "slashed");
      assert.deepEqual(summary.open, []);
      assert.equal(summary.spentToday, (2n * bond).toString());
      // The honest custodian earned its bond; the auditor gets its bond back and the reward.
      const earned = await ok<{ challengeBalance: string }>(["custodian", "withdraw", "--data-dir", await home(node.identity)]);
      assert.equal(earned.challengeBalance, bond.toString());
      const slashed = BigInt(summary.actions.find((a) => a.action === "slashed")!.amount!);
      const paid = await ok<{ stake: string; challengeBalance: string; registryBalance: string }>(["custodian", "withdraw", "--data-dir", auditor]);
      assert.deepEqual([paid.stake, paid.challengeBalance, paid.registryBalance], ["0", bond.toString(), (slashed / 2n).toString()]);
      type Record = { challenges: { total: number; answered: number; missed: number; lapsed: number; open: number; slashed: string; bondsEarned: string } };
      const lazy = await ok<Record>(["custodian", "status", "--account", ow.world.custodians[1]!.identity.address], {});
      assert.deepEqual(lazy.challenges, { total: 1, answered: 0, missed: 1, lapsed: 0, open: 0, slashed: slashed.toString(), bondsEarned: "0" });
      const good = await ok<Record>(["custodian", "status", "--account", node.identity.address], {});
      assert.deepEqual([good.challenges.answered, good.challenges.missed, good.challenges.bondsEarned], [1, 0, bond.toString()]);
      // Budget spent: the next pass opens nothing.
      const next = await ok<Summary>(["audit", "once", "--budget", bond.toString(), "--no-wait", "--data-dir", auditor]);
      assert.deepEqual(next.actions.map((a) => a.action), ["budget"]);
      await refused(["audit", "once", "--pairs", "x", "--data-dir", auditor], "USAGE", 2);
    } finally {
      clearInterval(miner);
      await responder.stop();
    }
  });
});
