/**
 * Signed manifests as node/models/manifest.ts writes them: a dag-json block {manifest, signature}
 * whose CID (CIDv1, dag-json, sha2-256) the registry records, signed by the owner with EIP-712
 * (domain {name: "modelvault", version: "1"}, type ModelManifest {bytes32 digest}) over
 * keccak256 of the manifest's canonical dag-json bytes (crypto/manifest-signature.ts).
 */
import * as dagJson from "@ipld/dag-json";
import { sha256 } from "@noble/hashes/sha2.js";
import { CID } from "multiformats/cid";
import { isAddressEqual, keccak256, recoverTypedDataAddress, type Address, type Hex } from "viem";
import { z } from "zod";
import { constantTimeEqual } from "./bytes.js";
import { SdkError } from "./errors.js";

export const MANIFEST_FORMAT = "modelvault/manifest/1";
/** Multicodec of dag-json and multihash of sha2-256. */
const DAG_JSON_CODE = 0x0129;
const SHA2_256_CODE = 0x12;

const hex = (bytes: number) => z.string().regex(new RegExp(`^0x[0-9a-f]{${bytes * 2}}$`), `${bytes}-byte lowercase hex`) as unknown as z.ZodType<Hex>;
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address") as unknown as z.ZodType<Address>;
const cid = z.custom<CID>((v) => CID.asCID(v) !== null, "a CID");
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** The same schema as node/models/manifest.ts. */
export const manifestSchema = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    modelId: hex(32),
    version: z.number().int().min(1),
    name: z.string().max(200).optional(),
    owner: address,
    cipher: z.literal("aes-256-gcm-stream/1"),
    content: cid,
    plaintextSize: count,
    sealedSize: count,
    segmentSize: z.number().int().min(1).max(2 ** 24),
    noncePrefix: hex(7),
    keyCommitment: hex(32),
    storage: z.object({ root: hex(32), segmentSize: z.literal(4096) }).strict(),
    weightsCommitment: z.string().regex(/^[0-9]{1,78}$/).optional(),
    custodians: z.array(address).max(64),
    threshold: z.number().int().min(0).max(255),
  })
  .strict()
  .refine((m) => (m.custodians.length === 0 ? m.threshold === 0 : m.threshold >= 1 && m.threshold <= m.custodians.length), {
    message: "threshold must be 1..custodians (or 0 without custodians)",
  });

export type Manifest = z.infer<typeof manifestSchema>;

export interface SignedManifest {
  manifest: Manifest;
  signature: Hex;
  /** The address that signed it (the manifest's owner). */
  signer: Address;
}

export const MANIFEST_TYPES = { ModelManifest: [{ name: "digest", type: "bytes32" }] } as const;
const MANIFEST_DOMAIN = { name: "modelvault", version: "1" } as const;

export function parseCid(text: string | CID): CID {
  if (typeof text !== "string") {
    const asCid = CID.asCID(text);
    if (asCid === null) throw new SdkError("INVALID_ARGUMENT", "not a CID");
    return asCid;
  }
  try {
    return CID.parse(text);
  } catch {
    throw new SdkError("INVALID_ARGUMENT", `not a CID: ${JSON.stringify(text.slice(0, 100))}`);
  }
}

/** Throws INVALID_MANIFEST unless `bytes` hash to `cid`, a dag-json/sha2-256 CID. */
export function checkManifestBlock(cid: CID, bytes: Uint8Array): void {
  if (cid.code !== DAG_JSON_CODE || cid.multihash.code !== SHA2_256_CODE) {
    throw new SdkError("INVALID_MANIFEST", `${cid} is not a manifest CID (dag-json, sha2-256)`);
  }
  if (!constantTimeEqual(sha256(bytes), cid.multihash.digest)) throw new SdkError("INVALID_MANIFEST", `the node sent a manifest that does not match ${cid}`);
}

/**
 * Decodes a signed manifest block and checks its schema and its signature, which must come from
 * the manifest's owner (and from `expectedOwner` when given, e.g. the owner the registry names).
 */
export async function decodeSignedManifest(bytes: Uint8Array, expectedOwner?: Address): Promise<SignedManifest> {
  let value: { manifest?: unknown; signature?: unknown };
  try {
    value = dagJson.decode(bytes);
  } catch (error) {
    throw new SdkError("INVALID_MANIFEST", "manifest block is not dag-json", {}, { cause: error });
  }
  if (typeof value !== "object" || value === null || typeof value.signature !== "string" || !/^0x[0-9a-fA-F]{130}$/.test(value.signature)) {
    throw new SdkError("INVALID_MANIFEST", "manifest block lacks a signature");
  }
  const parsed = manifestSchema.safeParse(value.manifest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SdkError("INVALID_MANIFEST", `manifest ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  const manifest = parsed.data;
  const signature = value.signature as Hex;
  // The digest is over the manifest exactly as stored (dag-json is canonical: sorted keys).
  const digest = keccak256(dagJson.encode(value.manifest));
  let signer: Address;
  try {
    signer = await recoverTypedDataAddress({ domain: MANIFEST_DOMAIN, types: MANIFEST_TYPES, primaryType: "ModelManifest", message: { digest }, signature });
  } catch (error) {
    throw new SdkError("INVALID_MANIFEST", "malformed manifest signature", {}, { cause: error });
  }
  if (!isAddressEqual(signer, manifest.owner)) throw new SdkError("INVALID_MANIFEST", `manifest signed by ${signer}, expected ${manifest.owner}`);
  if (expectedOwner !== undefined && !isAddressEqual(signer, expectedOwner)) {
    throw new SdkError("INVALID_MANIFEST", `manifest signed by ${signer}, expected ${expectedOwner}`);
  }
  return { manifest, signature, signer };
}
