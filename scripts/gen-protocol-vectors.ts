/**
 * Writes the custody protocol's test vectors (docs/PROTOCOL.md) to test/crypto/vectors/:
 *   ecies-v1.json               ECIES key wrapping, ephemeral key and nonce fixed
 *   shares-v1.json              key shares from fixed polynomials over GF(2^8)
 *   manifest-signature-v1.json  a signed manifest block, its digest, signature and CID
 *   deposit-v1.json             a ShareDeposit and its DepositReceipt
 *   release-v1.json             a ticket, a ShareRelease and the custodian's answer
 * One small world ties them together: the manifest's key commitment is the shares', its CID is
 * the deposit's, the deposited and released share is a share of shares-v1.json. Every private key
 * is sha256("modelvault/vectors/v1/<label>"), made for these vectors and nothing else.
 * Committed, so a changed byte shows in test/crypto/protocol-vectors.test.ts. Run only when a
 * message format changes: node --import tsx scripts/gen-protocol-vectors.ts
 */
import { createECDH, createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { combine } from "shamir-secret-sharing";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { bytesToHex, encodeAbiParameters, getAddress, hashDomain, hashStruct, keccak256, toHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { buildStorageTree, storageSegments } from "../contracts/storage-proof.js";
import { canonicalManifestBytes, encodeShare, hkdfSha256, keyCommitment, manifestDigest, publicKeyOf } from "../crypto/index.js";
import { wrapKeyWith } from "../crypto/ecies.js";
import { checkManifest } from "../crypto/manifest-schema.js";
import { encodeSignedManifest, signModelManifest } from "../node/models/manifest.js";
import {
  depositContext,
  releaseContext,
  releaseDigest,
  shareHash,
  signDeposit,
  signReceipt,
  signRelease,
} from "../node/custody/protocol.js";
import { hex, unhex } from "../test/helpers/bytes.js";

const dir = new URL("../test/crypto/vectors/", import.meta.url);
const secret = (label: string) => new Uint8Array(createHash("sha256").update(`modelvault/vectors/v1/${label}`).digest());
const write = async (name: string, value: unknown) => {
  await writeFile(new URL(name, dir), JSON.stringify(value, null, 2) + "\n");
  console.log(`wrote ${name}`);
};

// ---- GF(2^8) with x^8 + x^4 + x^3 + x + 1 (0x11b), for shares from known polynomials -----------
function gfMul(a: number, b: number): number {
  let p = 0;
  for (let i = 0; i < 8; i++) {
    if (b & 1) p ^= a;
    const carry = a & 0x80;
    a = (a << 1) & 0xff;
    if (carry) a ^= 0x1b;
    b >>= 1;
  }
  return p;
}
/** f(x) = c[0] + c[1] x + ... (Horner). */
const gfEval = (c: readonly number[], x: number) => c.reduceRight((acc, ci) => gfMul(acc, x) ^ ci, 0);

// ---- ECIES ---------------------------------------------------------------------------------------
async function eciesCase(name: string, recipientLabel: string, context: string, plaintext: Uint8Array, ephemeralLabel: string, nonceLabel: string) {
  const recipientPrivateKey = secret(recipientLabel);
  const recipientPublicKey = publicKeyOf(recipientPrivateKey);
  const ephemeralPrivateKey = secret(ephemeralLabel);
  const ephemeralPublicKey = publicKeyOf(ephemeralPrivateKey);
  const nonce = secret(nonceLabel).subarray(0, 12);
  const info = context === "" ? "modelvault/v1/ecies" : `modelvault/v1/ecies/${context}`;
  const ecdh = createECDH("secp256k1");
  ecdh.setPrivateKey(ephemeralPrivateKey);
  const sharedX = new Uint8Array(ecdh.computeSecret(recipientPublicKey));
  const salt = new Uint8Array([...ephemeralPublicKey, ...recipientPublicKey]);
  const wrappingKey = hkdfSha256(sharedX, salt, info, 32);
  const wrapped = await wrapKeyWith(recipientPublicKey, plaintext, context, ephemeralPrivateKey, nonce);
  return {
    name,
    recipientPrivateKey: hex(recipientPrivateKey),
    recipientPublicKey: hex(recipientPublicKey),
    ephemeralPrivateKey: hex(ephemeralPrivateKey),
    ephemeralPublicKey: hex(ephemeralPublicKey),
    nonce: hex(nonce),
    context,
    info,
    sharedX: hex(sharedX),
    salt: hex(salt),
    wrappingKey: hex(wrappingKey),
    plaintext: hex(plaintext),
    ciphertext: hex(wrapped.subarray(45, wrapped.length - 16)),
    tag: hex(wrapped.subarray(wrapped.length - 16)),
    wrapped: hex(wrapped),
  };
}

// ---- the world -------------------------------------------------------------------------------------
const sealedVector = (JSON.parse(readFileSync(new URL("sealed-v1.json", dir), "utf8")) as { vectors: { name: string; key: string; modelId: string; noncePrefix: string; segmentSize: number; plaintext: string; sealed: string }[] }).vectors.find(
  (v) => v.name === "two segments, final one short",
)!;
const contentKey = unhex(sealedVector.key);
const sealed = unhex(sealedVector.sealed);
const owner = privateKeyToAccount(bytesToHex(secret("owner")));
const custodianKeys = [1, 2, 3].map((i) => secret(`custodian-${i}`));
const custodians = custodianKeys.map((k) => privateKeyToAccount(bytesToHex(k)));
const chain = { chainId: 31337, vault: getAddress("0x5fbdb2315678afecb367f032d99f642f64180aa3") };

// ---- shares ----------------------------------------------------------------------------------------
function sharesCase(name: string, key: Uint8Array, threshold: number, indices: number[], label: string) {
  const commitment = keyCommitment(key);
  // coefficients[d][j]: the x^d coefficient of byte j's polynomial; coefficients[0] is the key.
  const coefficients = [Array.from(key), ...Array.from({ length: threshold - 1 }, (_, d) => Array.from(secret(`${label}/coefficient-${d + 1}`)))];
  const shares = indices.map((index) => {
    const y = Uint8Array.from({ length: 32 }, (_, j) => gfEval(coefficients.map((c) => c[j]!), index));
    return { index, y: hex(y), encoded: hex(encodeShare({ threshold, index, commitment, y })) };
  });
  return { name, key: hex(key), keyCommitment: hex(commitment), threshold, coefficients: coefficients.map((c) => hex(Uint8Array.from(c))), shares };
}
const custodyShares = sharesCase("2 of 3, the content key of the custody vectors", contentKey, 2, [0x2a, 0x07, 0xc1], "shares-a");
const wideShares = sharesCase("3 of 5", secret("shares-b/key"), 3, [1, 2, 3, 0x80, 0xff], "shares-b");
for (const v of [custodyShares, wideShares]) {
  // The library combines them back (a check on the polynomial arithmetic above).
  const lib = (s: { index: number; y: string }) => new Uint8Array([...unhex(s.y), s.index]);
  const got = await combine(v.shares.slice(0, v.threshold).map(lib));
  if (hex(got) !== v.key) throw new Error(`${v.name}: the library does not combine these shares`);
}
await write("shares-v1.json", {
  format: "modelvault key share v1",
  field: "GF(2^8), reduction polynomial x^8 + x^4 + x^3 + x + 1 (0x11b)",
  gfMulExamples: [
    { a: "53", b: "ca", product: "01" },
    { a: "02", b: "80", product: "1b" },
    { a: "e5", b: "e5", product: hex(new Uint8Array([gfMul(0xe5, 0xe5)])) },
  ],
  vectors: [custodyShares, wideShares],
});

// ---- manifest ----------------------------------------------------------------------------------------
const contentCid = CID.createV1(0x55, await sha256.digest(sealed));
const manifest = checkManifest({
  format: "modelvault/manifest/1",
  modelId: `0x${sealedVector.modelId}`,
  version: 1,
  name: "protocol vector model",
  owner: owner.address,
  cipher: "aes-256-gcm-stream/1",
  content: contentCid,
  plaintextSize: sealedVector.plaintext.length / 2,
  sealedSize: sealed.length,
  segmentSize: sealedVector.segmentSize,
  noncePrefix: `0x${sealedVector.noncePrefix}`,
  keyCommitment: bytesToHex(keyCommitment(contentKey)),
  storage: { root: buildStorageTree(storageSegments(sealed)).root, segmentSize: 4096 },
  custodians: custodians.map((c) => c.address),
  threshold: 2,
});
if (!manifest.ok) throw new Error(manifest.message);
const signed = await signModelManifest(owner, manifest.manifest);
const block = await encodeSignedManifest(signed);
const manifestCid = block.cid.toString();
const manifestDomain = hashDomain({ domain: { name: "modelvault", version: "1" }, types: { EIP712Domain: [{ name: "name", type: "string" }, { name: "version", type: "string" }] } });
const manifestStruct = hashStruct({ data: { digest: manifestDigest(signed.manifest) }, primaryType: "ModelManifest", types: { ModelManifest: [{ name: "digest", type: "bytes32" }] } });
await write("manifest-signature-v1.json", {
  format: "modelvault manifest signature v1",
  ownerPrivateKey: hex(secret("owner")),
  owner: owner.address,
  /** The manifest's canonical dag-json bytes, as text (dag-json is UTF-8 JSON). */
  canonicalManifest: new TextDecoder().decode(canonicalManifestBytes(signed.manifest)),
  digest: manifestDigest(signed.manifest),
  domain: { name: "modelvault", version: "1" },
  typeString: "ModelManifest(bytes32 digest)",
  typeHash: keccak256(toHex("ModelManifest(bytes32 digest)")),
  domainSeparator: manifestDomain,
  structHash: manifestStruct,
  typedDataHash: keccak256(`0x1901${manifestDomain.slice(2)}${manifestStruct.slice(2)}`),
  signature: signed.signature,
  block: new TextDecoder().decode(block.bytes),
  blockSha256: createHash("sha256").update(block.bytes).digest("hex"),
  manifestCid,
});

// ---- ECIES vectors (the deposit and release ones are the custody vectors' wraps) ------------------
const share1 = unhex(custodyShares.shares[0]!.encoded);
const eciesVectors = await Promise.all([
  eciesCase("no context, 32-byte plaintext", "ecies/recipient-a", "", secret("ecies/plaintext-a"), "ecies/ephemeral-a", "ecies/nonce-a"),
  eciesCase("no context, empty plaintext", "ecies/recipient-a", "", new Uint8Array(0), "ecies/ephemeral-b", "ecies/nonce-b"),
  eciesCase("deposit: owner -> custodian 1", "custodian-1", depositContext(manifestCid), share1, "deposit/ephemeral", "deposit/nonce"),
]);

// ---- deposit and receipt ------------------------------------------------------------------------------
const CUSTODY_DOMAIN = { name: "modelvault custody", version: "1", chainId: BigInt(chain.chainId), verifyingContract: chain.vault };
const custodyDomainTypes = {
  EIP712Domain: [
    { name: "name", type: "string" },
    { name: "version", type: "string" },
    { name: "chainId", type: "uint256" },
    { name: "verifyingContract", type: "address" },
  ],
} as const;
const custodyDomainSeparator = hashDomain({ domain: CUSTODY_DOMAIN, types: custodyDomainTypes });
const typed = (primaryType: string, types: Record<string, { name: string; type: string }[]>, data: Record<string, unknown>) => {
  const structHash = hashStruct({ data, primaryType, types });
  return { structHash, digest: keccak256(`0x1901${custodyDomainSeparator.slice(2)}${structHash.slice(2)}`) };
};
const depositWrap = eciesVectors[2]!;
const wrappedShare = `0x${depositWrap.wrapped}` as Hex;
const deposit = await signDeposit(owner, chain, { manifestCid, custodian: custodians[0]!.address, wrappedShare, providers: ["/ip4/127.0.0.1/tcp/4501/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"] });
const depositTypes = { ShareDeposit: [{ name: "manifestCid", type: "string" }, { name: "custodian", type: "address" }, { name: "shareHash", type: "bytes32" }] };
const receipt = await signReceipt(custodians[0]!, chain, { manifestCid, shareHash: shareHash(wrappedShare), contentCid: contentCid.toString() });
const receiptTypes = {
  DepositReceipt: [...depositTypes.ShareDeposit, { name: "contentCid", type: "string" }],
};
await write("deposit-v1.json", {
  format: "modelvault custody deposit v1",
  domain: { name: "modelvault custody", version: "1", chainId: chain.chainId, verifyingContract: chain.vault },
  domainSeparator: custodyDomainSeparator,
  ownerPrivateKey: hex(secret("owner")),
  custodianPrivateKey: hex(custodianKeys[0]!),
  custodianPublicKey: hex(publicKeyOf(custodianKeys[0]!)),
  share: hex(share1),
  ecies: "deposit: owner -> custodian 1",
  deposit: {
    typeString: "ShareDeposit(string manifestCid,address custodian,bytes32 shareHash)",
    ...typed("ShareDeposit", depositTypes, { manifestCid, custodian: deposit.custodian, shareHash: shareHash(wrappedShare) }),
    shareHash: shareHash(wrappedShare),
    body: deposit,
  },
  receipt: {
    typeString: "DepositReceipt(string manifestCid,address custodian,bytes32 shareHash,string contentCid)",
    ...typed("DepositReceipt", receiptTypes, { manifestCid, custodian: receipt.custodian, shareHash: receipt.shareHash, contentCid: receipt.contentCid }),
    body: receipt,
  },
});

// ---- ticket, release request, answer -----------------------------------------------------------------
const modelId = 1n;
const licensee = privateKeyToAccount(bytesToHex(secret("licensee")));
const licenceNonce = 0;
const ticketId = keccak256(encodeAbiParameters([{ type: "uint256" }, { type: "address" }, { type: "uint256" }], [modelId, licensee.address, BigInt(licenceNonce)]));
const recipientPrivateKey = secret("recipient");
const request = signRelease(recipientPrivateKey, chain, { ticketId, modelId: modelId.toString(), version: 1 });
const releaseTypes = { ShareRelease: [{ name: "ticketId", type: "bytes32" }, { name: "modelId", type: "uint256" }, { name: "version", type: "uint16" }] };
const releaseTyped = typed("ShareRelease", releaseTypes, { ticketId, modelId, version: 1 });
if (bytesToHex(releaseDigest(chain, request)) !== releaseTyped.digest) throw new Error("release digest disagrees with viem");
const releaseWrap = await eciesCase("release: custodian 1 -> the ticket's recipient key", "recipient", releaseContext(ticketId), share1, "release/ephemeral", "release/nonce");
eciesVectors.push(releaseWrap);
await write("release-v1.json", {
  format: "modelvault custody release v1",
  domain: { name: "modelvault custody", version: "1", chainId: chain.chainId, verifyingContract: chain.vault },
  domainSeparator: custodyDomainSeparator,
  ticket: {
    modelId: modelId.toString(),
    version: 1,
    licensee: licensee.address,
    licenceNonce,
    ticketId,
    recipientPrivateKey: hex(recipientPrivateKey),
    /** What requestKey(modelId, recipientKey) takes and the ticket records. */
    recipientKey: bytesToHex(publicKeyOf(recipientPrivateKey)),
  },
  request: {
    typeString: "ShareRelease(bytes32 ticketId,uint256 modelId,uint16 version)",
    ...releaseTyped,
    body: request,
  },
  answer: {
    share: hex(share1),
    ecies: releaseWrap.name,
    body: { ticketId, custodian: custodians[0]!.address, wrappedShare: `0x${releaseWrap.wrapped}` },
  },
});
await write("ecies-v1.json", {
  format: "modelvault ECIES v1",
  layout: "ephemeral public key (33, compressed) || nonce (12) || ciphertext || tag (16)",
  vectors: eciesVectors,
});
