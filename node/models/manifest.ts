/**
 * The model manifest: what a licensee needs to find, check and open a sealed model. Stored on
 * IPFS as a dag-json block { manifest, signature }, signed by the owner (EIP-712 over the
 * manifest's canonical dag-json bytes, crypto/manifest-signature.ts). Its CID is what the
 * registry records on chain.
 */
import * as dagJson from "@ipld/dag-json";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import type { Address, Hex, LocalAccount } from "viem";
import { z } from "zod";
import { signManifest, verifyManifest, ManifestSignatureError } from "../../crypto/index.js";
import { InvalidManifestError } from "../errors.js";

export const MANIFEST_FORMAT = "modelvault/manifest/1";

const hex = (bytes: number) =>
  z.string().regex(new RegExp(`^0x[0-9a-f]{${bytes * 2}}$`), `${bytes}-byte lowercase hex`) as unknown as z.ZodType<Hex>;
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address") as z.ZodType<Address>;
const cid = z.custom<CID>((v) => CID.asCID(v) !== null, "a CID");
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const manifestSchema = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    /** The 32-byte id bound into the sealed stream's header and every segment. */
    modelId: hex(32),
    /** Key version: rotation publishes a new manifest with version + 1. */
    version: z.number().int().min(1),
    name: z.string().max(200).optional(),
    owner: address,
    cipher: z.literal("aes-256-gcm-stream/1"),
    /** The sealed stream (header + frames) as a UnixFS file, one frame per raw leaf. */
    content: cid,
    plaintextSize: count,
    sealedSize: count,
    segmentSize: z.number().int().min(1).max(2 ** 24),
    noncePrefix: hex(7),
    /** crypto keyCommitment(content key): checks a recombined key before any fetch. */
    keyCommitment: hex(32),
    /** SHA-256 Merkle root over 4 KiB ciphertext segments, for storage challenges (node/storage/storage-tree.ts). */
    storage: z.object({ root: hex(32), segmentSize: z.literal(4096) }).strict(),
    /** Poseidon commitment of the quantized weights (decimal field element), when a model. */
    weightsCommitment: z.string().regex(/^[0-9]{1,78}$/).optional(),
    custodians: z.array(address).max(64),
    threshold: z.number().int().min(0).max(255),
  })
  .strict()
  .refine((m) => m.custodians.length === 0 ? m.threshold === 0 : m.threshold >= 1 && m.threshold <= m.custodians.length, {
    message: "threshold must be 1..custodians (or 0 without custodians)",
  });

export type Manifest = z.infer<typeof manifestSchema>;

export interface SignedManifest {
  manifest: Manifest;
  signature: Hex;
}

/** Validates a manifest, with the failing field named in the error. */
export function parseManifest(value: unknown): Manifest {
  const result = manifestSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new InvalidManifestError(`manifest ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return result.data;
}

export async function signModelManifest(owner: LocalAccount, manifest: Manifest): Promise<SignedManifest> {
  const checked = parseManifest(manifest);
  if (checked.owner.toLowerCase() !== owner.address.toLowerCase()) throw new InvalidManifestError("manifest owner is not the signer");
  return { manifest: checked, signature: await signManifest(owner, checked) };
}

/** The dag-json block of a signed manifest and its CID (CIDv1, dag-json, sha2-256). */
export async function encodeSignedManifest(signed: SignedManifest): Promise<{ cid: CID; bytes: Uint8Array }> {
  const bytes = dagJson.encode(signed);
  return { cid: CID.createV1(dagJson.code, await sha256.digest(bytes)), bytes };
}

/**
 * Decodes and checks a signed manifest block: schema, then the signature, which must come from
 * the manifest's owner (and from `expectedOwner` when the caller knows it, e.g. from the chain).
 */
export async function decodeSignedManifest(bytes: Uint8Array, expectedOwner?: Address): Promise<SignedManifest> {
  let value: { manifest?: unknown; signature?: unknown };
  try {
    value = dagJson.decode(bytes);
  } catch (error) {
    throw new InvalidManifestError("manifest block is not dag-json", { cause: error });
  }
  if (typeof value !== "object" || value === null || typeof value.signature !== "string") {
    throw new InvalidManifestError("manifest block lacks a signature");
  }
  const manifest = parseManifest(value.manifest);
  const signature = value.signature as Hex;
  try {
    await verifyManifest(manifest, signature, { expectedSigner: manifest.owner });
    if (expectedOwner !== undefined) await verifyManifest(manifest, signature, { expectedSigner: expectedOwner });
  } catch (error) {
    if (error instanceof ManifestSignatureError) throw new InvalidManifestError(error.message, { cause: error });
    throw error;
  }
  return { manifest, signature };
}
