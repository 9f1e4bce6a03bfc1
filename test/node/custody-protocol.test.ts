import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesToHex, getAddress, hashTypedData, hexToBytes, type Hex } from "viem";
import { generateKeyPair } from "../../crypto/index.js";
import { releaseDigest, releaseSignedBy, signRelease, type CustodyDomain } from "../../node/custody/protocol.js";

const domain: CustodyDomain = { chainId: 31337, vault: getAddress("0x5fbdb2315678afecb367f032d99f642f64180aa3") };
const body = { ticketId: `0x${"ab".repeat(32)}` as Hex, modelId: "7", version: 3 };

describe("custody protocol: release signatures", () => {
  it("the release digest is EIP-712's (viem hashTypedData), per domain", () => {
    const viaViem = hashTypedData({
      domain: { name: "modelvault custody", version: "1", chainId: domain.chainId, verifyingContract: domain.vault },
      types: { ShareRelease: [{ name: "ticketId", type: "bytes32" }, { name: "modelId", type: "uint256" }, { name: "version", type: "uint16" }] },
      primaryType: "ShareRelease",
      message: { ticketId: body.ticketId, modelId: 7n, version: 3 },
    });
    assert.equal(bytesToHex(releaseDigest(domain, body)), viaViem);
    assert.notEqual(bytesToHex(releaseDigest({ ...domain, chainId: 1 }, body)), viaViem);
  });

  it("the release digest equals viem's hashTypedData for random requests and domains", () => {
    for (let i = 0; i < 200; i++) {
      const random = { chainId: 1 + (randomBytes(4).readUInt32BE() >>> 1), vault: getAddress(bytesToHex(randomBytes(20))) };
      // Model ids over the whole uint256 range (1 to 78 digits), versions over uint16.
      const modelId = BigInt(bytesToHex(randomBytes(1 + (i % 32)))) >> BigInt(i % 8);
      const message = { ticketId: bytesToHex(randomBytes(32)), modelId: modelId.toString(), version: 1 + (randomBytes(2).readUInt16BE() % 65535) };
      const viaViem = hashTypedData({
        domain: { name: "modelvault custody", version: "1", chainId: random.chainId, verifyingContract: random.vault },
        types: { ShareRelease: [{ name: "ticketId", type: "bytes32" }, { name: "modelId", type: "uint256" }, { name: "version", type: "uint16" }] },
        primaryType: "ShareRelease",
        message: { ticketId: message.ticketId, modelId, version: message.version },
      });
      assert.equal(bytesToHex(releaseDigest(random, message)), viaViem, JSON.stringify({ random, message }));
    }
  });

  it("accepts only the recipient key's low-s signature over exactly this request", () => {
    const recipient = generateKeyPair();
    const key = bytesToHex(recipient.publicKey);
    const signed = signRelease(recipient.privateKey, domain, body);
    assert.equal(releaseSignedBy(domain, signed, key), true);
    assert.equal(releaseSignedBy(domain, signed, bytesToHex(generateKeyPair().publicKey)), false, "another key");
    assert.equal(releaseSignedBy(domain, { ...signed, version: 4 }, key), false, "another version");
    assert.equal(releaseSignedBy({ ...domain, chainId: 1 }, signed, key), false, "another chain");
    // The same signature with s -> n - s is valid ECDSA but malleated: refused.
    const sig = secp256k1.Signature.fromBytes(hexToBytes(signed.signature), "compact");
    const high = new secp256k1.Signature(sig.r, secp256k1.Point.CURVE().n - sig.s);
    assert.equal(releaseSignedBy(domain, { ...signed, signature: bytesToHex(high.toBytes("compact")) }, key), false, "high s");
    assert.equal(releaseSignedBy(domain, { ...signed, signature: `0x${"00".repeat(64)}` }, key), false, "zero signature");
  });
});
