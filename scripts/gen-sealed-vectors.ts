/**
 * Writes test/crypto/vectors/sealed-v1.json: the sealed format (v1) for fixed keys, model ids,
 * nonce prefixes and plaintexts. Committed, so any change of the byte format shows in a test.
 * Run only when the format version changes: node --import tsx scripts/gen-sealed-vectors.ts
 */
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { seal } from "../crypto/index.js";
import { collect, hex, patternBytes } from "../test/helpers/bytes.js";

const cases = [
  { name: "empty plaintext", length: 0, segmentSize: 64 },
  { name: "two segments, final one short", length: 100, segmentSize: 64 },
  { name: "exactly two full segments", length: 128, segmentSize: 64 },
];

const vectors = [];
for (const [i, c] of cases.entries()) {
  const key = patternBytes(32, 1 + i);
  const modelId = patternBytes(32, 101 + i);
  const noncePrefix = patternBytes(7, 201 + i);
  const plaintext = patternBytes(c.length, 53);
  const sealed = await collect(seal([plaintext], { key, modelId, noncePrefix, segmentSize: c.segmentSize }));
  vectors.push({
    ...c,
    key: hex(key),
    modelId: hex(modelId),
    noncePrefix: hex(noncePrefix),
    plaintext: hex(plaintext),
    sealed: hex(sealed),
    sealedSha256: createHash("sha256").update(sealed).digest("hex"),
  });
}
const file = new URL("../test/crypto/vectors/sealed-v1.json", import.meta.url);
await writeFile(file, JSON.stringify({ format: "modelvault sealed v1", vectors }, null, 2) + "\n");
console.log(`wrote ${vectors.length} vectors to ${file.pathname}`);
