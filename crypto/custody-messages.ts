/**
 * The custody protocol's messages and their signatures (EIP-712, viem):
 *   ShareDeposit   owner -> custodian: one share, wrapped to the custodian's registered key
 *   DepositReceipt custodian -> owner: the share is stored and the content pinned
 *   ShareRelease   licensee -> custodian: release for a ticket, signed by the ticket's
 *                  recipient key. A repeat gets the answer recorded for the ticket (release-log.ts),
 *                  so the same signed request goes to every custodian (one signature per access);
 *                  it is an EIP-712 digest signed as plain ECDSA (r ‖ s) and checked against the
 *                  key the chain recorded (the platform's secp256k1: libsecp256k1 on the node, so
 *                  no address recovery on a custodian's hot path; @noble/curves in browsers).
 * The domain binds chain and ModelVault, so a message for one deployment means nothing to another.
 * One implementation for the node (node/custody/) and the SDK (sdk/custody.ts); docs/PROTOCOL.md
 * describes the flow.
 */
import { z } from "zod";
import { platform } from "#crypto-platform";
import { InvalidArgumentError } from "./errors.js";
import {
  bytesToHex,
  hexToBytes,
  isAddressEqual,
  concatHex,
  hashDomain,
  encodeAbiParameters,
  keccak256,
  recoverTypedDataAddress,
  toHex,
  type Address,
  type Hex,
  type LocalAccount,
} from "viem";

export interface CustodyDomain {
  chainId: number;
  vault: Address;
}

const domainOf = (d: CustodyDomain) => ({ name: "modelvault custody", version: "1", chainId: d.chainId, verifyingContract: d.vault });

const TYPES = {
  ShareDeposit: [
    { name: "manifestCid", type: "string" },
    { name: "custodian", type: "address" },
    { name: "shareHash", type: "bytes32" },
  ],
  DepositReceipt: [
    { name: "manifestCid", type: "string" },
    { name: "custodian", type: "address" },
    { name: "shareHash", type: "bytes32" },
    { name: "contentCid", type: "string" },
  ],
  ShareRelease: [
    { name: "ticketId", type: "bytes32" },
    { name: "modelId", type: "uint256" },
    { name: "version", type: "uint16" },
  ],
} as const;

const hex = (bytes?: number) =>
  z.string().regex(bytes === undefined ? /^0x([0-9a-fA-F]{2})+$/ : new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), "hex bytes").transform((s) => s as Hex);
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address").transform((s) => s as Address);
const cid = z.string().min(8).max(128).regex(/^[a-zA-Z0-9]+$/, "a CID");
/** An ECIES-wrapped 67-byte share is 128 bytes; anything much larger is not a share. */
const wrappedShare = hex().refine((s) => s.length <= 2 + 2 * 512, "wrapped share too long");

export const shareDepositSchema = z
  .object({
    manifestCid: cid,
    owner: address,
    custodian: address,
    wrappedShare,
    /** Multiaddrs of peers holding the content, for the custodian to dial. */
    providers: z.array(z.string().min(1).max(512)).max(8).default([]),
    signature: hex(65),
  })
  .strict();
export type ShareDeposit = z.infer<typeof shareDepositSchema>;

export const depositReceiptSchema = z
  .object({ manifestCid: cid, custodian: address, shareHash: hex(32), contentCid: cid, signature: hex(65) })
  .strict();
export type DepositReceipt = z.infer<typeof depositReceiptSchema>;

const shareReleaseBodySchema = z
  .object({
    ticketId: hex(32),
    modelId: z.string().regex(/^[0-9]{1,78}$/, "a decimal model id"),
    version: z.number().int().min(1).max(65535),
  })
  .strict();
export const shareReleaseSchema = shareReleaseBodySchema
  .extend({
    /** ECDSA r ‖ s over the EIP-712 digest, by the ticket's recipient key. */
    signature: hex(64),
  })
  .strict();
export type ShareRelease = z.infer<typeof shareReleaseSchema>;
/** What a ShareRelease signs: the ticket, the decimal model id and the version. */
export type ShareReleaseBody = Omit<ShareRelease, "signature">;

export const releasedShareSchema = z.object({ ticketId: hex(32), custodian: address, wrappedShare }).strict();
export type ReleasedShare = z.infer<typeof releasedShareSchema>;

export const shareHash = (wrapped: Hex): Hex => keccak256(wrapped);

/** ECIES contexts: a share wrapped for one purpose never opens for another. */
export const depositContext = (manifestCid: string) => `custody/deposit/${manifestCid}`;
export const releaseContext = (ticketId: Hex) => `custody/release/${ticketId.toLowerCase()}`;

/** The ShareDeposit types alone: what a wallet is shown (EIP712Domain is implied). */
const DEPOSIT_TYPES = { ShareDeposit: TYPES.ShareDeposit } as const;

/**
 * The EIP-712 typed data the owner signs for one deposit, as eth_signTypedData_v4 and viem's
 * signTypedData take it: a wallet signs exactly this.
 */
export function depositTypedData(domain: CustodyDomain, body: Pick<ShareDeposit, "manifestCid" | "custodian" | "wrappedShare">) {
  return {
    domain: domainOf(domain),
    types: DEPOSIT_TYPES,
    primaryType: "ShareDeposit" as const,
    message: { manifestCid: body.manifestCid, custodian: body.custodian, shareHash: shareHash(body.wrappedShare) },
  };
}

export async function signDeposit(
  owner: LocalAccount,
  domain: CustodyDomain,
  body: Omit<ShareDeposit, "signature" | "owner">,
): Promise<ShareDeposit> {
  const signature = await owner.signTypedData!(depositTypedData(domain, body));
  return { ...body, owner: owner.address, signature };
}

export async function depositSigner(domain: CustodyDomain, deposit: Omit<ShareDeposit, "owner" | "providers">): Promise<Address> {
  return recoverTypedDataAddress({ ...depositTypedData(domain, deposit), signature: deposit.signature });
}

export async function signReceipt(
  custodian: LocalAccount,
  domain: CustodyDomain,
  body: Omit<DepositReceipt, "signature" | "custodian">,
): Promise<DepositReceipt> {
  const signature = await custodian.signTypedData!({
    domain: domainOf(domain),
    types: TYPES,
    primaryType: "DepositReceipt",
    message: { ...body, custodian: custodian.address },
  });
  return { ...body, custodian: custodian.address, signature };
}

/** Whether `receipt` is signed by `custodian` for exactly this share. */
export async function receiptHolds(domain: CustodyDomain, receipt: DepositReceipt, custodian: Address, wrapped: Hex): Promise<boolean> {
  if (!isAddressEqual(receipt.custodian, custodian) || receipt.shareHash !== shareHash(wrapped)) return false;
  try {
    const signer = await recoverTypedDataAddress({
      domain: domainOf(domain),
      types: TYPES,
      primaryType: "DepositReceipt",
      message: { manifestCid: receipt.manifestCid, custodian: receipt.custodian, shareHash: receipt.shareHash, contentCid: receipt.contentCid },
      signature: receipt.signature,
    });
    return isAddressEqual(signer, custodian);
  } catch {
    return false;
  }
}

const EIP712_DOMAIN = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
] as const;
const domainSeparators = new Map<string, Hex>();
/** EIP-712 encodeType of ShareRelease (TYPES.ShareRelease), hashed once. */
const SHARE_RELEASE_TYPEHASH = keccak256(toHex("ShareRelease(bytes32 ticketId,uint256 modelId,uint16 version)"));
const SHARE_RELEASE_STRUCT = [{ type: "bytes32" }, { type: "bytes32" }, { type: "uint256" }, { type: "uint16" }] as const;

/**
 * hashTypedData for a ShareRelease, with the domain separator computed once per domain and the
 * struct hash as EIP-712 defines it for these three static fields (typehash ‖ ABI-encoded values):
 * a custodian checks one of these per release, and viem's hashTypedData re-validates and re-hashes
 * the domain and walks the types on every call. (A test holds it equal to viem's hashTypedData.)
 */
export function releaseDigest(domain: CustodyDomain, body: ShareReleaseBody): Uint8Array {
  const key = `${domain.chainId}/${domain.vault.toLowerCase()}`;
  let separator = domainSeparators.get(key);
  if (separator === undefined) {
    separator = hashDomain({ domain: { ...domainOf(domain), chainId: BigInt(domain.chainId) }, types: { EIP712Domain: EIP712_DOMAIN } });
    domainSeparators.set(key, separator);
  }
  const struct = keccak256(encodeAbiParameters(SHARE_RELEASE_STRUCT, [SHARE_RELEASE_TYPEHASH, body.ticketId, BigInt(body.modelId), body.version]));
  return keccak256(concatHex(["0x1901", separator, struct]), "bytes");
}

/**
 * The licensee's request, signed with the private half of the ticket's recipient key: compact
 * low-s RFC 6979 ECDSA over the digest (no prehash).
 */
export function signRelease(recipientPrivateKey: Uint8Array, domain: CustodyDomain, body: ShareReleaseBody): ShareRelease {
  const checked = shareReleaseBodySchema.safeParse({ ticketId: body.ticketId, modelId: body.modelId, version: body.version });
  if (!checked.success) throw new InvalidArgumentError(`not a release request: ${checked.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  if (!platform.secp256k1.isPrivateKey(recipientPrivateKey)) throw new InvalidArgumentError("not a valid secp256k1 private key");
  const signature = platform.secp256k1.sign(releaseDigest(domain, body), recipientPrivateKey);
  return { ticketId: body.ticketId, modelId: body.modelId, version: body.version, signature: bytesToHex(signature) };
}

/** Whether the release request is signed by the 33-byte compressed `recipientKey` (low-s only). */
export function releaseSignedBy(domain: CustodyDomain, request: ShareRelease, recipientKey: Hex): boolean {
  try {
    const key = hexToBytes(recipientKey);
    // Compressed only (noble would take an uncompressed key too); verify checks the point.
    const compressed = key.length === 33 && (key[0] === 2 || key[0] === 3);
    return compressed && platform.secp256k1.verify(hexToBytes(request.signature), releaseDigest(domain, request), key);
  } catch {
    return false;
  }
}
