/**
 * Signed manifests in the SDK: crypto/manifest-block.ts (the dag-json block {manifest, signature},
 * its CID, the schema and the owner's EIP-712 signature), the node's own code, failing with
 * INVALID_MANIFEST; and CIDs given as text.
 */
import { CID } from "multiformats/cid";
import type { Address } from "viem";
import { checkManifestBlock as checkBlock, decodeManifestBlock, type DecodedManifest } from "../crypto/manifest-block.js";
import { SdkError } from "./errors.js";

/** The schema is the node's own (crypto/manifest-schema.ts, free of Node built-ins). */
export {
  DIRECTORY_MANIFEST_FORMAT,
  isDirectoryManifest,
  MANIFEST_FORMAT,
  manifestSchema,
  type DirectoryFile,
  type DirectoryManifest,
  type FileManifest,
  type Manifest,
} from "../crypto/manifest-schema.js";
/** A decoded manifest block: the manifest, its signature and the address that signed it (its owner). */
export type SignedManifest = DecodedManifest;

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

const invalidManifest = (message: string, cause?: unknown) => new SdkError("INVALID_MANIFEST", message, {}, cause === undefined ? undefined : { cause });

/** Throws INVALID_MANIFEST unless `bytes` hash to `cid`, a dag-json/sha2-256 CID. */
export function checkManifestBlock(cid: CID, bytes: Uint8Array): void {
  checkBlock(cid, bytes, invalidManifest);
}

/**
 * Decodes a signed manifest block and checks its schema and its signature, which must come from
 * the manifest's owner (and from `expectedOwner` when given, e.g. the owner the registry names).
 */
export function decodeSignedManifest(bytes: Uint8Array, expectedOwner?: Address): Promise<SignedManifest> {
  return decodeManifestBlock(bytes, expectedOwner, invalidManifest);
}
