/**
 * The custody protocol's committed test vectors (test/crypto/vectors/, written by
 * scripts/gen-protocol-vectors.ts) against the node's code and the SDK's, in both directions:
 * each implementation opens/verifies the vector and reproduces its bytes from its inputs. A
 * second implementation written from docs/PROTOCOL.md and docs/FORMAT.md alone (node:crypto,
 * @noble/hashes' keccak, a GF(2^8) from its definition) checks that the docs say what the code
 * does, and the docs' worked example is checked to be these vectors.
 */
import assert from "node:assert/strict";
import { createCipheriv, createDecipheriv, createECDH, createHash, hkdfSync } from "node:crypto";
import { readFileSync } from "node:fs";
import * as dagJson from "@ipld/dag-json";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { CID } from "multiformats/cid";
import { bytesToHex, getAddress, hexToBytes, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  canonicalManifestBytes,
  combineShares,
  decodeShare,
  encodeShare,
  keyCommitment,
  manifestDigest,
  publicKeyOf,
  signManifest,
  splitKey,
  unwrapKey,
  verifyManifest,
} from "../../crypto/index.js";
import { wrapKeyWith } from "../../crypto/ecies.js";
import {
  depositContext,
  depositReceiptSchema,
  depositSigner,
  receiptHolds,
  releaseContext,
  releaseDigest,
  releasedShareSchema,
  releaseSignedBy,
  shareDepositSchema,
  shareHash,
  shareReleaseSchema,
  signDeposit,
  signReceipt,
  signRelease,
} from "../../node/custody/protocol.js";
import * as sdkCustody from "../../sdk/custody.js";
import * as sdkEcies from "../../sdk/ecies.js";
import * as sdkManifest from "../../sdk/manifest.js";
import * as sdkShares from "../../sdk/shares.js";
import { hex, unhex } from "../helpers/bytes.js";

const load = <T>(name: string): T => JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), "utf8")) as T;
const doc = (name: string) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), "utf8");

interface EciesVector {
  name: string;
  recipientPrivateKey: string;
  recipientPublicKey: string;
  ephemeralPrivateKey: string;
  ephemeralPublicKey: string;
  nonce: string;
  context: string;
  info: string;
  sharedX: string;
  salt: string;
  wrappingKey: string;
  plaintext: string;
  ciphertext: string;
  tag: string;
  wrapped: string;
}
interface SharesVector {
  name: string;
  key: string;
  keyCommitment: string;
  threshold: number;
  coefficients: string[];
  shares: { index: number; y: string; encoded: string }[];
}
type Typed<B> = { typeString: string; structHash: Hex; digest: Hex; body: B };
interface Domain {
  name: string;
  version: string;
  chainId: number;
  verifyingContract: Address;
}

const ecies = load<{ vectors: EciesVector[] }>("ecies-v1.json").vectors;
const shares = load<{ gfMulExamples: { a: string; b: string; product: string }[]; vectors: SharesVector[] }>("shares-v1.json");
const manifestVector = load<{
  ownerPrivateKey: string;
  owner: Address;
  canonicalManifest: string;
  digest: Hex;
  typeString: string;
  typeHash: Hex;
  domainSeparator: Hex;
  structHash: Hex;
  typedDataHash: Hex;
  signature: Hex;
  block: string;
  blockSha256: string;
  manifestCid: string;
}>("manifest-signature-v1.json");
const depositVector = load<{
  domain: Domain;
  domainSeparator: Hex;
  ownerPrivateKey: string;
  custodianPrivateKey: string;
  custodianPublicKey: string;
  share: string;
  ecies: string;
  deposit: Typed<{ manifestCid: string; custodian: Address; wrappedShare: Hex; providers: string[]; owner: Address; signature: Hex }> & { shareHash: Hex };
  receipt: Typed<{ manifestCid: string; custodian: Address; shareHash: Hex; contentCid: string; signature: Hex }>;
}>("deposit-v1.json");
const releaseVector = load<{
  domain: Domain;
  domainSeparator: Hex;
  ticket: { modelId: string; version: number; licensee: Address; licenceNonce: number; ticketId: Hex; recipientPrivateKey: string; recipientKey: Hex };
  request: Typed<{ ticketId: Hex; modelId: string; version: number; signature: Hex }>;
  answer: { share: string; ecies: string; body: { ticketId: Hex; custodian: Address; wrappedShare: Hex } };
}>("release-v1.json");
const eciesNamed = (name: string) => ecies.find((v) => v.name === name)!;
const chainOf = (d: Domain) => ({ chainId: d.chainId, vault: d.verifyingContract });

// ---- the spec, implemented again from the docs ---------------------------------------------------------

const keccak = (...parts: Uint8Array[]) => keccak_256(Buffer.concat(parts));
const word = (n: bigint) => unhex(n.toString(16).padStart(64, "0"));
const text = (s: string) => new TextEncoder().encode(s);

/** PROTOCOL.md "ECIES": the wrapped bytes for a given ephemeral key and nonce. */
function specWrap(recipientPublicKey: Uint8Array, plaintext: Uint8Array, context: string, ephemeralPrivateKey: Uint8Array, nonce: Uint8Array): Buffer {
  const ecdh = createECDH("secp256k1");
  ecdh.setPrivateKey(ephemeralPrivateKey);
  const ephemeral = ecdh.getPublicKey(null, "compressed");
  const info = context === "" ? "modelvault/v1/ecies" : `modelvault/v1/ecies/${context}`;
  const key = Buffer.from(hkdfSync("sha256", ecdh.computeSecret(recipientPublicKey), Buffer.concat([ephemeral, recipientPublicKey]), info, 32));
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(Buffer.from(info));
  return Buffer.concat([ephemeral, nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function specUnwrap(recipientPrivateKey: Uint8Array, wrapped: Uint8Array, context: string): Buffer {
  const ecdh = createECDH("secp256k1");
  ecdh.setPrivateKey(recipientPrivateKey);
  const ephemeral = wrapped.subarray(0, 33);
  const info = context === "" ? "modelvault/v1/ecies" : `modelvault/v1/ecies/${context}`;
  const key = Buffer.from(hkdfSync("sha256", ecdh.computeSecret(ephemeral), Buffer.concat([ephemeral, ecdh.getPublicKey(null, "compressed")]), info, 32));
  const decipher = createDecipheriv("aes-256-gcm", key, wrapped.subarray(33, 45));
  decipher.setAAD(Buffer.from(info));
  decipher.setAuthTag(wrapped.subarray(wrapped.length - 16));
  return Buffer.concat([decipher.update(wrapped.subarray(45, wrapped.length - 16)), decipher.final()]);
}

/** GF(2^8) mod x^8 + x^4 + x^3 + x + 1, through log/antilog tables of the generator 0x03. */
const EXP = new Uint8Array(510);
const LOG = new Uint8Array(256);
for (let i = 0, x = 1; i < 255; i++) {
  EXP[i] = EXP[i + 255] = x;
  LOG[x] = i;
  x ^= (x << 1) ^ (x & 0x80 ? 0x11b : 0); // x * 3 = x * 2 + x, reduced
}
const gfMul = (a: number, b: number) => (a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!);
const gfDiv = (a: number, b: number) => (a === 0 ? 0 : EXP[LOG[a]! + 255 - LOG[b]!]!);

/** FORMAT.md "Key shares": byte j of the key = Σ y_i[j] · Π_{m≠i} x_m / (x_i ⊕ x_m). */
function specCombine(encoded: Uint8Array[]): Uint8Array {
  const xs = encoded.map((s) => s[2]!);
  return Uint8Array.from({ length: 32 }, (_, j) =>
    encoded.reduce((acc, s, i) => {
      const basis = xs.reduce((b, xm, m) => (m === i ? b : gfMul(b, gfDiv(xm, xs[i]! ^ xm))), 1);
      return acc ^ gfMul(s[35 + j]!, basis);
    }, 0),
  );
}

function specShare(threshold: number, index: number, commitment: Uint8Array, coefficients: Uint8Array[]): Uint8Array {
  const y = Uint8Array.from({ length: 32 }, (_, j) => coefficients.reduceRight((acc, c) => gfMul(acc, index) ^ c[j]!, 0));
  return new Uint8Array([1, threshold, index, ...commitment, ...y]);
}

const EIP712_DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
function specCustodyDomainSeparator(d: Domain): Uint8Array {
  return keccak(keccak(text(EIP712_DOMAIN_TYPE)), keccak(text(d.name)), keccak(text(d.version)), word(BigInt(d.chainId)), word(BigInt(d.verifyingContract)));
}
const specDigest = (separator: Uint8Array, structHash: Uint8Array) => keccak(new Uint8Array([0x19, 0x01]), separator, structHash);

/** Address from a 65-byte r ‖ s ‖ v signature (v 27 or 28) over a digest. */
function specRecover(digest: Uint8Array, signature: Hex): Address {
  const sig = hexToBytes(signature);
  assert.equal(sig.length, 65);
  assert.ok(sig[64] === 27 || sig[64] === 28, "v is 27 or 28");
  const recovered = secp256k1.recoverPublicKey(new Uint8Array([sig[64]! - 27, ...sig.subarray(0, 64)]), digest, { prehash: false });
  const uncompressed = secp256k1.Point.fromBytes(recovered).toBytes(false);
  return getAddress(bytesToHex(keccak(uncompressed.subarray(1)).subarray(12)));
}

// ---- the tests ---------------------------------------------------------------------------------------------

describe("protocol test vectors: ECIES key wrapping (ecies-v1.json)", () => {
  assert.ok(ecies.length >= 4);
  for (const v of ecies) {
    it(`${v.name}: node and SDK unwrap it, node and the spec reproduce it`, async () => {
      const [recipientPrivate, wrapped, plaintext] = [unhex(v.recipientPrivateKey), unhex(v.wrapped), unhex(v.plaintext)];
      assert.equal(hex(await unwrapKey(recipientPrivate, wrapped, v.context)), v.plaintext, "node unwrapKey");
      assert.equal(hex(await sdkEcies.unwrapKey(recipientPrivate, wrapped, v.context)), v.plaintext, "SDK unwrapKey");
      assert.equal(hex(specUnwrap(recipientPrivate, wrapped, v.context)), v.plaintext, "spec unwrap");
      const args = [unhex(v.recipientPublicKey), plaintext, v.context, unhex(v.ephemeralPrivateKey), unhex(v.nonce)] as const;
      assert.equal(hex(await wrapKeyWith(...args)), v.wrapped, "node wrap");
      assert.equal(hex(specWrap(...args)), v.wrapped, "spec wrap");
    });

    it(`${v.name}: the intermediate values are the documented ones`, () => {
      assert.equal(hex(publicKeyOf(unhex(v.recipientPrivateKey))), v.recipientPublicKey);
      assert.equal(hex(publicKeyOf(unhex(v.ephemeralPrivateKey))), v.ephemeralPublicKey);
      assert.equal(v.info, v.context === "" ? "modelvault/v1/ecies" : `modelvault/v1/ecies/${v.context}`);
      const ecdh = createECDH("secp256k1");
      ecdh.setPrivateKey(unhex(v.recipientPrivateKey));
      assert.equal(ecdh.computeSecret(unhex(v.ephemeralPublicKey)).toString("hex"), v.sharedX, "ECDH x-coordinate, not hashed");
      assert.equal(v.salt, v.ephemeralPublicKey + v.recipientPublicKey);
      assert.equal(Buffer.from(hkdfSync("sha256", unhex(v.sharedX), unhex(v.salt), v.info, 32)).toString("hex"), v.wrappingKey);
      assert.equal(v.wrapped, v.ephemeralPublicKey + v.nonce + v.ciphertext + v.tag);
      assert.equal(v.ciphertext.length, v.plaintext.length);
    });
  }

  it("a flipped byte anywhere, or another context, does not open", async () => {
    const v = eciesNamed("deposit: owner -> custodian 1");
    const wrapped = unhex(v.wrapped);
    for (const at of [0, 20, 33, 44, 45, wrapped.length - 1]) {
      const bad = Uint8Array.from(wrapped);
      bad[at]! ^= 0x01;
      await assert.rejects(unwrapKey(unhex(v.recipientPrivateKey), bad, v.context), `byte ${at}`);
    }
    await assert.rejects(unwrapKey(unhex(v.recipientPrivateKey), wrapped, "custody/deposit/another"));
  });
});

describe("protocol test vectors: key shares (shares-v1.json)", () => {
  it("the field is GF(2^8) mod 0x11b", () => {
    for (const e of shares.gfMulExamples) assert.equal(gfMul(parseInt(e.a, 16), parseInt(e.b, 16)), parseInt(e.product, 16), `${e.a}·${e.b}`);
  });

  for (const v of shares.vectors) {
    it(`${v.name}: the spec and encodeShare reproduce each share from the polynomial`, () => {
      assert.equal(hex(keyCommitment(unhex(v.key))), v.keyCommitment);
      assert.equal(v.coefficients[0], v.key, "the constant term is the key");
      assert.equal(v.coefficients.length, v.threshold);
      for (const s of v.shares) {
        const spec = specShare(v.threshold, s.index, unhex(v.keyCommitment), v.coefficients.map(unhex));
        assert.equal(hex(spec), s.encoded, `spec share ${s.index}`);
        const node = encodeShare({ threshold: v.threshold, index: s.index, commitment: unhex(v.keyCommitment), y: unhex(s.y) });
        assert.equal(hex(node), s.encoded, `encodeShare ${s.index}`);
        for (const decoded of [decodeShare(unhex(s.encoded)), sdkShares.decodeShare(unhex(s.encoded))]) {
          assert.deepEqual(
            { threshold: decoded.threshold, index: decoded.index, commitment: hex(decoded.commitment), y: hex(decoded.y) },
            { threshold: v.threshold, index: s.index, commitment: v.keyCommitment, y: s.y },
          );
        }
      }
    });

    it(`${v.name}: every ${v.threshold} of the shares combine to the key (node, SDK, spec)`, async () => {
      const all = v.shares.map((s) => unhex(s.encoded));
      for (const subset of subsets(all, v.threshold)) {
        assert.equal(hex(await combineShares(subset)), v.key, "node");
        assert.equal(hex(await sdkShares.combineShares(subset)), v.key, "SDK");
        assert.equal(hex(specCombine(subset)), v.key, "spec");
      }
    });
  }

  it("splitKey's random shares are in the documented layout (the spec combines them)", async () => {
    const key = unhex(shares.vectors[1]!.key);
    const split = await splitKey(key, 3, 5);
    for (const s of split) {
      assert.equal(s.length, 67);
      assert.deepEqual([s[0], s[1]], [1, 3]);
      assert.ok(s[2]! >= 1);
      assert.equal(hex(s.subarray(3, 35)), shares.vectors[1]!.keyCommitment);
    }
    assert.equal(hex(specCombine(split.slice(1, 4))), hex(key));
  });
});

describe("protocol test vectors: the manifest signature (manifest-signature-v1.json)", () => {
  const v = manifestVector;
  const blockBytes = text(v.block);
  const { manifest } = dagJson.decode<{ manifest: unknown; signature: Hex }>(blockBytes);

  it("the digest is keccak256 of the manifest's canonical dag-json; the block's CID is CIDv1 dag-json sha2-256", () => {
    assert.equal(new TextDecoder().decode(canonicalManifestBytes(manifest)), v.canonicalManifest);
    assert.equal(manifestDigest(manifest), v.digest);
    assert.equal(bytesToHex(keccak(text(v.canonicalManifest))), v.digest, "spec");
    assert.equal(createHash("sha256").update(blockBytes).digest("hex"), v.blockSha256);
    const cid = CID.parse(v.manifestCid);
    assert.deepEqual([cid.version, cid.code, cid.multihash.code], [1, 0x0129, 0x12]);
    assert.equal(hex(cid.multihash.digest), v.blockSha256);
    assert.equal(new TextDecoder().decode(dagJson.encode({ manifest, signature: v.signature })), v.block);
  });

  it("node and SDK verify it and the node reproduces the signature; the spec's EIP-712 hash recovers the owner", async () => {
    assert.equal(await verifyManifest(manifest, v.signature, { expectedSigner: v.owner }), v.owner);
    assert.equal((await sdkManifest.decodeSignedManifest(blockBytes, v.owner)).signer, v.owner);
    sdkManifest.checkManifestBlock(CID.parse(v.manifestCid), blockBytes);
    const owner = privateKeyToAccount(`0x${v.ownerPrivateKey}`);
    assert.equal(owner.address, v.owner);
    assert.equal(await signManifest(owner, manifest), v.signature);
    const typeHash = keccak(text(v.typeString));
    assert.equal(bytesToHex(typeHash), v.typeHash);
    const separator = keccak(keccak(text("EIP712Domain(string name,string version)")), keccak(text("modelvault")), keccak(text("1")));
    assert.equal(bytesToHex(separator), v.domainSeparator);
    const struct = keccak(typeHash, hexToBytes(v.digest));
    assert.equal(bytesToHex(struct), v.structHash);
    const hash = specDigest(separator, struct);
    assert.equal(bytesToHex(hash), v.typedDataHash);
    assert.equal(specRecover(hash, v.signature), v.owner);
  });
});

describe("protocol test vectors: deposit and receipt (deposit-v1.json)", () => {
  const v = depositVector;
  const chain = chainOf(v.domain);
  const body = v.deposit.body;

  it("the deposit: its schema holds, the node reproduces its signature and recovers the owner; the spec agrees", async () => {
    assert.deepEqual(shareDepositSchema.parse(body), body);
    const owner = privateKeyToAccount(`0x${v.ownerPrivateKey}`);
    const { owner: _o, signature: _s, ...unsigned } = body;
    assert.deepEqual(await signDeposit(owner, chain, unsigned), body);
    assert.equal(await depositSigner(chain, body), owner.address);
    assert.equal(shareHash(body.wrappedShare), v.deposit.shareHash);
    assert.equal(bytesToHex(keccak(hexToBytes(body.wrappedShare))), v.deposit.shareHash, "keccak256 of the wrapped bytes");
    const separator = specCustodyDomainSeparator(v.domain);
    assert.equal(bytesToHex(separator), v.domainSeparator);
    const struct = keccak(keccak(text(v.deposit.typeString)), keccak(text(body.manifestCid)), word(BigInt(body.custodian)), hexToBytes(v.deposit.shareHash));
    assert.equal(bytesToHex(struct), v.deposit.structHash);
    const digest = specDigest(separator, struct);
    assert.equal(bytesToHex(digest), v.deposit.digest);
    assert.equal(specRecover(digest, body.signature), owner.address);
  });

  it("the wrapped share is the ECIES vector under the deposit context, and opens with the custodian's key", async () => {
    const w = eciesNamed(v.ecies);
    assert.equal(w.context, depositContext(body.manifestCid));
    assert.equal(w.context, `custody/deposit/${manifestVector.manifestCid}`);
    assert.equal(w.recipientPublicKey, v.custodianPublicKey);
    assert.equal(body.wrappedShare, `0x${w.wrapped}`);
    assert.equal(hex(await unwrapKey(unhex(v.custodianPrivateKey), hexToBytes(body.wrappedShare), depositContext(body.manifestCid))), v.share);
    assert.equal(getAddress(privateKeyToAccount(`0x${v.custodianPrivateKey}`).address), body.custodian);
  });

  it("the receipt: the custodian reproduces its signature, the owner's check holds; the spec agrees", async () => {
    const r = v.receipt.body;
    assert.deepEqual(depositReceiptSchema.parse(r), r);
    const custodian = privateKeyToAccount(`0x${v.custodianPrivateKey}`);
    assert.deepEqual(await signReceipt(custodian, chain, { manifestCid: r.manifestCid, shareHash: r.shareHash, contentCid: r.contentCid }), r);
    assert.equal(await receiptHolds(chain, r, custodian.address, body.wrappedShare), true);
    const struct = keccak(keccak(text(v.receipt.typeString)), keccak(text(r.manifestCid)), word(BigInt(r.custodian)), hexToBytes(r.shareHash), keccak(text(r.contentCid)));
    assert.equal(bytesToHex(struct), v.receipt.structHash);
    const digest = specDigest(specCustodyDomainSeparator(v.domain), struct);
    assert.equal(bytesToHex(digest), v.receipt.digest);
    assert.equal(specRecover(digest, r.signature), custodian.address);
  });
});

describe("protocol test vectors: ticket, release and answer (release-v1.json)", () => {
  const v = releaseVector;
  const chain = chainOf(v.domain);
  const body = v.request.body;
  const recipientPrivate = unhex(v.ticket.recipientPrivateKey);

  it("the ticket id is keccak256(abi.encode(modelId, licensee, nonce)); the recipient key is 33-byte compressed", () => {
    const id = keccak(word(BigInt(v.ticket.modelId)), word(BigInt(v.ticket.licensee)), word(BigInt(v.ticket.licenceNonce)));
    assert.equal(bytesToHex(id), v.ticket.ticketId);
    assert.equal(v.ticket.recipientKey, bytesToHex(publicKeyOf(recipientPrivate)));
    assert.equal(hexToBytes(v.ticket.recipientKey).length, 33);
    assert.ok(/^0x0[23]/.test(v.ticket.recipientKey));
  });

  it("node and SDK reproduce the request and accept its signature; the spec's digest and ECDSA agree", () => {
    assert.deepEqual(shareReleaseSchema.parse(body), body);
    const unsigned = { ticketId: body.ticketId, modelId: body.modelId, version: body.version };
    assert.deepEqual(signRelease(recipientPrivate, chain, unsigned), body, "node");
    assert.deepEqual(sdkCustody.signRelease(recipientPrivate, chain, unsigned), body, "SDK");
    assert.equal(bytesToHex(releaseDigest(chain, body)), v.request.digest);
    assert.equal(bytesToHex(sdkCustody.releaseDigest(chain, body)), v.request.digest);
    assert.equal(releaseSignedBy(chain, body, v.ticket.recipientKey), true);
    assert.equal(sdkCustody.releaseSignedBy(chain, body, v.ticket.recipientKey), true);
    const separator = specCustodyDomainSeparator(v.domain);
    assert.equal(bytesToHex(separator), v.domainSeparator);
    const struct = keccak(keccak(text(v.request.typeString)), hexToBytes(body.ticketId), word(BigInt(body.modelId)), word(BigInt(body.version)));
    assert.equal(bytesToHex(struct), v.request.structHash);
    const digest = specDigest(separator, struct);
    assert.equal(bytesToHex(digest), v.request.digest);
    const signature = hexToBytes(body.signature);
    assert.equal(signature.length, 64, "r ‖ s, no v");
    assert.ok(secp256k1.verify(signature, digest, hexToBytes(v.ticket.recipientKey), { prehash: false, lowS: true, format: "compact" }));
  });

  it("the answer: node and SDK open it under the release context; node and spec reproduce it", async () => {
    const a = v.answer.body;
    assert.deepEqual(releasedShareSchema.parse(a), a);
    const w = eciesNamed(v.answer.ecies);
    assert.equal(w.context, releaseContext(body.ticketId));
    assert.equal(w.context, sdkCustody.releaseContext(body.ticketId));
    assert.equal(w.context, `custody/release/${body.ticketId.toLowerCase()}`);
    assert.equal(`0x${w.recipientPublicKey}`, v.ticket.recipientKey);
    assert.equal(a.wrappedShare, `0x${w.wrapped}`);
    const wrapped = hexToBytes(a.wrappedShare);
    assert.equal(hex(await unwrapKey(recipientPrivate, wrapped, releaseContext(body.ticketId))), v.answer.share);
    assert.equal(hex(await sdkEcies.unwrapKey(recipientPrivate, wrapped, sdkCustody.releaseContext(body.ticketId))), v.answer.share);
    assert.equal(hex(specWrap(unhex(w.recipientPublicKey), unhex(v.answer.share), w.context, unhex(w.ephemeralPrivateKey), unhex(w.nonce))), w.wrapped);
    assert.equal(v.answer.share, depositVector.share, "the custodian releases the share it holds");
  });
});

describe("protocol test vectors: the docs state these values", () => {
  const protocol = doc("PROTOCOL.md");
  const format = doc("FORMAT.md");

  it("every EIP-712 type string, domain and context string is written in the docs", () => {
    for (const t of [manifestVector.typeString, depositVector.deposit.typeString, depositVector.receipt.typeString, releaseVector.request.typeString, EIP712_DOMAIN_TYPE]) {
      assert.ok(protocol.includes(t), `PROTOCOL.md names ${t}`);
    }
    for (const s of ['"modelvault custody"', "modelvault/v1/ecies", "custody/deposit/<manifestCid>", "custody/release/<ticketId>", "x^8 + x^4 + x^3 + x + 1"]) {
      assert.ok(protocol.includes(s) || format.includes(s), `the docs say ${s}`);
    }
    for (const file of ["ecies-v1.json", "shares-v1.json", "manifest-signature-v1.json", "deposit-v1.json", "release-v1.json"]) {
      assert.ok(protocol.includes(file), `PROTOCOL.md points to ${file}`);
    }
  });

  it("the worked example in PROTOCOL.md is the release vector", () => {
    const w = eciesNamed(releaseVector.answer.ecies);
    for (const value of [
      releaseVector.ticket.recipientKey,
      releaseVector.ticket.ticketId,
      releaseVector.domainSeparator,
      releaseVector.request.structHash,
      releaseVector.request.digest,
      releaseVector.request.body.signature,
      w.sharedX,
      w.wrappingKey,
      w.ephemeralPublicKey,
      w.nonce,
      w.ciphertext,
      w.tag,
      releaseVector.answer.share,
    ]) {
      assert.ok(protocol.replace(/\s+/g, "").includes(value.replace(/^0x/, "")), `PROTOCOL.md shows ${value.slice(0, 20)}…`);
    }
  });
});

function* subsets<T>(items: readonly T[], k: number, start = 0, prefix: T[] = []): Generator<T[]> {
  if (prefix.length === k) {
    yield prefix;
    return;
  }
  for (let i = start; i < items.length; i++) yield* subsets(items, k, i + 1, [...prefix, items[i]!]);
}
