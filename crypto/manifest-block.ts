/**
 * The signed manifest block, one implementation for the node and the SDK: a dag-json block
 * { manifest, signature } whose CID (CIDv1, dag-json, sha2-256) the registry records. Decoding
 * checks the schema (manifest-schema.ts) and the owner's EIP-712 signature (manifest-signature.ts).
 * Each caller says which error an invalid block is (the node's InvalidManifestError, the SDK's
 * INVALID_MANIFEST), as sealedLayout's callers do.
 */
import * as dagJson from "@ipld/dag-json";
import { CID } from "multiformats/cid";
import { create as createDigest } from "multiformats/hashes/digest";
import { isAddressEqual, type Address, type Hex } from "viem";
import { platform } from "#crypto-platform";
import { constantTimeEqual } from "./bytes.js";
import { ManifestSignatureError } from "./errors.js";
import { checkManifest, type Manifest } from "./manifest-schema.js";
import { verifyManifest } from "./manifest-signature.js";

const SHA2_256_CODE = 0x12;

/** The error for an invalid manifest block, in the caller's own type. */
export type InvalidManifest = (message: string, cause?: unknown) => Error;

export interface DecodedManifest {
  manifest: Manifest;
  signature: Hex;
  /** The address that signed it: the manifest's owner. */
  signer: Address;
}

/** The dag-json block of a signed manifest and its CID. */
export function encodeManifestBlock(signed: { manifest: Manifest; signature: Hex }): { cid: CID; bytes: Uint8Array } {
  const bytes = dagJson.encode(signed);
  return { cid: CID.createV1(dagJson.code, createDigest(SHA2_256_CODE, platform.sha256(bytes))), bytes };
}

/** Throws `invalid` unless `cid` is a dag-json/sha2-256 CID: checkable before anything is fetched. */
export function checkManifestCid(cid: CID, invalid: InvalidManifest): void {
  if (cid.code !== dagJson.code || cid.multihash.code !== SHA2_256_CODE) throw invalid(`${cid} is not a manifest CID (dag-json, sha2-256)`);
}

/** Throws `invalid` unless `cid` is a dag-json/sha2-256 CID and `bytes` hash to it. */
export function checkManifestBlock(cid: CID, bytes: Uint8Array, invalid: InvalidManifest): void {
  checkManifestCid(cid, invalid);
  if (!constantTimeEqual(platform.sha256(bytes), cid.multihash.digest)) throw invalid(`the node sent a manifest that does not match ${cid}`);
}

/**
 * Decodes a signed manifest block and checks its schema and its signature, which must come from
 * the manifest's owner (and from `expectedOwner` when given, e.g. the owner the registry names).
 */
export async function decodeManifestBlock(bytes: Uint8Array, expectedOwner: Address | undefined, invalid: InvalidManifest): Promise<DecodedManifest> {
  let value: { manifest?: unknown; signature?: unknown };
  try {
    value = dagJson.decode(bytes);
  } catch (error) {
    throw invalid("manifest block is not dag-json", error);
  }
  if (typeof value !== "object" || value === null || typeof value.signature !== "string" || !/^0x[0-9a-fA-F]{130}$/.test(value.signature)) {
    throw invalid("manifest block lacks a signature");
  }
  const checked = checkManifest(value.manifest);
  if (!checked.ok) throw invalid(checked.message);
  const { manifest } = checked;
  const signature = value.signature as Hex;
  let signer: Address;
  try {
    signer = await verifyManifest(manifest, signature, { expectedSigner: manifest.owner });
  } catch (error) {
    if (error instanceof ManifestSignatureError) throw invalid(error.message, error);
    throw error;
  }
  if (expectedOwner !== undefined && !isAddressEqual(signer, expectedOwner)) throw invalid(`manifest signed by ${signer}, expected ${expectedOwner}`);
  return { manifest, signature, signer };
}
