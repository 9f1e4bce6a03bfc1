/**
 * The model manifest (crypto/manifest-schema.ts: format 1 for a file, 2 for a directory): what a
 * licensee needs to find, check and open a sealed model. Stored on
 * IPFS as a dag-json block { manifest, signature }, signed by the owner (EIP-712 over the
 * manifest's canonical dag-json bytes, crypto/manifest-signature.ts). Its CID is what the
 * registry records on chain.
 */
import type { CID } from "multiformats/cid";
import type { Address, Hex, LocalAccount } from "viem";
import { signManifest } from "../../crypto/index.js";
import { decodeManifestBlock, encodeManifestBlock } from "../../crypto/manifest-block.js";
import { checkManifest, isDirectoryManifest, type FileManifest, type Manifest } from "../../crypto/manifest-schema.js";
import { InvalidManifestError, NotAFileError } from "../errors.js";

export {
  DIRECTORY_MANIFEST_FORMAT,
  isDirectoryManifest,
  MANIFEST_FORMAT,
  manifestSchema,
  type DirectoryFile,
  type DirectoryManifest,
  type FileManifest,
  type Manifest,
} from "../../crypto/manifest-schema.js";

export interface SignedManifest<M extends Manifest = Manifest> {
  manifest: M;
  signature: Hex;
}

/** The signed manifest of a one-file model; a directory model is read file by file. */
export function fileModel(signed: SignedManifest): SignedManifest<FileManifest> {
  if (isDirectoryManifest(signed.manifest)) throw new NotAFileError("a directory model: fetch it as a directory, or one of its files");
  return signed as SignedManifest<FileManifest>;
}

/** Validates a manifest of either format, with the failing field named in the error. */
export function parseManifest(value: unknown): Manifest {
  const checked = checkManifest(value);
  if (!checked.ok) throw new InvalidManifestError(checked.message);
  return checked.manifest;
}

export async function signModelManifest(owner: LocalAccount, manifest: Manifest): Promise<SignedManifest> {
  const checked = parseManifest(manifest);
  if (checked.owner.toLowerCase() !== owner.address.toLowerCase()) throw new InvalidManifestError("manifest owner is not the signer");
  return { manifest: checked, signature: await signManifest(owner, checked) };
}

/** The dag-json block of a signed manifest and its CID (CIDv1, dag-json, sha2-256). */
export async function encodeSignedManifest(signed: SignedManifest): Promise<{ cid: CID; bytes: Uint8Array }> {
  return encodeManifestBlock(signed);
}

const invalidManifest = (message: string, cause?: unknown) => new InvalidManifestError(message, cause === undefined ? undefined : { cause });

/**
 * Decodes and checks a signed manifest block (crypto/manifest-block.ts): schema, then the
 * signature, which must come from the manifest's owner (and from `expectedOwner` when the caller
 * knows it, e.g. from the chain).
 */
export async function decodeSignedManifest(bytes: Uint8Array, expectedOwner?: Address): Promise<SignedManifest> {
  const { manifest, signature } = await decodeManifestBlock(bytes, expectedOwner, invalidManifest);
  return { manifest, signature };
}
