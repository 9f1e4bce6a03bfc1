/**
 * The licensee's side of custody (docs/PROTOCOL.md): one ShareRelease signed with the ticket's
 * recipient key, sent to the version's custodians; each answers with its share wrapped (ECIES)
 * to that key under the context `custody/release/<ticketId>`; k shares combine to the key.
 * Same messages and bytes as node/custody/protocol.ts and node/custody/licensee.ts.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesToHex, hashTypedData, hexToBytes, isHex, type Address, type Hex } from "viem";
import { constantTimeEqual } from "../crypto/bytes.js";
import { keyCommitment } from "./derive.js";
import { unwrapKey } from "./ecies.js";
import { SdkError } from "./errors.js";
import { requestJson, type FetchLike } from "./node-api.js";
import { combineShares, decodeShare } from "./shares.js";

export interface CustodyDomain {
  chainId: number;
  /** The ModelVault contract. */
  vault: Address;
}

export interface ShareReleaseBody {
  ticketId: Hex;
  /** Decimal model id. */
  modelId: string;
  version: number;
}

export interface ShareRelease extends ShareReleaseBody {
  /** ECDSA r ‖ s (64 bytes, low s) over the EIP-712 digest, by the recipient key. */
  signature: Hex;
}

const RELEASE_TYPES = {
  ShareRelease: [
    { name: "ticketId", type: "bytes32" },
    { name: "modelId", type: "uint256" },
    { name: "version", type: "uint16" },
  ],
} as const;

export const releaseContext = (ticketId: Hex): string => `custody/release/${ticketId.toLowerCase()}`;

/** EIP-712 digest of a ShareRelease in the domain {name: "modelvault custody", version: "1", chainId, verifyingContract: vault}. */
export function releaseDigest(domain: CustodyDomain, body: ShareReleaseBody): Uint8Array {
  return hexToBytes(
    hashTypedData({
      domain: { name: "modelvault custody", version: "1", chainId: domain.chainId, verifyingContract: domain.vault },
      types: RELEASE_TYPES,
      primaryType: "ShareRelease",
      message: { ticketId: body.ticketId, modelId: BigInt(body.modelId), version: body.version },
    }),
  );
}

/** Signs a ShareRelease with the recipient private key: compact low-s ECDSA over the digest (no prehash). */
export function signRelease(recipientPrivateKey: Uint8Array, domain: CustodyDomain, body: ShareReleaseBody): ShareRelease {
  if (!/^0x[0-9a-fA-F]{64}$/.test(body.ticketId)) throw new SdkError("INVALID_ARGUMENT", "ticketId must be 32 bytes of hex");
  if (!/^[0-9]{1,78}$/.test(body.modelId)) throw new SdkError("INVALID_ARGUMENT", "modelId must be a decimal integer");
  if (!Number.isInteger(body.version) || body.version < 1 || body.version > 65535) throw new SdkError("INVALID_ARGUMENT", "version must be 1..65535");
  const signature = secp256k1.sign(releaseDigest(domain, body), recipientPrivateKey, { prehash: false, lowS: true, format: "compact" });
  return { ticketId: body.ticketId, modelId: body.modelId, version: body.version, signature: bytesToHex(signature) };
}

/** Whether `request` is signed by the compressed `recipientKey` (low s only), as custodians check it. */
export function releaseSignedBy(domain: CustodyDomain, request: ShareRelease, recipientKey: Hex): boolean {
  try {
    return secp256k1.verify(hexToBytes(request.signature), releaseDigest(domain, request), hexToBytes(recipientKey), { prehash: false, lowS: true, format: "compact" });
  } catch {
    return false;
  }
}

export const DEFAULT_CUSTODIAN_TIMEOUT_MS = 10_000;
export const DEFAULT_HEDGE_MS = 1_000;

export interface CollectSharesOptions {
  fetch: FetchLike;
  domain: CustodyDomain;
  ticketId: Hex;
  modelId: bigint;
  version: number;
  recipientPrivateKey: Uint8Array;
  /** The version's custodian set and threshold (from the chain). */
  custodians: readonly Address[];
  threshold: number;
  /** The manifest's key commitment: every share and the combined key must match it. */
  keyCommitment: Uint8Array;
  /** A custodian's registered HTTP endpoint (CustodianRegistry.custodianInfo). */
  endpointOf: (custodian: Address) => Promise<string>;
  timeoutMs?: number;
  hedgeMs?: number;
  /** Random order (default: spreads the load) or the listed one. */
  order?: "shuffled" | "listed";
  signal?: AbortSignal;
}

function shuffle<T>(items: T[]): void {
  const random = new Uint32Array(1);
  for (let i = items.length - 1; i > 0; i--) {
    // Rejection sampling: an unbiased index in [0, i].
    const bound = 2 ** 32 - (2 ** 32 % (i + 1));
    let r: number;
    do {
      globalThis.crypto.getRandomValues(random);
      r = random[0]!;
    } while (r >= bound);
    const j = r % (i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof SdkError) return `${error.details.nodeCode ?? error.code}: ${error.message}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Asks the first `threshold` custodians (shuffled) at once and the others when one fails or after
 * `hedgeMs`; the first shares that combine to the committed key win and the other requests are
 * cancelled. Fewer than `threshold` valid shares: NOT_ENOUGH_SHARES with every custodian's reason.
 */
export async function collectShares(options: CollectSharesOptions): Promise<Uint8Array> {
  const { threshold, ticketId } = options;
  const request = signRelease(options.recipientPrivateKey, options.domain, { ticketId, modelId: options.modelId.toString(), version: options.version });
  const done = new AbortController();
  const signal = options.signal === undefined ? done.signal : AbortSignal.any([done.signal, options.signal]);
  const shares: Uint8Array[] = [];
  const failures: Record<string, string> = {};
  const waiting = [...options.custodians];
  if (options.order !== "listed") shuffle(waiting);
  const asked: Promise<void>[] = [];

  let settle!: (key: Uint8Array | undefined) => void;
  const outcome = new Promise<Uint8Array | undefined>((resolve) => (settle = resolve));

  async function ask(custodian: Address): Promise<void> {
    try {
      const endpoint = await options.endpointOf(custodian);
      const deadline = AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs ?? DEFAULT_CUSTODIAN_TIMEOUT_MS)]);
      const answer = (await requestJson(options.fetch, endpoint, "v1/custody/releases", { method: "POST", body: request, signal: deadline })) as {
        ticketId?: unknown;
        wrappedShare?: unknown;
      };
      if (typeof answer?.wrappedShare !== "string" || !isHex(answer.wrappedShare) || answer.wrappedShare.length > 2 + 2 * 512) {
        throw new SdkError("NODE_ERROR", "answered with a malformed body");
      }
      if (typeof answer.ticketId !== "string" || answer.ticketId.toLowerCase() !== ticketId.toLowerCase()) {
        throw new SdkError("NODE_ERROR", "answered for another ticket");
      }
      const share = await unwrapKey(options.recipientPrivateKey, hexToBytes(answer.wrappedShare), releaseContext(ticketId));
      if (!constantTimeEqual(decodeShare(share).commitment, options.keyCommitment)) throw new SdkError("SHARES_MISMATCHED", "released a share of another key");
      shares.push(share);
      if (shares.length >= threshold) {
        const key = await combineShares(shares).catch(() => undefined);
        if (key !== undefined && constantTimeEqual(keyCommitment(key), options.keyCommitment)) settle(key);
      }
    } catch (error) {
      if (done.signal.aborted) return;
      failures[custodian] = reasonOf(error);
      askNext();
    } finally {
      if (waiting.length === 0) void Promise.all(asked).then(() => settle(undefined));
    }
  }
  function askNext(): void {
    const next = waiting.shift();
    if (next !== undefined) asked.push(ask(next));
  }

  const onAbort = () => settle(undefined);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (waiting.length === 0) settle(undefined);
  for (let i = 0; i < threshold; i++) askNext();
  const hedge = setTimeout(() => {
    while (waiting.length > 0) askNext();
  }, options.hedgeMs ?? DEFAULT_HEDGE_MS);
  const key = await outcome;
  clearTimeout(hedge);
  options.signal?.removeEventListener("abort", onAbort);
  done.abort();
  const released = shares.length;
  for (const share of shares) share.fill(0);
  if (key === undefined) {
    if (options.signal?.aborted) throw new SdkError("ABORTED", "collecting the key was aborted", {}, { cause: options.signal.reason });
    const reasons = Object.entries(failures).map(([who, why]) => `${who}: ${why}`).join("; ");
    throw new SdkError("NOT_ENOUGH_SHARES", `${released} of the ${threshold} shares needed were released (${reasons})`, { threshold, released, failures });
  }
  return key;
}
