/**
 * The SDK's API over the one implementation of the formats (crypto/, which the SDK's bundle runs
 * on crypto/platform/browser.ts: test/crypto/platforms.test.ts, test/sdk/bundle.test.ts): what the
 * node writes the SDK reads, the SDK's release requests pass the custodian's check, and every
 * failure arrives as the SdkError code docs/SDK.md documents, through the one boundary
 * (sdk/errors.ts fromCoreError), with the same code and segment as the node's own error.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { bytesToHex, hexToBytes, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  createHeader,
  generateKeyPair,
  keyCommitment as nodeKeyCommitment,
  open,
  seal,
  sealSegment,
  splitKey,
  wrapKey,
  ModelvaultCryptoError,
} from "../../crypto/index.js";
import { releaseDigest as nodeReleaseDigest, releaseSignedBy as nodeReleaseSignedBy, shareReleaseSchema, signRelease as nodeSignRelease } from "../../node/custody/protocol.js";
import { encodeSignedManifest, signModelManifest, type Manifest } from "../../node/models/manifest.js";
import { CID } from "multiformats/cid";
import {
  InvalidArgumentError,
  InvalidPublicKeyError,
  ManifestSignatureError,
  NotEnoughSharesError,
  NoWebCryptoError,
  SegmentAuthenticationError,
  TruncatedStreamError,
  UnwrapError,
  WrongKeyError,
} from "../../crypto/errors.js";
import { fromCoreError } from "../../sdk/errors.js";
import {
  checkManifestBlock,
  combineShares,
  decodeSignedManifest,
  generateRecipientKey,
  keyCommitment,
  openSealed,
  releaseContext,
  releaseDigest,
  releaseSignedBy,
  SdkError,
  signRelease,
  unwrapKey,
  type SdkErrorCode,
} from "../../sdk/index.js";
import { assertSdkCode } from "../helpers/sdk-errors.js";
import { assertBytes, chunked, collect } from "../helpers/bytes.js";

const key = randomBytes(32);
const modelId = randomBytes(32);

async function sealWithNode(plaintext: Uint8Array, segmentSize: number, k: Uint8Array = key, id: Uint8Array = modelId): Promise<Uint8Array> {
  return collect(seal(chunked(plaintext, [17, 1000, 3]), { key: k, modelId: id, segmentSize }));
}

/** Runs the SDK's decoder; its SdkError code, or the plaintext. */
async function sdkOpen(sealed: Uint8Array, sizes: number[] = [sealed.length || 1], options: { key?: Uint8Array; modelId?: Uint8Array } = {}) {
  try {
    const out = await collect(openSealed(chunked(sealed, sizes), { key: options.key ?? key, modelId: options.modelId ?? modelId }));
    return { ok: true as const, plaintext: out };
  } catch (error) {
    if (!(error instanceof SdkError)) throw error;
    return { ok: false as const, code: error.code, segment: error.details.segment };
  }
}

/** Runs the node's decoder; its code mapped onto the SDK's names, or the plaintext. */
async function nodeOpen(sealed: Uint8Array, options: { key?: Uint8Array; modelId?: Uint8Array } = {}) {
  try {
    const out = await collect(open([sealed], { key: options.key ?? key, modelId: options.modelId ?? modelId }));
    return { ok: true as const, plaintext: out };
  } catch (error) {
    if (!(error instanceof ModelvaultCryptoError)) throw error;
    const code = ({ SEALED_WRONG_KEY: "WRONG_KEY" } as Record<string, SdkErrorCode>)[error.code] ?? error.code;
    return { ok: false as const, code, segment: (error as { segment?: number }).segment };
  }
}

describe("sdk: the error boundary (crypto/ errors -> SdkError codes of docs/SDK.md)", () => {
  it("renames what the SDK names otherwise, carries segment and share counts, passes other errors through", () => {
    const cases: [Error, SdkErrorCode][] = [
      [new WrongKeyError(), "WRONG_KEY"],
      [new NotEnoughSharesError(1, 3), "NOT_ENOUGH_SHARES"],
      [new ManifestSignatureError("x"), "INVALID_MANIFEST"],
      [new InvalidPublicKeyError(), "INVALID_ARGUMENT"],
      [new SegmentAuthenticationError(4), "SEALED_SEGMENT_AUTH"],
      [new TruncatedStreamError(), "SEALED_TRUNCATED"],
      [new UnwrapError(), "UNWRAP_FAILED"],
      [new NoWebCryptoError(), "NO_WEBCRYPTO"],
      [new InvalidArgumentError("x"), "INVALID_ARGUMENT"],
    ];
    for (const [core, code] of cases) {
      const sdk = fromCoreError(core);
      assert.ok(sdk instanceof SdkError, core.name);
      assert.equal(sdk.code, code, core.name);
      assert.equal(sdk.message, core.message);
      assert.equal(sdk.cause, core);
    }
    assert.deepEqual((fromCoreError(new SegmentAuthenticationError(4)) as SdkError).details, { segment: 4 });
    assert.deepEqual((fromCoreError(new NotEnoughSharesError(1, 3)) as SdkError).details, { threshold: 3, released: 1 });
    const other = new TypeError("not ours");
    assert.equal(fromCoreError(other), other);
  });
});

describe("sdk <-> node: sealed streams (crypto/sealed seal() -> sdk openSealed)", () => {
  const S = 64;
  for (const length of [0, 1, S - 1, S, S + 1, 2 * S, 10 * S, 10 * S + 7]) {
    it(`${length} bytes at segment size ${S} open to the same bytes, however the input is chunked`, async () => {
      const plaintext = randomBytes(length);
      const sealed = await sealWithNode(plaintext, S);
      for (const sizes of [[sealed.length || 1], [1], [5, 77, 1000], [S + 16], [S + 17, S + 15]]) {
        const result = await sdkOpen(sealed, sizes);
        assert.ok(result.ok, `chunks ${sizes}: ${!result.ok && result.code}`);
        assertBytes(result.plaintext, plaintext);
      }
    });
  }

  it("default segment size (1 MiB frames), a last segment of one byte", async () => {
    const plaintext = randomBytes(2 * (1048576 - 16) + 1);
    const sealed = await collect(seal([plaintext], { key, modelId }));
    const result = await sdkOpen(sealed, [65536]);
    assert.ok(result.ok);
    assertBytes(result.plaintext, plaintext);
  });

  it("reads the committed test vectors (test/crypto/vectors/sealed-v1.json)", async () => {
    const { vectors } = JSON.parse(readFileSync(new URL("../crypto/vectors/sealed-v1.json", import.meta.url), "utf8")) as {
      vectors: { name: string; key: string; modelId: string; plaintext: string; sealed: string }[];
    };
    assert.ok(vectors.length > 0);
    for (const v of vectors) {
      const out = await collect(openSealed([Buffer.from(v.sealed, "hex")], { key: Buffer.from(v.key, "hex"), modelId: Buffer.from(v.modelId, "hex") }));
      assert.equal(Buffer.from(out).toString("hex"), v.plaintext, v.name);
    }
  });

  it("an empty final segment after a full one (never written) is refused alike by both: SEALED_TRUNCATED", async () => {
    // segment 0 full and non-final, then an empty final segment: docs/FORMAT.md refuses it.
    const opened = await createHeader({ key, modelId, segmentSize: S });
    const body = randomBytes(S);
    const sealed = Buffer.concat([opened.header.bytes, ...(await sealSegment(opened, 0, false, [body])), ...(await sealSegment(opened, 1, true, []))]);
    const [node, sdk] = [await nodeOpen(sealed), await sdkOpen(sealed, [50])];
    assert.deepEqual(sdk, { ok: false, code: "SEALED_TRUNCATED", segment: undefined });
    assert.deepEqual(node, sdk);
  });

  it("truncation: at a segment boundary, inside the header, inside a tag, the final segment dropped", async () => {
    const sealed = await sealWithNode(randomBytes(3 * S + 10), S);
    const frame = S + 16;
    assert.deepEqual(await sdkOpen(sealed.subarray(0, 112 + 2 * frame)), { ok: false, code: "SEALED_TRUNCATED", segment: undefined });
    assert.deepEqual(await sdkOpen(sealed.subarray(0, 112 + 3 * frame)), { ok: false, code: "SEALED_TRUNCATED", segment: undefined });
    assert.equal((await sdkOpen(sealed.subarray(0, 100))).code, "SEALED_TRUNCATED");
    assert.equal((await sdkOpen(sealed.subarray(0, 112 + frame + 5))).code, "SEALED_TRUNCATED");
    assert.equal((await sdkOpen(new Uint8Array(0))).code, "SEALED_TRUNCATED");
    const cutInFrame = await sdkOpen(sealed.subarray(0, 112 + frame + 40));
    assert.deepEqual([cutInFrame.code, cutInFrame.segment], ["SEALED_SEGMENT_AUTH", 1]);
    // The empty stream: header + one 16-byte final frame; without its tag it is truncated.
    const empty = await sealWithNode(new Uint8Array(0), S);
    assert.equal(empty.length, 128);
    assert.equal((await sdkOpen(empty.subarray(0, 112))).code, "SEALED_TRUNCATED");
  });

  it("extension, reordering, wrong key, another model: the node's failure names", async () => {
    const sealed = await sealWithNode(randomBytes(3 * S), S); // full final frame
    const frame = S + 16;
    assert.equal((await sdkOpen(Buffer.concat([sealed, Buffer.from([1])]))).code, "SEALED_TRAILING_DATA");
    const swapped = Buffer.concat([sealed.subarray(0, 112), sealed.subarray(112 + frame, 112 + 2 * frame), sealed.subarray(112, 112 + frame), sealed.subarray(112 + 2 * frame)]);
    assert.deepEqual(await sdkOpen(swapped), { ok: false, code: "SEALED_SEGMENT_AUTH", segment: 0 });
    assert.equal((await sdkOpen(sealed, undefined, { key: randomBytes(32) })).code, "WRONG_KEY");
    assert.equal((await sdkOpen(sealed, undefined, { modelId: randomBytes(32) })).code, "SEALED_MODEL_MISMATCH");
  });

  it("a flipped byte anywhere fails with the same code (and segment) as the node's reader (300 random cases)", async () => {
    const cases = await Promise.all([0, 1, S, 3 * S + 5].map(async (n) => sealWithNode(randomBytes(n), S)));
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: cases.length - 1 }), fc.nat(), fc.integer({ min: 1, max: 255 }), async (which, at, mask) => {
        const tampered = Buffer.from(cases[which]!);
        const position = at % tampered.length;
        tampered[position]! ^= mask;
        const [node, sdk] = [await nodeOpen(tampered), await sdkOpen(tampered, [7, 100])];
        assert.equal(sdk.ok, false, `byte ${position} flipped and still opened`);
        assert.deepEqual({ code: sdk.code, segment: sdk.segment }, { code: node.code, segment: node.segment }, `byte ${position}`);
      }),
      { numRuns: 300 },
    );
  });

  it("yields nothing of a segment that fails, nor after it", async () => {
    const plaintext = randomBytes(5 * S);
    const sealed = Buffer.from(await sealWithNode(plaintext, S));
    sealed[112 + 2 * (S + 16) + 3]! ^= 1; // segment 2
    const got: Uint8Array[] = [];
    await assertSdkCode(
      (async () => {
        for await (const piece of openSealed([sealed], { key, modelId })) got.push(piece);
      })(),
      "SEALED_SEGMENT_AUTH",
      (e) => assert.equal(e.details.segment, 2),
    );
    assertBytes(Buffer.concat(got), plaintext.subarray(0, 2 * S));
  });
});

describe("sdk <-> node: ECIES, shares, release signatures, manifests", () => {
  it("keyCommitment is crypto/derive's", () => {
    const k = randomBytes(32);
    assertBytes(keyCommitment(k), nodeKeyCommitment(k));
  });

  it("unwraps what crypto/ecies wrapKey wraps, to an SDK-generated key, under the release context", async () => {
    const recipient = generateRecipientKey();
    const ticketId = bytesToHex(randomBytes(32)).toUpperCase().replace("0X", "0x") as `0x${string}`;
    const context = releaseContext(ticketId);
    assert.equal(context, `custody/release/${ticketId.toLowerCase()}`);
    for (const length of [0, 1, 67, 300]) {
      const secret = randomBytes(length);
      const wrapped = await wrapKey(recipient.publicKey, secret, context);
      assertBytes(await unwrapKey(recipient.privateKey, wrapped, context), secret);
    }
    // And a node-generated key pair, with the default (empty) context.
    const nodePair = generateKeyPair();
    const secret = randomBytes(67);
    assertBytes(await unwrapKey(nodePair.privateKey, await wrapKey(nodePair.publicKey, secret)), secret);
  });

  it("refuses a wrong context, a wrong key, a flipped byte, a short input: UNWRAP_FAILED", async () => {
    const recipient = generateRecipientKey();
    const wrapped = await wrapKey(recipient.publicKey, randomBytes(67), "custody/release/0xab");
    await assertSdkCode(unwrapKey(recipient.privateKey, wrapped, "custody/release/0xac"), "UNWRAP_FAILED");
    await assertSdkCode(unwrapKey(generateRecipientKey().privateKey, wrapped, "custody/release/0xab"), "UNWRAP_FAILED");
    for (const at of [0, 1, 40, wrapped.length - 1]) {
      const bad = Buffer.from(wrapped);
      bad[at]! ^= 4;
      await assertSdkCode(unwrapKey(recipient.privateKey, bad, "custody/release/0xab"), "UNWRAP_FAILED");
    }
    await assertSdkCode(unwrapKey(recipient.privateKey, wrapped.subarray(0, 60), "custody/release/0xab"), "UNWRAP_FAILED");
  });

  it("combines crypto/shares splitKey output: any k of n, routes around a corrupt extra share", async () => {
    const k = new Uint8Array(randomBytes(32)); // the library wants a plain Uint8Array, not a Buffer
    const shares = await splitKey(k, 3, 5);
    for (const subset of [[0, 1, 2], [4, 2, 0], [1, 3, 4], [0, 1, 2, 3, 4]]) {
      assertBytes(await combineShares(subset.map((i) => shares[i]!)), k);
    }
    await assertSdkCode(combineShares([shares[0]!, shares[1]!]), "NOT_ENOUGH_SHARES");
    await assertSdkCode(combineShares([shares[0]!, shares[0]!, shares[1]!]), "NOT_ENOUGH_SHARES");
    const corrupt = Buffer.from(shares[1]!);
    corrupt[40]! ^= 1;
    assertBytes(await combineShares([shares[0]!, corrupt, shares[2]!, shares[3]!]), k);
    await assertSdkCode(combineShares([shares[0]!, corrupt, shares[2]!]), "SHARES_INVALID");
    const other = await splitKey(new Uint8Array(randomBytes(32)), 3, 5);
    await assertSdkCode(combineShares([shares[0]!, other[1]!, shares[2]!]), "SHARES_MISMATCHED");
    await assertSdkCode(combineShares([shares[0]!.subarray(0, 66)]), "SHARE_MALFORMED");
  });

  it("signRelease: node/custody/protocol releaseSignedBy accepts it for the recipient key only", () => {
    const domain = { chainId: 31337, vault: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address };
    const recipient = generateRecipientKey();
    const body = { ticketId: bytesToHex(randomBytes(32)), modelId: "12345678901234567890", version: 3 };
    assertBytes(releaseDigest(domain, body), nodeReleaseDigest(domain, body));
    const request = signRelease(recipient.privateKey, domain, body);
    assert.deepEqual(shareReleaseSchema.parse(request), request); // the custodian's schema
    assert.equal(nodeReleaseSignedBy(domain, request, bytesToHex(recipient.publicKey)), true);
    assert.equal(nodeReleaseSignedBy(domain, request, bytesToHex(generateRecipientKey().publicKey)), false);
    assert.equal(nodeReleaseSignedBy({ ...domain, chainId: 1 }, request, bytesToHex(recipient.publicKey)), false);
    assert.equal(nodeReleaseSignedBy(domain, { ...request, version: 4 }, bytesToHex(recipient.publicKey)), false);
    // Low s, as the custodian's strict check requires (it passed above); and the other way round.
    const s = BigInt(`0x${request.signature.slice(66)}`);
    assert.ok(s <= 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n);
    const nodeSigned = nodeSignRelease(recipient.privateKey, domain, body);
    assert.equal(releaseSignedBy(domain, nodeSigned, bytesToHex(recipient.publicKey)), true);
    assert.equal(releaseSignedBy(domain, request, bytesToHex(recipient.publicKey)), true);
  });

  it("reads a manifest block signed by node/models/manifest: CID, schema, owner's EIP-712 signature", async () => {
    const owner = privateKeyToAccount(bytesToHex(randomBytes(32)));
    const content = CID.parse("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi");
    const manifest: Manifest = {
      format: "modelvault/manifest/1", modelId: bytesToHex(randomBytes(32)), version: 1, name: "tiny", owner: owner.address,
      cipher: "aes-256-gcm-stream/1", content, plaintextSize: 10, sealedSize: 138, segmentSize: 64, noncePrefix: bytesToHex(randomBytes(7)),
      keyCommitment: bytesToHex(randomBytes(32)), storage: { root: bytesToHex(randomBytes(32)), segmentSize: 4096 },
      custodians: [], threshold: 0,
    };
    const { cid, bytes } = await encodeSignedManifest(await signModelManifest(owner, manifest));
    checkManifestBlock(cid, bytes);
    const signed = await decodeSignedManifest(bytes, owner.address);
    assert.equal(signed.signer, owner.address);
    assert.equal(signed.manifest.content.toString(), content.toString());
    assert.equal(signed.manifest.keyCommitment, manifest.keyCommitment);

    const stranger = privateKeyToAccount(bytesToHex(randomBytes(32))).address;
    await assertSdkCode(decodeSignedManifest(bytes, stranger), "INVALID_MANIFEST");
    const tampered = Buffer.from(bytes);
    const at = tampered.indexOf(Buffer.from('"tiny"')) + 1;
    tampered[at] = "T".charCodeAt(0);
    assert.throws(() => checkManifestBlock(cid, tampered), (e: unknown) => e instanceof SdkError && e.code === "INVALID_MANIFEST");
    await assertSdkCode(decodeSignedManifest(tampered), "INVALID_MANIFEST"); // signature no longer from the owner
    assert.throws(() => checkManifestBlock(content, bytes), (e: unknown) => e instanceof SdkError && e.code === "INVALID_MANIFEST");
    // A forged owner field (signed by someone else) is refused.
    const forged = await encodeSignedManifest({ manifest: { ...manifest, owner: stranger }, signature: (await signModelManifest(owner, manifest)).signature });
    await assertSdkCode(decodeSignedManifest(forged.bytes), "INVALID_MANIFEST");
    assert.ok(hexToBytes(manifest.keyCommitment).length === 32);
  });
});
