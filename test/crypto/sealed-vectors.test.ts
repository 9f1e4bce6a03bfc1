/**
 * The committed test vectors pin the v1 byte format. A second, independent decoder written
 * from docs/FORMAT.md with node:crypto alone checks that the code and the spec agree.
 */
import assert from "node:assert/strict";
import { createDecipheriv, createHash, createHmac, hkdfSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { platform } from "#crypto-platform";
import { open, seal } from "../../crypto/index.js";
import { collect, hex, unhex } from "../helpers/bytes.js";

interface Vector {
  name: string;
  segmentSize: number;
  key: string;
  modelId: string;
  noncePrefix: string;
  plaintext: string;
  sealed: string;
  sealedSha256: string;
}
const { vectors } = JSON.parse(readFileSync(new URL("./vectors/sealed-v1.json", import.meta.url), "utf8")) as {
  vectors: Vector[];
};

/** docs/FORMAT.md, implemented separately from crypto/ with node:crypto only. */
function decodeFromSpec(sealed: Buffer, key: Buffer): Buffer {
  const header = sealed.subarray(0, 112);
  assert.equal(header.subarray(0, 4).toString("latin1"), "MVSM");
  assert.equal(header[4], 1);
  const segmentSize = header.readUInt32BE(5);
  const modelId = header.subarray(9, 41);
  const prefix = header.subarray(41, 48);
  const commitment = Buffer.from(hkdfSync("sha256", key, Buffer.alloc(0), "modelvault/v1/key-commitment", 32));
  assert.equal(hex(header.subarray(48, 80)), hex(commitment));
  const okm = Buffer.from(
    hkdfSync("sha256", key, modelId, Buffer.concat([Buffer.from("modelvault/v1/sealed-stream"), prefix]), 64),
  );
  const tag = createHmac("sha256", okm.subarray(32)).update(header.subarray(0, 80)).digest();
  assert.equal(hex(header.subarray(80)), hex(tag));
  const aad = createHash("sha256").update(header).digest();
  const frame = segmentSize + 16;
  const body = sealed.subarray(112);
  const count = Math.ceil(body.length / frame);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const f = body.subarray(i * frame, Math.min((i + 1) * frame, body.length));
    const nonce = Buffer.concat([prefix, Buffer.from([0, 0, 0, 0, i === count - 1 ? 1 : 0])]);
    nonce.writeUInt32BE(i, 7);
    const d = createDecipheriv("aes-256-gcm", okm.subarray(0, 32), nonce);
    d.setAAD(aad);
    d.setAuthTag(f.subarray(f.length - 16));
    out.push(d.update(f.subarray(0, f.length - 16)), d.final());
  }
  return Buffer.concat(out);
}

describe("sealed format v1 test vectors", () => {
  it(`runs on the platform package.json's import conditions choose (here: ${platform.name})`, () => {
    // test/crypto/platforms.test.ts runs these tests again under the "browser" condition.
    if (process.env.MV_EXPECT_PLATFORM !== undefined) assert.equal(platform.name, process.env.MV_EXPECT_PLATFORM);
  });

  assert.ok(vectors.length >= 3);
  for (const v of vectors) {
    it(`${v.name}: seal reproduces the committed bytes`, async () => {
      const sealed = await collect(
        seal([unhex(v.plaintext)], {
          key: unhex(v.key),
          modelId: unhex(v.modelId),
          noncePrefix: unhex(v.noncePrefix),
          segmentSize: v.segmentSize,
        }),
      );
      assert.equal(hex(sealed), v.sealed);
      assert.equal(createHash("sha256").update(sealed).digest("hex"), v.sealedSha256);
    });

    it(`${v.name}: open and an independent decoder from the spec both recover the plaintext`, async () => {
      const plain = await collect(open([unhex(v.sealed)], { key: unhex(v.key), modelId: unhex(v.modelId) }));
      assert.equal(hex(plain), v.plaintext);
      assert.equal(hex(decodeFromSpec(Buffer.from(v.sealed, "hex"), Buffer.from(v.key, "hex"))), v.plaintext);
    });
  }
});
