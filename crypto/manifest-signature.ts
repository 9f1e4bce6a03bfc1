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

export async function signManifest(account: LocalAccount, manifest: unknown, options: ManifestDomainOptions = {}): Promise<Hex> {
  return account.signTypedData({
    domain: domain(options),
    types: MANIFEST_TYPES,
    primaryType: "ModelManifest",
    message: { digest: manifestDigest(manifest) },
  });
}

/** Recovers the manifest's signer; with `expectedSigner`, throws unless it matches. */
export async function verifyManifest(
  manifest: unknown,
  signature: Hex,
  options: ManifestDomainOptions & { expectedSigner?: Address } = {},
): Promise<Address> {
  const digest = manifestDigest(manifest);
  let signer: Address;
  try {
    signer = await recoverTypedDataAddress({
      domain: domain(options),
      types: MANIFEST_TYPES,
      primaryType: "ModelManifest",
      message: { digest },
      signature,
    });
  } catch {
    throw new ManifestSignatureError("malformed manifest signature");
  }
  if (options.expectedSigner !== undefined && !isAddressEqual(signer, options.expectedSigner)) {
    throw new ManifestSignatureError(`manifest signed by ${signer}, expected ${options.expectedSigner}`);
  }
  return signer;
}
