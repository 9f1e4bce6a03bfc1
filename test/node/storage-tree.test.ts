import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { buildStorageTree, storageSegments } from "../../contracts/storage-proof.js";
import {
  hashSegments,
  STORAGE_SEGMENT_SIZE,
  StorageLeafHasher,
  storageNode,
  storageParent,
  StorageTree,
  StorageTreeInputError,
} from "../../node/storage/storage-tree.js";
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

  it("takes whole segments hashed elsewhere (hashSegments) for the same tree", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 * STORAGE_SEGMENT_SIZE }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), (size, a, b) => {
        // Bytes [0, x) fed, segments [x/4096, y/4096) hashed apart, then the rest fed, as publish does.
        const bytes = randomBytes(size);
        const whole = Math.floor(size / STORAGE_SEGMENT_SIZE);
        const [from, to] = [Math.min(a, b, whole), Math.min(Math.max(a, b), whole)];
        const hasher = new StorageLeafHasher();
        hasher.update(bytes.subarray(0, from * STORAGE_SEGMENT_SIZE));
        hasher.appendLeaves(hashSegments(bytes.subarray(from * STORAGE_SEGMENT_SIZE, to * STORAGE_SEGMENT_SIZE), from), from);
        hasher.update(bytes.subarray(to * STORAGE_SEGMENT_SIZE));
        assert.equal(hasher.finish().root, buildStorageTree(storageSegments(bytes)).root);
      }),
      { numRuns: 30 },
    );
  });

  it("builds the root from its two halves alone (storageNode 1 and 2), for every tree shape", () => {
    for (let n = 1; n <= 300; n++) {
      const leaves = randomBytes(n * 32);
      const root = StorageTree.fromLeaves(leaves).root;
      assert.equal(`0x${Buffer.from(storageNode(leaves, 0)).toString("hex")}`, root, `node 0 of ${n}`);
      if (n >= 2) assert.equal(storageParent(storageNode(leaves, 1), storageNode(leaves, 2)), root, `halves of ${n}`);
    }
    assert.throws(() => storageNode(randomBytes(64), 3), StorageTreeInputError);
  });

  it("refuses an empty stream, out-of-place leaves and out-of-range proofs with StorageTreeInputError", () => {
    assert.throws(() => new StorageLeafHasher().finish(), StorageTreeInputError);
    const hasher = new StorageLeafHasher();
    hasher.update(randomBytes(10));
    assert.throws(() => hasher.appendLeaves(randomBytes(32), 0), StorageTreeInputError, "not at a segment boundary");
    assert.throws(() => new StorageLeafHasher().appendLeaves(randomBytes(32), 1), StorageTreeInputError, "not the next segment");
    const tree = StorageTree.fromLeaves(randomBytes(3 * 32));
    assert.throws(() => tree.proof(3), StorageTreeInputError);
    assert.throws(() => tree.proof(-1), StorageTreeInputError);
    assert.equal(tree.proof(0).length, 2);
  });
});
