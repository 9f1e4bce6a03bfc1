import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { buildStorageTree, storageSegments } from "../../contracts/storage-proof.js";
import { STORAGE_SEGMENT_SIZE, StorageLeafHasher, StorageTree, StorageTreeInputError } from "../../node/storage/storage-tree.js";
import { StorageTreeSession } from "../../node/storage/storage-tree-thread.js";
import { chunked } from "../helpers/bytes.js";

describe("node: storage-challenge tree", () => {
  it("matches the contracts' reference tree (OpenZeppelin SimpleMerkleTree) in root and every proof", async () => {
    await fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 * STORAGE_SEGMENT_SIZE }),
        fc.array(fc.integer({ min: 1, max: 3 * STORAGE_SEGMENT_SIZE }), { minLength: 1, maxLength: 3 }),
        (size, cuts) => {
          const bytes = randomBytes(size);
          const hasher = new StorageLeafHasher();
          for (const chunk of chunked(bytes, cuts)) hasher.update(chunk);
          const tree = hasher.finish();
          const reference = buildStorageTree(storageSegments(bytes));
          assert.equal(tree.root, reference.root);
          assert.equal(tree.segmentCount, reference.segmentCount);
          for (let i = 0; i < tree.segmentCount; i++) assert.deepEqual(tree.proof(i), reference.proof(i), `proof ${i}`);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("hashes on the worker thread to the same root, for concurrent sessions", async () => {
    const inputs = [randomBytes(9 << 20), randomBytes(3 * STORAGE_SEGMENT_SIZE + 5), randomBytes(1)];
    const roots = await Promise.all(
      inputs.map(async (bytes) => {
        const session = new StorageTreeSession();
        for (const chunk of chunked(bytes, [1 << 20, 777, 5 << 20])) await session.update(chunk);
        return session.root();
      }),
    );
    for (const [i, bytes] of inputs.entries()) {
      const hasher = new StorageLeafHasher();
      hasher.update(bytes);
      const tree = hasher.finish();
      assert.deepEqual(roots[i], { root: tree.root, segmentCount: tree.segmentCount });
    }
  });

  it("refuses an empty stream and out-of-range proofs with StorageTreeInputError", async () => {
    assert.throws(() => new StorageLeafHasher().finish(), StorageTreeInputError);
    await assert.rejects(new StorageTreeSession().root(), StorageTreeInputError);
    const tree = StorageTree.fromLeaves(randomBytes(3 * 32));
    assert.throws(() => tree.proof(3), StorageTreeInputError);
    assert.throws(() => tree.proof(-1), StorageTreeInputError);
    assert.equal(tree.proof(0).length, 2);
  });
});
