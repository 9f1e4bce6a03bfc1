/**
 * Wider custodian sets: 3-of-5 and 5-of-9, with ticket indexes, on one world of nine custodian
 * nodes (real Helia peers, share stores and HTTP on 127.0.0.1) and Hardhat's EVM. A key comes
 * back with n - k custodians down and not with one more.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { hexToBytes, type Hex } from "viem";
import { generateKeyPair } from "../../crypto/index.js";
import { NotEnoughSharesReleasedError } from "../../node/custody/errors.js";
import { collectKey } from "../../node/custody/licensee.js";
import { publishWithCustody, type CustodyPublishResult } from "../../node/custody/owner.js";
import { assertBytes } from "../helpers/bytes.js";
import { CustodyWorld, type CustodianNode } from "./fixtures/custody.js";

describe("custody: 3-of-5 and 5-of-9 custodian sets (ticket indexes, Hardhat EVM)", function () {
  this.timeout(240_000);
  let world: CustodyWorld;
  const models: Record<string, CustodyPublishResult> = {};
  before(async () => {
    world = await CustodyWorld.create({ custodians: 9, index: {} });
    for (const [k, n] of [[3, 5], [5, 9]] as const) {
      const published = await publishWithCustody(world.owner.peer, [randomBytes(20_000)], {
        owner: world.owner.identity.account, chain: world.owner.chain, custodians: world.custodianAddresses.slice(0, n), threshold: k,
        terms: { price: 10n ** 15n, duration: 0, maxUses: 0, minStake: 0n, carryOver: false }, segmentSize: 64 * 1024,
      });
      await world.owner.chain.grant(published.chainModelId, world.licensee.identity.address);
      models[`${k}of${n}`] = published;
    }
  });
  after(() => world?.cleanup());

  const collect = async (published: CustodyPublishResult) => {
    const recipient = generateKeyPair();
    const ticket = await world.licensee.chain.requestKey(published.chainModelId, recipient.publicKey);
    return collectKey({
      chain: world.licensee.chain, ticket, modelId: published.chainModelId, recipientPrivateKey: recipient.privateKey,
      keyCommitment: hexToBytes(published.signed.manifest.keyCommitment as Hex), timeoutMs: 2_000, hedgeMs: 200,
    });
  };

  for (const [k, n] of [[3, 5], [5, 9]] as const) {
    it(`${k}-of-${n}: the key with all custodians up, with ${n - k} down, and not with ${n - k + 1} down`, async () => {
      const published = models[`${k}of${n}`]!;
      assertBytes(await collect(published), published.key, "all up");
      const stopped: [number, CustodianNode][] = [];
      try {
        for (let i = 0; i < n - k; i++) stopped.push([i, await world.stopCustodian(i)]);
        assertBytes(await collect(published), published.key, `${n - k} down`);
        stopped.push([n - k, await world.stopCustodian(n - k)]);
        await assert.rejects(collect(published), (e: unknown) => e instanceof NotEnoughSharesReleasedError && e.released === k - 1);
      } finally {
        for (const [i, node] of stopped) await world.restartCustodian(i, node);
      }
    });
  }
});
