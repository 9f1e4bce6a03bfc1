import assert from "node:assert/strict";
import { platform as browser } from "../../crypto/platform/browser.js";
import { platform as node } from "../../crypto/platform/node.js";
import { hex, unhex } from "../helpers/bytes.js";

// NIST / McGrew-Viega GCM spec, test case 16: AES-256, 96-bit IV, AAD, 60-byte plaintext.
const K = unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
const IV = unhex("cafebabefacedbaddecaf888");
const P = unhex(
  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
);
const A = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
const C =
  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";
const T = "76fc6ece0f4e1768cddf8853bb2d551b";

for (const platform of [node, browser]) {
  describe(`AES-256-GCM segment primitive (known answer), ${platform.name} platform`, () => {
    it("matches the NIST vector, whatever the input chunking", async () => {
      const key = await platform.importAesGcmKey(K);
      for (const cut of [0, 1, 17, 59, 60]) {
        const out = Buffer.concat(await platform.aesGcmSeal(key, IV, A, [P.subarray(0, cut), P.subarray(cut)]));
        assert.equal(hex(out), C + T);
      }
    });

    it("opens the NIST vector from pieces that split the tag", async () => {
      const frame = unhex(C + T);
      const plain = await platform.aesGcmOpen(await platform.importAesGcmKey(K), IV, A, [frame.subarray(0, 70), frame.subarray(70)], frame.length);
      assert.ok(plain);
      assert.equal(hex(Buffer.concat(plain)), hex(P));
    });

    it("returns null, and no plaintext, when the tag or AAD is wrong, or the frame is shorter than a tag", async () => {
      const key = await platform.importAesGcmKey(K);
      const frame = unhex(C + T);
      frame[frame.length - 1]! ^= 1;
      assert.equal(await platform.aesGcmOpen(key, IV, A, [frame], frame.length), null);
      assert.equal(await platform.aesGcmOpen(key, IV, unhex("00"), [unhex(C + T)], frame.length), null);
      assert.equal(await platform.aesGcmOpen(key, IV, A, [unhex(T).subarray(0, 15)], 15), null);
    });

    it("an empty plaintext seals to the tag alone and opens to no piece", async () => {
      const key = await platform.importAesGcmKey(K);
      const sealed = Buffer.concat(await platform.aesGcmSeal(key, IV, A, []));
      assert.equal(sealed.length, 16);
      assert.deepEqual(await platform.aesGcmOpen(key, IV, A, [sealed], 16), []);
    });
  });
}
