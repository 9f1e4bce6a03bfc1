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
import { checkManifest, type Manifest } from "../crypto/manifest-schema.js";
import { constantTimeEqual } from "../crypto/bytes.js";
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
/** Multicodec of dag-json and multihash of sha2-256. */
const DAG_JSON_CODE = 0x0129;
const SHA2_256_CODE = 0x12;

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
  const parsed = checkManifest(value.manifest);
  if (!parsed.ok) throw new SdkError("INVALID_MANIFEST", parsed.message);
  const manifest = parsed.manifest;
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
