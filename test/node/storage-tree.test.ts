import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { buildStorageTree, storageSegments } from "../../contracts/storage-proof.js";
import { StorageTreeBuilder } from "../../node/storage-tree.js";
import { chunked } from "../helpers/bytes.js";

describe("node: streaming storage-challenge tree", () => {
  it("matches the contracts' reference tree (OpenZeppelin SimpleMerkleTree) for any size and chunking", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 9000 }), fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 3 }), async (size, cuts) => {
        const bytes = randomBytes(size);
        const builder = await StorageTreeBuilder.create();
        for (const chunk of chunked(bytes, cuts)) builder.update(chunk);
        const reference = buildStorageTree(storageSegments(bytes));
        assert.deepEqual(builder.root(), { root: reference.root, segmentCount: reference.segmentCount });
      }),
      { numRuns: 60 },
    );
  });

  it("refuses an empty stream", async () => {
    await assert.rejects(StorageTreeBuilder.create().then((b) => b.root()));
  });
});
