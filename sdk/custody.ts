/**
 * The licensee's side of custody (docs/PROTOCOL.md) in the SDK: one ShareRelease signed with the
 * ticket's recipient key, sent with fetch to the version's custodians; each answers with its share
 * wrapped (ECIES) to that key under the context `custody/release/<ticketId>`; k shares combine to
 * the key. The messages and the collection are the node's own (crypto/custody-messages.ts,
 * crypto/custody-collect.ts), with their failures as SdkErrors.
 */
import type { Address, Hex } from "viem";
import { collectKeyFrom } from "../crypto/custody-collect.js";
import {
  releaseContext,
  releaseDigest,
  releasedShareSchema,
  releaseSignedBy,
  signRelease as coreSignRelease,
  type CustodyDomain,
  type ShareRelease,
  type ShareReleaseBody,
} from "../crypto/custody-messages.js";
import { fromCoreError, SdkError, sdkSync } from "./errors.js";
import { requestJson, type FetchLike } from "./node-api.js";

export { DEFAULT_CUSTODIAN_TIMEOUT_MS, DEFAULT_HEDGE_MS } from "../crypto/custody-collect.js";
export { releaseContext, releaseDigest, releaseSignedBy, type CustodyDomain, type ShareRelease, type ShareReleaseBody };

/** Signs a ShareRelease with the recipient private key: compact low-s ECDSA over the EIP-712 digest (no prehash). */
export function signRelease(recipientPrivateKey: Uint8Array, domain: CustodyDomain, body: ShareReleaseBody): ShareRelease {
  return sdkSync(() => coreSignRelease(recipientPrivateKey, domain, body));
}

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

function reasonOf(error: unknown): string {
  const sdkError = fromCoreError(error);
  if (sdkError instanceof SdkError) return `${sdkError.details.nodeCode ?? sdkError.code}: ${sdkError.message}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** One custodian's answer to the release request: its wrapped share, for this ticket. */
async function releaseFrom(options: CollectSharesOptions, custodian: Address, request: ShareRelease, signal: AbortSignal): Promise<Hex> {
  const endpoint = await options.endpointOf(custodian);
  const answer = releasedShareSchema.safeParse(await requestJson(options.fetch, endpoint, "v1/custody/releases", { method: "POST", body: request, signal }));
  if (!answer.success) throw new SdkError("NODE_ERROR", "answered with a malformed body");
  if (answer.data.ticketId.toLowerCase() !== request.ticketId.toLowerCase()) throw new SdkError("NODE_ERROR", "answered for another ticket");
  return answer.data.wrappedShare;
}

/**
 * Asks the first `threshold` custodians (shuffled) at once and the others when one fails or after
 * `hedgeMs`; the first shares that combine to the committed key win and the other requests are
 * cancelled. Fewer than `threshold` valid shares: NOT_ENOUGH_SHARES with every custodian's reason.
 */
export async function collectShares(options: CollectSharesOptions): Promise<Uint8Array> {
  const { threshold, ticketId } = options;
  const request = signRelease(options.recipientPrivateKey, options.domain, { ticketId, modelId: options.modelId.toString(), version: options.version });
  const { key, released, failures } = await collectKeyFrom({
    request,
    recipientPrivateKey: options.recipientPrivateKey,
    custodians: options.custodians,
    threshold,
    keyCommitment: options.keyCommitment,
    release: (custodian, body, signal) => releaseFrom(options, custodian, body, signal),
    reasonOf,
    timeoutMs: options.timeoutMs,
    hedgeMs: options.hedgeMs,
    order: options.order,
    signal: options.signal,
  });
  if (key === undefined) {
    if (options.signal?.aborted) throw new SdkError("ABORTED", "collecting the key was aborted", {}, { cause: options.signal.reason });
    const reasons = Object.entries(failures).map(([who, why]) => `${who}: ${why}`).join("; ");
    throw new SdkError("NOT_ENOUGH_SHARES", `${released} of the ${threshold} shares needed were released (${reasons})`, { threshold, released, failures });
  }
  return key;
}
