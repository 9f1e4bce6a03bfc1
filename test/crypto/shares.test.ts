import assert from "node:assert/strict";
import fc from "fast-check";
import {
  combineShares,
  decodeShare,
  generateContentKey,
  InvalidArgumentError,
  InvalidSharesError,
  keyCommitment,
  MalformedShareError,
  MismatchedSharesError,
  NotEnoughSharesError,
  SHARE_LENGTH,
  splitKey,
} from "../../crypto/index.js";
import { assertBytes } from "../helpers/bytes.js";

describe("k-of-n key shares", () => {
  it("any k of n shares recover the key; each share carries index, threshold and commitment", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 8 }).chain((k) => fc.tuple(fc.constant(k), fc.integer({ min: k, max: 10 }))),
        fc.infiniteStream(fc.nat()),
        async ([k, n], picks) => {
          const key = generateContentKey();
          const shares = await splitKey(key, k, n);
          assert.equal(shares.length, n);
          const decoded = shares.map(decodeShare);
          assert.deepEqual(new Set(decoded.map((s) => s.index)).size, n);
          for (const s of decoded) {
            assert.equal(s.threshold, k);
            assertBytes(s.commitment, keyCommitment(key));
          }
          const pool = [...shares];
          const chosen: Uint8Array[] = [];
          const it = picks[Symbol.iterator]();
          while (chosen.length < k) chosen.push(pool.splice(it.next().value % pool.length, 1)[0]!);
          assertBytes(await combineShares(chosen), key);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("k-1 shares fail with NotEnoughSharesError, duplicates do not count", async () => {
    const shares = await splitKey(generateContentKey(), 3, 5);
    await assert.rejects(combineShares(shares.slice(0, 2)), (e: unknown) => e instanceof NotEnoughSharesError && e.have === 2 && e.need === 3);
    await assert.rejects(combineShares([shares[0]!, shares[0]!, shares[1]!]), NotEnoughSharesError);
    await assert.rejects(combineShares([]), NotEnoughSharesError);
  });

  it("mixing shares of two keys fails with MismatchedSharesError", async () => {
    const a = await splitKey(generateContentKey(), 2, 3);
    const b = await splitKey(generateContentKey(), 2, 3);
    await assert.rejects(combineShares([a[0]!, b[1]!]), MismatchedSharesError);
  });

  it("a corrupt share fails with InvalidSharesError instead of a wrong key", async () => {
    const key = generateContentKey();
    const shares = await splitKey(key, 2, 3);
    const bad = Uint8Array.from(shares[1]!);
    bad[SHARE_LENGTH - 1]! ^= 1;
    await assert.rejects(combineShares([shares[0]!, bad]), InvalidSharesError);
    // With a spare honest share, the corrupt one is routed around.
    assertBytes(await combineShares([shares[0]!, bad, shares[2]!]), key);
  });

  it("rejects malformed shares and bad parameters with typed errors", async () => {
    const shares = await splitKey(generateContentKey(), 2, 2);
    await assert.rejects(combineShares([shares[0]!.subarray(1), shares[1]!]), MalformedShareError);
    const wrongVersion = Uint8Array.from(shares[0]!);
    wrongVersion[0] = 9;
    await assert.rejects(combineShares([wrongVersion, shares[1]!]), MalformedShareError);
    for (const [k, n] of [[1, 3], [4, 3], [2, 256], [2.5, 3]] as const) {
      await assert.rejects(splitKey(generateContentKey(), k, n), InvalidArgumentError);
    }
    await assert.rejects(splitKey(new Uint8Array(16), 2, 3), InvalidArgumentError);
  });
});
