import assert from "node:assert/strict";
import { CID } from "multiformats/cid";
import { privateKeyToAccount } from "viem/accounts";
import { generatePrivateKey } from "viem/accounts";
import {
  canonicalManifestBytes,
  InvalidArgumentError,
  ManifestSignatureError,
  manifestDigest,
  signManifest,
  verifyManifest,
} from "../../crypto/index.js";

const owner = privateKeyToAccount(generatePrivateKey());
const stranger = privateKeyToAccount(generatePrivateKey());
const manifest = {
  formatVersion: 1,
  content: CID.parse("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"),
  sizes: { plaintext: 1000, sealed: 1144 },
  segmentSize: 1048560,
  custodians: ["0x1111111111111111111111111111111111111111"],
  threshold: 2,
};

describe("manifest signatures (EIP-712 over canonical dag-json)", () => {
  it("verify recovers the signer", async () => {
    const signature = await signManifest(owner, manifest);
    assert.equal(await verifyManifest(manifest, signature), owner.address);
    assert.equal(await verifyManifest(manifest, signature, { expectedSigner: owner.address }), owner.address);
  });

  it("the encoding is canonical: key order does not change the digest", () => {
    const reordered = Object.fromEntries(Object.entries(manifest).reverse());
    assert.equal(manifestDigest(reordered), manifestDigest(manifest));
    assert.deepEqual(canonicalManifestBytes(reordered), canonicalManifestBytes(manifest));
  });

  it("a changed manifest, another expected signer or another chain fails", async () => {
    const signature = await signManifest(owner, manifest, { chainId: 31337 });
    const changed = { ...manifest, threshold: 1 };
    assert.notEqual(await verifyManifest(changed, signature, { chainId: 31337 }), owner.address);
    await assert.rejects(verifyManifest(changed, signature, { chainId: 31337, expectedSigner: owner.address }), ManifestSignatureError);
    await assert.rejects(verifyManifest(manifest, signature, { expectedSigner: owner.address }), ManifestSignatureError);
    await assert.rejects(verifyManifest(manifest, signature, { chainId: 31337, expectedSigner: stranger.address }), ManifestSignatureError);
  });

  it("malformed signatures and unencodable manifests get typed errors", async () => {
    await assert.rejects(verifyManifest(manifest, "0x1234"), ManifestSignatureError);
    assert.throws(() => manifestDigest({ size: Number.NaN }), InvalidArgumentError);
    assert.throws(() => manifestDigest({ missing: undefined }), InvalidArgumentError);
  });
});
