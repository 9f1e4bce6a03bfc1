/**
 * Manifest signatures: EIP-712 typed data (viem) over the keccak256 digest of the manifest's
 * canonical encoding, dag-json (sorted map keys, no floats, deterministic bytes), which is also
 * how the manifest is stored on IPFS. Verifying recovers the signer's address.
 */
import { encode } from "@ipld/dag-json";
import { isAddressEqual, keccak256, recoverTypedDataAddress, type Address, type Hex, type LocalAccount } from "viem";
import { InvalidArgumentError, ManifestSignatureError } from "./errors.js";

export const MANIFEST_TYPES = {
  ModelManifest: [{ name: "digest", type: "bytes32" }],
} as const;

export interface ManifestDomainOptions {
  /** Binds the signature to one chain when given. */
  chainId?: number;
}

function domain(options: ManifestDomainOptions) {
  return { name: "modelvault", version: "1", ...(options.chainId === undefined ? {} : { chainId: options.chainId }) };
}

/** The manifest's canonical bytes (dag-json). */
export function canonicalManifestBytes(manifest: unknown): Uint8Array {
  try {
    return encode(manifest);
  } catch (error) {
    throw new InvalidArgumentError(`manifest has no canonical dag-json encoding: ${(error as Error).message}`);
  }
}

export function manifestDigest(manifest: unknown): Hex {
  return keccak256(canonicalManifestBytes(manifest));
}

/**
 * The EIP-712 typed data a manifest's owner signs, as eth_signTypedData_v4 and viem's
 * signTypedData take it (EIP712Domain is implied): a wallet signs exactly this.
 */
export function manifestTypedData(manifest: unknown, options: ManifestDomainOptions = {}) {
  return { domain: domain(options), types: MANIFEST_TYPES, primaryType: "ModelManifest" as const, message: { digest: manifestDigest(manifest) } };
}

export async function signManifest(account: LocalAccount, manifest: unknown, options: ManifestDomainOptions = {}): Promise<Hex> {
  return account.signTypedData(manifestTypedData(manifest, options));
}

/** Recovers the manifest's signer; with `expectedSigner`, throws unless it matches. */
export async function verifyManifest(
  manifest: unknown,
  signature: Hex,
  options: ManifestDomainOptions & { expectedSigner?: Address } = {},
): Promise<Address> {
  const typedData = manifestTypedData(manifest, options);
  let signer: Address;
  try {
    signer = await recoverTypedDataAddress({ ...typedData, signature });
  } catch {
    throw new ManifestSignatureError("malformed manifest signature");
  }
  if (options.expectedSigner !== undefined && !isAddressEqual(signer, options.expectedSigner)) {
    throw new ManifestSignatureError(`manifest signed by ${signer}, expected ${options.expectedSigner}`);
  }
  return signer;
}
