import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { encryptKeystore, saveKeystore } from "../../crypto/index.js";
import type { ChainClient } from "../../node/chain/index.js";
import { run } from "../../node/cli/index.js";
import { identityPath } from "../../node/cli/identity.js";
import { Auditor, AUDIT_JOURNAL, DAY_MS, type AuditAction } from "../../node/custody/auditor.js";
import { ChallengeResponder } from "../../node/custody/challenge-responder.js";
import { MemoryIo, TEST_SCRYPT_N } from "./fixtures/cli.js";
import { identityAt, MIN_STAKE } from "./fixtures/custody.js";
import { operatorWorld, RESPONSE_WINDOW, SLASH_BPS, type OperatorWorld } from "./fixtures/operator.js";

const kinds = (actions: AuditAction[]) => actions.map((a) => a.action);

describe("audit: random (model, custodian) challenges within a daily bond budget, reveal, slash the missed (Hardhat EVM, real custodians)", function () {
  this.timeout(120_000);
  let ow: OperatorWorld;
  let responder: ChallengeResponder;
  let auditorChain: ChainClient;
  let bond: bigint;
  let honest: `0x${string}`;
  let lazy: `0x${string}`;

  before(async () => {
    ow = await operatorWorld();
    const { world } = ow;
    const node = world.custodians[0]!;
    honest = node.identity.address;
    lazy = world.custodians[1]!.identity.address;
    responder = new ChallengeResponder({ chain: node.chain, peer: node.peer, onError: () => {} });
    await responder.start();
    // The second custodian deleted its blocks and went away.
    const gone = await world.stopCustodian(1);
    await rm(join(gone.dataDir, "blocks"), { recursive: true, force: true });
    auditorChain = (await world.actor(19)).chain;
    bond = await auditorChain.contracts.challenges.read.bond();
  });
  after(async () => {
    await responder?.stop();
    await ow?.close();
  });

  const mine = (blocks: number | bigint) => ow.world.connection.networkHelpers.mine(Number(blocks));
  async function until(what: string, done: () => Promise<boolean>, log?: () => string) {
    const deadline = Date.now() + 20_000;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${log === undefined ? "" : `\n${log()}`}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it("the custodian without its blocks is slashed after the window; the honest one answers and keeps its stake", async () => {
    const dataDir = await ow.world.dataDir();
    const logged: string[] = [];
    const auditor = await Auditor.open({ chain: auditorChain, dataDir, budgetPerDay: 2n * bond, pairs: 2, onAction: (a) => logged.push(a.message) });
    const opened = await auditor.round();
    assert.deepEqual(kinds(opened), ["challenged", "challenged"]);
    assert.deepEqual(new Set(opened.map((a) => a.custodian)), new Set([honest, lazy]));
    const ids = Object.fromEntries(opened.map((a) => [a.custodian!, BigInt(a.challengeId!)]));
    // The salts are in the journal before the reveal; nobody else knows the index yet.
    const journal = JSON.parse(await readFile(join(dataDir, AUDIT_JOURNAL), "utf8")) as { challenges: { salt: string }[] };
    assert.equal(journal.challenges.length, 2);
    assert.deepEqual(kinds(await auditor.advance()), [], "nothing to reveal before the seed block is mined");

    await mine(2);
    const revealed = await auditor.advance();
    assert.deepEqual(kinds(revealed), ["revealed", "revealed"]);
    await until("the honest custodian's answer", async () => (await auditorChain.challengeInfo(ids[honest]!))?.state === "answered");
    assert.deepEqual(kinds(await auditor.advance()), ["answered"], "the lazy one's window is still open");

    await mine(RESPONSE_WINDOW + 1n);
    const closed = await auditor.advance();
    assert.deepEqual(kinds(closed), ["slashed"]);
    assert.equal(closed[0]!.custodian, lazy);
    assert.equal(closed[0]!.amount, (MIN_STAKE * SLASH_BPS / 10_000n).toString());
    assert.equal((await auditorChain.custodianInfo(honest))?.stake, MIN_STAKE, "the honest custodian keeps its stake");
    assert.equal((await auditorChain.custodianInfo(lazy))?.stake, MIN_STAKE - MIN_STAKE * SLASH_BPS / 10_000n);
    assert.equal((await auditorChain.challengeInfo(ids[lazy]!))?.state, "slashed");
    assert.equal(auditor.openChallenges().length, 0);
    assert.equal(logged.length, 6, "one line per action");
    assert.match(logged.find((l) => l.includes("slashed"))!, new RegExp(`slashed ${lazy} on challenge ${ids[lazy]}`));
    assert.equal((await auditorChain.custodianInfo(lazy))?.openChallenges, 0);

    // The budget is spent for 24 hours, across restarts: the next round opens nothing.
    const again = await Auditor.open({ chain: auditorChain, dataDir, budgetPerDay: 2n * bond, pairs: 2 });
    assert.equal(again.spentToday(), 2n * bond);
    const refused = await again.round();
    assert.deepEqual(kinds(refused), ["budget"]);
    assert.equal(await auditorChain.contracts.challenges.read.challengeCount(), 2n);
    // A day later the budget is free again (an injected clock).
    const tomorrow = await Auditor.open({ chain: auditorChain, dataDir, budgetPerDay: 2n * bond, pairs: 1, now: () => Date.now() + DAY_MS + 60_000, randomInt: () => 0 });
    assert.equal(tomorrow.spentToday(), 0n);
    assert.deepEqual(kinds(await tomorrow.round()), ["challenged"]);
    await mine(2);
    assert.deepEqual(kinds(await tomorrow.advance()), ["revealed"]);
    await until("the answer", async () => (await tomorrow.advance()).some((a) => a.action === "answered"));
  });

  it("a restart between challenge and reveal still reveals; one broken challenge does not stop the others", async () => {
    const dataDir = await ow.world.dataDir();
    const first = await Auditor.open({ chain: auditorChain, dataDir, budgetPerDay: bond, pairs: 1, randomInt: () => 0 });
    const [opened] = await first.round();
    assert.equal(opened?.action, "challenged");
    assert.equal(opened.custodian, honest);
    // The process "dies" here; a challenge id the chain never had is added to its journal.
    const path = join(dataDir, AUDIT_JOURNAL);
    const journal = JSON.parse(await readFile(path, "utf8")) as { challenges: Record<string, unknown>[] };
    journal.challenges.unshift({ ...journal.challenges[0], challengeId: "9999", state: "committed" });
    await writeFile(path, JSON.stringify(journal));

    await mine(2);
    const restarted = await Auditor.open({ chain: auditorChain, dataDir, budgetPerDay: bond, pairs: 1 });
    const actions = await restarted.advance();
    assert.deepEqual(kinds(actions), ["error", "revealed"]);
    assert.match(actions[0]!.message, /challenge 9999/);
    assert.equal(actions[1]!.challengeId, opened.challengeId);
    await until("the answer", async () => (await auditorChain.challengeInfo(BigInt(opened.challengeId!)))?.state === "answered");
  });

  it("node start --audit challenges, reveals and logs each action as one line", async () => {
    const dataDir = await ow.world.dataDir();
    const identity = identityAt(20);
    await ow.world.connection.networkHelpers.setBalance(identity.address, 10n ** 19n);
    await saveKeystore(identityPath(dataDir), await encryptKeystore(identity.privateKey, "pw", { address: identity.address, scryptN: Number(TEST_SCRYPT_N) }));
    const stop = new AbortController();
    const io = new MemoryIo({ MODELVAULT_PASSWORD: "pw" }, stop.signal);
    const before = await auditorChain.contracts.challenges.read.challengeCount();
    const running = run([
      "node", "start", "--data-dir", dataDir, "--api-port", "0", "--listen", "/ip4/127.0.0.1/tcp/0", ...ow.chainArgs,
      "--audit", "--audit-budget", bond.toString(), "--audit-pairs", "2", "--audit-poll", "100", "--json",
    ], io);
    try {
      await until("a challenge", async () => io.err.includes('"action":"challenged"'), () => io.err);
      await mine(2);
      await until("the reveal", async () => io.err.includes('"action":"revealed"'));
      const lines = io.err.trim().split("\n").filter((l) => l.includes('"event":"audit"')).map((l) => JSON.parse(l) as AuditAction);
      // A budget of one bond: one challenge although two were asked for.
      assert.deepEqual(kinds(lines).filter((k) => k !== "answered"), ["challenged", "budget", "revealed"]);
      assert.equal(await auditorChain.contracts.challenges.read.challengeCount(), before + 1n);
      assert.equal(JSON.parse(io.out.split("\n")[0]!).audit, true);
    } finally {
      stop.abort();
      assert.equal(await running, 0, io.err);
    }
  });

  it("refuses --audit options without --audit, and --audit without a chain", async () => {
    const io = new MemoryIo({ MODELVAULT_PASSWORD: "pw" });
    assert.equal(await run(["node", "start", "--audit-budget", "1eth", "--data-dir", await ow.world.dataDir()], io), 2);
    assert.match(io.err, /go with --audit/);
    const bad = new MemoryIo({ MODELVAULT_PASSWORD: "pw" });
    assert.equal(await run(["node", "start", "--audit", "--audit-budget", "lots", "--data-dir", await ow.world.dataDir()], bad), 2);
    assert.match(bad.err, /--audit-budget is wei/);
    const chainless = new MemoryIo({ MODELVAULT_PASSWORD: "pw" });
    assert.equal(await run(["node", "start", "--audit", "--data-dir", await ow.world.dataDir()], chainless), 1);
    assert.match(chainless.err, /--audit needs a chain.*\[CONFIG_INVALID\]/);
  });
});
