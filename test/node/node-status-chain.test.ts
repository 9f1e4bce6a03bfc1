import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { custom } from "viem";
import { createChainClient, type ChainClient } from "../../node/chain/index.js";
import { ChallengeResponder } from "../../node/custody/challenge-responder.js";
import { publishWithCustody } from "../../node/custody/owner.js";
import { startApi, type RunningApi } from "../../node/http/server.js";
import { CustodyWorld, identityAt, MIN_STAKE, type CustodianNode } from "./fixtures/custody.js";
import { statusOf } from "./fixtures/status.js";

describe("GET /v1/status with a chain (in-process Hardhat EVM, real custodian nodes)", function () {
  this.timeout(120_000);
  let world: CustodyWorld;
  let node: CustodianNode;
  let chain: ChainClient;
  let responder: ChallengeResponder;
  const apis: RunningApi[] = [];
  /** The RPC as the status API sees it: switched off to play an outage; every call counted. */
  const rpc = { down: false, calls: 0 };

  before(async () => {
    world = await CustodyWorld.create({ custodians: 1 });
    node = await world.startCustodian(identityAt(12)); // not registered yet
    const provider = world.connection.provider;
    chain = await createChainClient({
      transport: custom({
        async request(args: { method: string; params?: unknown }) {
          rpc.calls++;
          if (rpc.down) throw new Error("connect ECONNREFUSED 127.0.0.1:8545");
          return provider.request(args as { method: string; params?: unknown[] });
        },
      }, { retryCount: 0 }),
      deployment: world.deployment,
      account: node.identity.account,
      pollingIntervalMs: 20,
    });
    responder = new ChallengeResponder({ chain, peer: node.peer });
    await responder.start();
  });
  after(async () => {
    for (const api of apis) await api.close();
    await responder?.stop();
    await chain?.close();
    // startCustodian's node is the test's own (the world stops only the custodians it made).
    await node?.api.close();
    await node?.peer.stop();
    await node?.custodian.store.close();
    await world?.cleanup();
  });

  async function api(status: { chainTtlMs?: number; chainWaitMs?: number } = { chainTtlMs: 0 }): Promise<RunningApi> {
    const running = await startApi({ peer: node.peer, identity: node.identity, custodian: node.custodian, chain, responder, host: "127.0.0.1", status });
    apis.push(running);
    return running;
  }

  it("stake after registering as custodian, shares held after a deposit, the chain's challenge record", async () => {
    const fresh = await api();
    let status = await statusOf(fresh);
    assert.deepEqual(status.chain, { chainId: chain.chainId });
    assert.equal(status.stake, null);
    assert.equal(status.unavailable.stake?.code, "NOT_A_CUSTODIAN");
    assert.deepEqual(status.shares, { count: 0 });
    assert.equal(status.unavailable.shares, undefined);
    assert.deepEqual({ ...status.challenges, asOf: 0 }, {
      total: 0, answered: 0, missed: 0, lapsed: 0, open: 0, slashed: "0", bondsEarned: "0", asOf: 0, responder: { answered: 0, failed: 0 },
    });

    await node.chain.registerCustodian(node.identity.publicKey, node.api.url, MIN_STAKE);
    status = await statusOf(fresh);
    assert.deepEqual({ ...status.stake, asOf: 0 }, {
      registered: true, active: true, bonded: MIN_STAKE.toString(), unbonding: "0", withdrawable: "0", withdrawableAt: null,
      minStake: MIN_STAKE.toString(), openChallenges: 0, asOf: 0,
    });
    assert.equal(status.unavailable.stake, undefined);

    await publishWithCustody(world.owner.peer, [randomBytes(30_000)], {
      owner: world.owner.identity.account,
      chain: world.owner.chain,
      custodians: [world.custodianAddresses[0]!, node.identity.address],
      threshold: 2,
      terms: { price: 0n, duration: 0, maxUses: 0, minStake: 0n, carryOver: false },
    });
    assert.deepEqual((await statusOf(fresh)).shares, { count: 1 });
  });

  it("chain reads are cached between polls: a second answer within the TTL costs no RPC call", async () => {
    const cached = await api({ chainTtlMs: 60_000 });
    const first = await statusOf(cached);
    const calls = rpc.calls;
    const second = await statusOf(cached);
    assert.equal(rpc.calls, calls);
    assert.deepEqual(second.stake, first.stake);
  });

  it("the chain being down degrades the chain fields to typed errors, not a 500 of the whole answer", async () => {
    const degraded = await api();
    rpc.down = true;
    try {
      const status = await statusOf(degraded);
      const stake = status.stake as { error?: { code: string; message: string } };
      const challenges = status.challenges as { error?: { code: string; message: string }; responder: unknown };
      assert.match(stake.error?.code ?? "", /^CHAIN_/, JSON.stringify(stake));
      assert.match(challenges.error?.code ?? "", /^CHAIN_/, JSON.stringify(challenges));
      assert.deepEqual(challenges.responder, { answered: 0, failed: 0 }, "the responder's own count stays");
      // Everything local is still there.
      assert.deepEqual(status.shares, { count: 1 });
      assert.ok(status.storage.measuredAt > 0);
      assert.equal(typeof status.transfer.rates.in.last10s, "number");
    } finally {
      rpc.down = false;
    }
    assert.equal(((await statusOf(degraded)).stake as { bonded: string }).bonded, MIN_STAKE.toString(), "back once the chain is");
  });
});
