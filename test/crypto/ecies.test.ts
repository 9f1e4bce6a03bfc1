import assert from "node:assert/strict";
import { createDecipheriv, createECDH, hkdfSync, randomBytes } from "node:crypto";
import fc from "fast-check";
import {
  generateKeyPair,
  InvalidPublicKeyError,
  PUBLIC_KEY_LENGTH,
  unwrapKey,
  UnwrapError,
  WRAP_OVERHEAD,
  wrapKey,
} from "../../crypto/index.js";
import { assertBytes } from "../helpers/bytes.js";

/** Opens a wrapped key with node:crypto's own ECDH and HKDF: an independent implementation. */
function unwrapIndependently(privateKey: Uint8Array, wrapped: Uint8Array, context: string): Buffer {
  const ecdh = createECDH("secp256k1");
  ecdh.setPrivateKey(privateKey);
  const recipient = ecdh.getPublicKey(null, "compressed");
  const ephemeral = wrapped.subarray(0, 33);
  const sharedX = ecdh.computeSecret(ephemeral); // x-coordinate only
  const info = context === "" ? "modelvault/v1/ecies" : `modelvault/v1/ecies/${context}`;
  const key = Buffer.from(hkdfSync("sha256", sharedX, Buffer.concat([ephemeral, recipient]), info, 32));
  const d = createDecipheriv("aes-256-gcm", key, wrapped.subarray(33, 45));
  d.setAAD(Buffer.from(info));
  d.setAuthTag(wrapped.subarray(wrapped.length - 16));
  return Buffer.concat([d.update(wrapped.subarray(45, wrapped.length - 16)), d.final()]);
}

describe("ECIES key wrapping", () => {
  const alice = generateKeyPair();
  const bob = generateKeyPair();

  it("wraps to 33-byte ephemeral || 12-byte nonce || ciphertext || tag, opened only by the recipient", async () => {
    const share = randomBytes(67);
    const wrapped = await wrapKey(alice.publicKey, share);
    assert.equal(wrapped.length, share.length + WRAP_OVERHEAD);
    assert.ok(wrapped[0] === 2 || wrapped[0] === 3, "compressed ephemeral key");
    assertBytes(await unwrapKey(alice.privateKey, wrapped), share);
    await assert.rejects(unwrapKey(bob.privateKey, wrapped), UnwrapError);
  });

  it("cross-checks with node:crypto ECDH + HKDF (independent computation)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 100 }), fc.string({ maxLength: 20 }), async (plain, context) => {
        const wrapped = await wrapKey(bob.publicKey, plain, context);
        assertBytes(unwrapIndependently(bob.privateKey, wrapped, context), plain);
      }),
      { numRuns: 200 },
    );
  });

  it("binds the context string: another context does not open", async () => {
    const wrapped = await wrapKey(alice.publicKey, randomBytes(32), "ticket:1");
    await assert.rejects(unwrapKey(alice.privateKey, wrapped, "ticket:2"), UnwrapError);
    await assert.rejects(unwrapKey(alice.privateKey, wrapped), UnwrapError);
  });

  it("every flipped bit is rejected", async () => {
    const wrapped = await wrapKey(alice.publicKey, randomBytes(32));
    for (let bit = 0; bit < wrapped.length * 8; bit += 3) {
      const bad = Uint8Array.from(wrapped);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      await assert.rejects(unwrapKey(alice.privateKey, bad), UnwrapError, `bit ${bit}`);
    }
  });

  it("rejects invalid public keys and short inputs with typed errors", async () => {
    await assert.rejects(wrapKey(new Uint8Array(PUBLIC_KEY_LENGTH), randomBytes(32)), InvalidPublicKeyError);
    await assert.rejects(wrapKey(alice.publicKey.subarray(1), randomBytes(32)), InvalidPublicKeyError);
    const offCurve = Uint8Array.from(alice.publicKey);
    offCurve[0] = 4; // not a compressed prefix
    await assert.rejects(wrapKey(offCurve, randomBytes(32)), InvalidPublicKeyError);
    await assert.rejects(unwrapKey(alice.privateKey, new Uint8Array(WRAP_OVERHEAD - 1)), UnwrapError);
  });
});
