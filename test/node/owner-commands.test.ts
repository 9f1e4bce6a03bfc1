import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { join } from "node:path";
import { bytesToHex, type Address, type Hex } from "viem";
import { encryptKeystore, generateKeyPair, saveKeystore, type NodeIdentity } from "../../crypto/index.js";
import { ChainRevertError, type Terms } from "../../node/chain/index.js";
import { run } from "../../node/cli/index.js";
import { identityPath } from "../../node/cli/identity.js";
import { PublishJournal } from "../../node/custody/publish-journal.js";
import { startApi, type RunningApi } from "../../node/http/server.js";
import { MemoryIo } from "./fixtures/cli.js";
import { CustodyWorld, identityAt } from "./fixtures/custody.js";
import { rpcBridge } from "./fixtures/rpc-bridge.js";

const PASSWORD = "owner-commands-test";
const FREE: Terms = { price: 0n, duration: 0, maxUses: 0, minStake: 0n, carryOver: false };


interface Run {
  code: number;
  io: MemoryIo;
  json: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  error: { code: string; message: string } | undefined;
}

describe("owner and licensee commands: terms, pause, retire, transfer, grant/revoke, earnings, withdraw, stake (CLI on Hardhat's EVM)", function () {
  this.timeout(180_000);
  let world: CustodyWorld;
  let rpc: { url: string; server: Server };
  let deploymentFile: string;
  const dirs = new Map<string, string>();
  const people: Record<"owner" | "licensee" | "stranger" | "heir", NodeIdentity> = {
    owner: identityAt(1), licensee: identityAt(2), stranger: identityAt(10), heir: identityAt(11),
  };

  before(async () => {
    world = await CustodyWorld.create({ custodians: 2 });
    rpc = await rpcBridge(world.connection.provider);
    deploymentFile = join(await world.dataDir(), "deployment.json");
    await writeFile(deploymentFile, JSON.stringify(world.deployment));
    for (const [name, identity] of Object.entries(people)) {
      const dir = await world.dataDir();
      await saveKeystore(identityPath(dir), await encryptKeystore(identity.privateKey, PASSWORD, { address: identity.address, scryptN: 1024 }));
      dirs.set(name, dir);
    }
  });
  after(async () => {
    await new Promise((closed) => rpc?.server.close(closed));
    await world?.cleanup();
  });

  /** Runs the CLI as `who` (its keystore and data dir) against the chain, with --json. */
  async function cli(who: keyof typeof people | "nobody", args: string[], env: Record<string, string> = { MODELVAULT_PASSWORD: PASSWORD }): Promise<Run> {
    const io = new MemoryIo(env);
    const dataDir = who === "nobody" ? await world.dataDir() : dirs.get(who)!;
    const code = await run([...args, "--rpc-url", rpc.url, "--deployment", deploymentFile, "--data-dir", dataDir, "--json"], io);
    const json = code === 0 ? io.json() : {};
    const error = code === 0 ? undefined : (JSON.parse(io.err.trim().split("\n").pop()!) as { error: { code: string; message: string } }).error;
    return { code, io, json, error };
  }
  const ok = async (who: keyof typeof people, args: string[]) => {
    const result = await cli(who, args);
    assert.equal(result.code, 0, result.io.err);
    assert.match(String(result.json.txHash ?? "0x" + "0".repeat(64)), /^0x[0-9a-f]{64}$/);
    return result.json;
  };
  const refused = async (who: keyof typeof people | "nobody", args: string[], exit: number, code: string, message?: RegExp) => {
    const result = await cli(who, args);
    assert.equal(result.code, exit, `${args.join(" ")}: ${result.io.err}`);
    assert.equal(result.error?.code, code, result.io.err);
    if (message !== undefined) assert.match(result.error!.message, message);
    assert.doesNotMatch(result.io.err, /\n\s+at /, "no stack trace");
    return result.error!;
  };

  async function registerModel(terms: Terms = FREE): Promise<string> {
    const { modelId } = await world.owner.chain.registerModel(
      {
        manifestCid: `bafy-owner-commands-${bytesToHex(randomBytes(4))}`, weightsCommitment: 0n, ownerCommitment: 0n,
        storageRoot: bytesToHex(randomBytes(32)), segmentCount: 1, custodians: world.custodianAddresses, threshold: 2,
      },
      terms,
    );
    return modelId.toString();
  }
  const chainTime = async () => Number((await world.owner.chain.publicClient.getBlock()).timestamp);

  it("model terms: changes only the options given, visible in reads; without options it shows them with no keystore", async () => {
    const id = await registerModel({ ...FREE, price: 10n ** 15n, duration: 3600 });
    const changed = await ok("owner", ["model", "terms", id, "--price", "0.01eth", "--max-uses", "3"]);
    assert.deepEqual(changed.terms, { price: (10n ** 16n).toString(), duration: 3600, maxUses: 3, minStake: "0", carryOver: false });
    assert.equal(changed.previous.price, (10n ** 15n).toString());
    assert.deepEqual(await world.licensee.chain.terms(BigInt(id)), { price: 10n ** 16n, duration: 3600, maxUses: 3, minStake: 0n, carryOver: false });

    assert.equal((await ok("owner", ["model", "terms", id, "--carry-over", "--duration", "30d", "--min-stake", "1000"])).terms.carryOver, true);
    assert.deepEqual(await world.licensee.chain.terms(BigInt(id)), { price: 10n ** 16n, duration: 30 * 86_400, maxUses: 3, minStake: 1000n, carryOver: true });
    assert.equal((await ok("owner", ["model", "terms", id, "--no-carry-over"])).terms.carryOver, false);
    const same = await ok("owner", ["model", "terms", id, "--max-uses", "3"]);
    assert.deepEqual([same.changed, same.txHash], [false, null], "no transaction when nothing changes");

    // A read: no password, no keystore.
    const shown = await cli("nobody", ["model", "terms", id], {});
    assert.equal(shown.code, 0, shown.io.err);
    assert.deepEqual(shown.json.terms, { price: (10n ** 16n).toString(), duration: 30 * 86_400, maxUses: 3, minStake: "1000", carryOver: false });

    await refused("stranger", ["model", "terms", id, "--price", "1"], 1, "NOT_OWNER", new RegExp(`owned by ${people.owner.address}`));
    await refused("owner", ["model", "terms", "999", "--price", "1"], 2, "UNKNOWN_MODEL", /model 999 is not registered/);
    await refused("nobody", ["model", "terms", "999"], 2, "UNKNOWN_MODEL");
    for (const bad of [["--price", "abc"], ["--price", "0.5"], ["--price", "1.5wei"], ["--duration", "-1"], ["--duration", "5y"], ["--max-uses", String(2 ** 32)], ["--min-stake", "100000000000eth"]]) {
      await refused("owner", ["model", "terms", id, ...bad], 2, "USAGE");
    }
    await refused("owner", ["model", "terms", "0", "--price", "1"], 2, "USAGE");
  });

  it("pause blocks buying and unpause restores it; each refuses the state it is already in", async () => {
    const id = await registerModel({ ...FREE, price: 1000n });
    assert.equal((await ok("owner", ["model", "pause", id])).status, "paused");
    assert.equal((await world.licensee.chain.modelState(BigInt(id)))?.status, "paused");
    await assert.rejects(world.licensee.chain.buy(BigInt(id)), (e: unknown) => e instanceof ChainRevertError && e.errorName === "ModelNotForSale");
    await refused("owner", ["model", "pause", id], 1, "INVALID_STATUS", /already paused/);
    await refused("stranger", ["model", "unpause", id], 1, "NOT_OWNER");
    assert.equal((await ok("owner", ["model", "unpause", id])).status, "active");
    await refused("owner", ["model", "unpause", id], 1, "INVALID_STATUS", /not paused/);
    const bought = await world.licensee.chain.buy(BigInt(id));
    assert.equal(bought.price, 1000n);
    // Without --json: the new state and the transaction, one per line.
    const text = new MemoryIo({ MODELVAULT_PASSWORD: PASSWORD });
    assert.equal(await run(["model", "pause", id, "--rpc-url", rpc.url, "--deployment", deploymentFile, "--data-dir", dirs.get("owner")!], text), 0, text.err);
    assert.match(text.out, /^status\s+paused$/m);
    assert.match(text.out, /^tx\s+0x[0-9a-f]{64}$/m);
    const stranger = new MemoryIo({ MODELVAULT_PASSWORD: PASSWORD });
    assert.equal(await run(["model", "unpause", id, "--rpc-url", rpc.url, "--deployment", deploymentFile, "--data-dir", dirs.get("stranger")!], stranger), 1);
    assert.match(stranger.err, new RegExp(`^modelvault: model ${id} is owned by ${people.owner.address}, not by this account \\(${people.stranger.address}\\) \\[NOT_OWNER\\]\n$`));
  });

  it("retire asks for --yes and is final: no terms, grants, unpausing or second retirement", async () => {
    const id = await registerModel();
    await refused("owner", ["model", "retire", id], 2, "USAGE", /cannot be undone.*--yes/);
    assert.equal((await world.licensee.chain.modelState(BigInt(id)))?.status, "active", "nothing sent without --yes");
    await refused("stranger", ["model", "retire", id, "--yes"], 1, "NOT_OWNER");
    assert.equal((await ok("owner", ["model", "retire", id, "--yes"])).status, "retired");
    await refused("owner", ["model", "terms", id, "--price", "5"], 1, "MODEL_RETIRED");
    await refused("owner", ["licence", "grant", id, people.licensee.address], 1, "MODEL_RETIRED");
    await refused("owner", ["model", "unpause", id], 1, "MODEL_RETIRED");
    await refused("owner", ["model", "retire", id, "--yes"], 1, "MODEL_RETIRED");
    await assert.rejects(world.licensee.chain.buy(BigInt(id)), (e: unknown) => e instanceof ChainRevertError && e.errorName === "ModelNotForSale");
  });

  it("transfer is two steps: propose, then the new owner accepts; only they can", async () => {
    const id = await registerModel();
    const proposed = await ok("owner", ["model", "transfer", id, people.heir.address]);
    assert.deepEqual([proposed.owner, proposed.pendingOwner], [people.owner.address, people.heir.address]);
    await refused("stranger", ["model", "accept", id], 1, "NOT_PENDING_OWNER", new RegExp(`proposed owner is ${people.heir.address}`));
    await refused("stranger", ["model", "transfer", id, people.stranger.address], 1, "NOT_OWNER");
    const accepted = await ok("heir", ["model", "accept", id]);
    assert.deepEqual([accepted.owner, accepted.previousOwner], [people.heir.address, people.owner.address]);
    assert.equal((await world.licensee.chain.modelState(BigInt(id)))?.owner, people.heir.address);
    // The new owner acts; the old one is refused, naming the new owner.
    await ok("heir", ["model", "terms", id, "--price", "7"]);
    await refused("owner", ["model", "pause", id], 1, "NOT_OWNER", new RegExp(`owned by ${people.heir.address}`));
    // A proposal can be cancelled.
    assert.equal((await ok("heir", ["model", "transfer", id, people.owner.address])).pendingOwner, people.owner.address);
    assert.equal((await ok("heir", ["model", "transfer", id, "--cancel"])).pendingOwner, null);
    await refused("owner", ["model", "accept", id], 1, "NOT_PENDING_OWNER", /no transfer is pending/);
    await refused("heir", ["model", "transfer", id, "0x1234"], 2, "USAGE");
    await refused("heir", ["model", "transfer", id], 2, "USAGE");
  });

  it("licence grant then revoke: tickets work, then stop being live; refusals are typed", async () => {
    const id = await registerModel();
    const before = await chainTime();
    const granted = await ok("owner", ["licence", "grant", id, people.licensee.address, "--expires", "30d", "--uses", "2"]);
    assert.equal(granted.licence.maxUses, 2);
    assert.equal(granted.licence.revoked, false);
    assert.ok(Math.abs(granted.licence.expiresAt - (before + 30 * 86_400)) <= 5, "expiry counts from the chain's time");
    const { ticketId } = await world.licensee.chain.requestKey(BigInt(id), generateKeyPair().publicKey);
    assert.equal((await world.licensee.chain.ticket(ticketId))?.valid, true);

    const revoked = await ok("owner", ["licence", "revoke", id, people.licensee.address]);
    assert.equal(revoked.licence.revoked, true);
    assert.equal((await world.licensee.chain.ticket(ticketId))?.valid, false, "the outstanding ticket is dead");
    await assert.rejects(world.licensee.chain.requestKey(BigInt(id), generateKeyPair().publicKey), (e: unknown) => e instanceof ChainRevertError && e.errorName === "LicenseIsRevoked");
    await refused("owner", ["licence", "revoke", id, people.licensee.address], 1, "LICENCE_REVOKED");
    await refused("owner", ["licence", "revoke", id, people.stranger.address], 1, "NO_LICENCE");
    await refused("stranger", ["licence", "grant", id, people.stranger.address], 1, "NOT_OWNER");
    await refused("owner", ["licence", "grant", id, people.licensee.address, "--expires", String(before - 10)], 1, "EXPIRY_IN_PAST");
    await refused("owner", ["licence", "grant", id, "not-an-address"], 2, "USAGE");
    await refused("owner", ["licence", "grant", id, people.licensee.address, "--uses", "-3"], 2, "USAGE");
    await refused("owner", ["licence", "grant", "999", people.licensee.address], 2, "UNKNOWN_MODEL");
    // A grant lifts the revocation.
    assert.equal((await ok("owner", ["licence", "grant", id, people.licensee.address])).licence.revoked, false);
    assert.equal(await world.licensee.chain.contracts.vault.read.hasAccess([BigInt(id), people.licensee.address]), true);
  });

  it("earnings after a purchase are the contract's split; withdraw pays exactly that (balance delta = amount - gas)", async () => {
    const price = 10n ** 16n;
    const id = await registerModel({ ...FREE, price });
    const bps = BigInt(await world.owner.chain.contracts.vault.read.custodianShareBps());
    const start = await cli("nobody", ["earnings", people.owner.address], {});
    assert.equal(start.code, 0, start.io.err);
    await world.licensee.chain.buy(BigInt(id));
    const each = (price * bps) / 10_000n / 2n;

    // A read with no keystore password: the address comes from the keystore's public hint.
    const earned = await cli("owner", ["earnings"], {});
    assert.equal(earned.code, 0, earned.io.err);
    assert.equal(earned.json.account, people.owner.address);
    const entry = earned.json.pending.find((p: { modelId: string }) => p.modelId === id);
    assert.deepEqual(entry, { modelId: id, version: 1, asOwner: (price - each * 2n).toString(), asCustodian: "0", amount: (price - each * 2n).toString() });
    assert.equal(BigInt(earned.json.total) - BigInt(start.json.total), price - each * 2n);
    const custodian = world.custodianAddresses[0]!;
    const custodianEarned = await cli("nobody", ["earnings", custodian], {});
    assert.equal(custodianEarned.json.pending.find((p: { modelId: string }) => p.modelId === id).asCustodian, each.toString());

    const balance = () => world.owner.chain.publicClient.getBalance({ address: people.owner.address });
    const before = await balance();
    const paid = await ok("owner", ["withdraw"]);
    assert.equal(paid.amount, earned.json.total);
    // Gas from the receipts themselves, not from the command's own account of it.
    let gas = 0n;
    for (const hash of [...paid.claims.map((c: { txHash: Hex }) => c.txHash), paid.txHash] as Hex[]) {
      const receipt = await world.owner.chain.publicClient.getTransactionReceipt({ hash });
      gas += receipt.gasUsed * receipt.effectiveGasPrice;
    }
    assert.equal(BigInt(paid.gasCost), gas);
    assert.equal((await balance()) - before, BigInt(earned.json.total) - gas);
    assert.ok(paid.claims.some((c: { modelId: string; amount: string }) => c.modelId === id && c.amount === (price - each * 2n).toString()));

    const after = await cli("owner", ["earnings"], {});
    assert.deepEqual([after.json.total, after.json.pending], ["0", []]);
    await refused("owner", ["withdraw"], 1, "NOTHING_TO_WITHDRAW", /nothing to withdraw/);
    await refused("stranger", ["withdraw"], 1, "NOTHING_TO_WITHDRAW");
    await refused("nobody", ["earnings"], 2, "USAGE", /give an ADDRESS/);
    await refused("nobody", ["earnings", "0xnope"], 2, "USAGE");
  });

  it("stake and unstake: the licence's stake stays locked, unbonding waits for the cooldown", async () => {
    const id = await registerModel({ ...FREE, minStake: 5n * 10n ** 16n });
    await world.licensee.chain.buy(BigInt(id));
    assert.equal((await ok("licensee", ["stake", id, "0.03eth"])).staked, (3n * 10n ** 16n).toString());
    await assert.rejects(world.licensee.chain.requestKey(BigInt(id), generateKeyPair().publicKey), (e: unknown) => e instanceof ChainRevertError && e.errorName === "InsufficientStake");
    const topped = await ok("licensee", ["stake", id, "20000000000000000"]);
    assert.deepEqual([topped.staked, topped.required], [(5n * 10n ** 16n).toString(), (5n * 10n ** 16n).toString()]);
    await world.licensee.chain.requestKey(BigInt(id), generateKeyPair().publicKey);
    await refused("licensee", ["unstake", id, "0.01eth"], 1, "STAKE_LOCKED", /requires 50000000000000000 wei/);
    await refused("licensee", ["unstake", id, "1eth"], 1, "STAKE_EXCEEDED");

    await ok("licensee", ["stake", id, "0.01eth"]);
    const unbonding = await ok("licensee", ["unstake", id, "0.01eth"]);
    assert.deepEqual([unbonding.staked, unbonding.unbonding], [(5n * 10n ** 16n).toString(), (10n ** 16n).toString()]);
    assert.equal(unbonding.unlockAt, (await chainTime()) + unbonding.cooldown);
    await refused("licensee", ["unstake", id, "--withdraw"], 1, "COOLDOWN_ACTIVE", /withdrawable from/);

    await world.connection.provider.request({ method: "evm_increaseTime", params: [unbonding.cooldown] });
    await world.connection.provider.request({ method: "evm_mine", params: [] });
    const balance = () => world.owner.chain.publicClient.getBalance({ address: people.licensee.address as Address });
    const before = await balance();
    const withdrawn = await ok("licensee", ["unstake", id, "--withdraw"]);
    assert.deepEqual([withdrawn.withdrawn, withdrawn.unbonding], [(10n ** 16n).toString(), "0"]);
    const receipt = await world.owner.chain.publicClient.getTransactionReceipt({ hash: withdrawn.txHash });
    assert.equal((await balance()) - before, 10n ** 16n - receipt.gasUsed * receipt.effectiveGasPrice);
    await refused("licensee", ["unstake", id, "--withdraw"], 1, "NOTHING_UNBONDING");

    for (const bad of [["stake", id, "abc"], ["stake", id, "0"], ["unstake", id], ["unstake", id, "5", "--withdraw"], ["stake", id, "-1"]]) {
      await refused("licensee", bad, 2, "USAGE");
    }
    await refused("licensee", ["stake", "999", "1"], 2, "UNKNOWN_MODEL");
  });

  describe("publish FILE --rotate ID (through the node's API)", () => {
    let api: RunningApi;
    before(async () => {
      const journal = await PublishJournal.open(await world.dataDir());
      api = await startApi({ peer: world.owner.peer, identity: world.owner.identity, chain: world.owner.chain, journal });
    });
    after(() => api?.close());

    it("defaults custodians and threshold to the current version's and keeps the terms", async () => {
      const dir = await world.dataDir();
      const [v1, v2] = [join(dir, "model-v1.bin"), join(dir, "model-v2.bin")];
      await writeFile(v1, randomBytes(50_000));
      await writeFile(v2, randomBytes(60_000));
      const publish = async (args: string[]) => {
        const io = new MemoryIo({ MODELVAULT_PASSWORD: PASSWORD });
        assert.equal(await run(["publish", ...args, "--api", api.url, "--json"], io), 0, io.err);
        return io.json<{ modelId: string; version: number; custodians: Address[] }>();
      };
      const first = await publish([v1, "--register", "--custodians", world.custodianAddresses.join(","), "--threshold", "2", "--price", "1234", "--max-uses", "4"]);
      const terms = await world.licensee.chain.terms(BigInt(first.modelId));
      const withTerms = new MemoryIo({});
      assert.equal(await run(["publish", v2, "--rotate", first.modelId, "--price", "5", "--api", api.url], withTerms), 2, "terms are not silently ignored");
      assert.match(withTerms.err, /--price: a rotation keeps the model's terms; change them with `modelvault model terms \d+ --price …`/);
      const rotated = await publish([v2, "--rotate", first.modelId]);
      assert.deepEqual([rotated.modelId, rotated.version], [first.modelId, 2]);
      const [one, two] = await Promise.all([1, 2].map((v) => world.licensee.chain.version(BigInt(first.modelId), v)));
      assert.deepEqual(two?.custodians, one?.custodians);
      assert.equal(two?.threshold, 2);
      assert.deepEqual(await world.licensee.chain.terms(BigInt(first.modelId)), terms);
      assert.deepEqual(terms, { price: 1234n, duration: 0, maxUses: 4, minStake: 0n, carryOver: false });
    });
  });
});
