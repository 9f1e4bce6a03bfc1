/**
 * The licensee's collection of a content key from a version's custodians (docs/PROTOCOL.md), one
 * implementation for the node (node/custody/licensee.ts, its HTTP client) and the SDK
 * (sdk/custody.ts, fetch): the transport is the caller's `release`. The first `threshold`
 * custodians (shuffled, to spread the load) are asked at once; the others when one fails or after
 * `hedgeMs`, so a dead or slow custodian delays a key by at most that much while a healthy set
 * costs the custodians no more releases than needed. The first shares that combine to the
 * committed key win and the other requests are cancelled.
 */
import type { Address, Hex } from "viem";
import { hexToBytes } from "viem";
import { platform } from "#crypto-platform";
import { constantTimeEqual } from "./bytes.js";
import { releaseContext, type ShareRelease } from "./custody-messages.js";
import { keyCommitment } from "./derive.js";
import { keyOpener } from "./ecies.js";
import { MismatchedSharesError } from "./errors.js";
import { combineShares, decodeShare } from "./shares.js";

export const DEFAULT_CUSTODIAN_TIMEOUT_MS = 10_000;
/** After this long without enough shares, the custodians not yet asked are asked too. */
export const DEFAULT_HEDGE_MS = 1_000;

export interface CollectKeyFromOptions {
  /** The signed request, the same for every custodian (one signature per access). */
  request: ShareRelease;
  recipientPrivateKey: Uint8Array;
  /** The version's custodian set and threshold (from the chain). */
  custodians: readonly Address[];
  threshold: number;
  /** The manifest's key commitment: every share and the combined key must match it. */
  keyCommitment: Uint8Array;
  /** Sends `request` to one custodian; its answer's wrapped share (the transport checks the answer's shape). */
  release(custodian: Address, request: ShareRelease, signal: AbortSignal): Promise<Hex>;
  /** How a custodian's failure is written in `failures`. */
  reasonOf(error: unknown): string;
  /** Per custodian. */
  timeoutMs?: number | undefined;
  hedgeMs?: number | undefined;
  /** Random order (default) or the listed one. */
  order?: "shuffled" | "listed" | undefined;
  signal?: AbortSignal | undefined;
}

export interface CollectedKey {
  /** The content key; undefined when fewer than `threshold` valid shares came, or on abort. */
  key: Uint8Array | undefined;
  /** Shares received (all zeroed by now). */
  released: number;
  /** Per custodian address: why it gave nothing. */
  failures: Record<string, string>;
}

/** Fisher-Yates with unbiased indices from the platform's CSPRNG (rejection sampling). */
function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const bound = 2 ** 32 - (2 ** 32 % (i + 1));
    let r: number;
    do {
      r = new DataView(platform.randomBytes(4).buffer).getUint32(0);
    } while (r >= bound);
    const j = r % (i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

export async function collectKeyFrom(options: CollectKeyFromOptions): Promise<CollectedKey> {
  const { threshold, request } = options;
  const done = new AbortController();
  const signal = options.signal === undefined ? done.signal : AbortSignal.any([done.signal, options.signal]);
  const shares: Uint8Array[] = [];
  const failures: Record<string, string> = {};
  const waiting = [...options.custodians];
  if (options.order !== "listed") shuffle(waiting);
  const asked: Promise<void>[] = [];

  let settle!: (key: Uint8Array | undefined) => void;
  const outcome = new Promise<Uint8Array | undefined>((resolve) => (settle = resolve));

  // Made at the first share, so a bad private key fails each share as before, not the whole call.
  let opener: ReturnType<typeof keyOpener> | undefined;
  async function ask(custodian: Address): Promise<void> {
    try {
      const deadline = AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs ?? DEFAULT_CUSTODIAN_TIMEOUT_MS)]);
      const wrapped = await options.release(custodian, request, deadline);
      const share = await (opener ??= keyOpener(options.recipientPrivateKey))(hexToBytes(wrapped), releaseContext(request.ticketId));
      if (!constantTimeEqual(decodeShare(share).commitment, options.keyCommitment)) throw new MismatchedSharesError("released a share of another key");
      shares.push(share);
      if (shares.length >= threshold) {
        const key = await combineShares(shares).catch(() => undefined);
        if (key !== undefined && constantTimeEqual(keyCommitment(key), options.keyCommitment)) settle(key);
      }
    } catch (error) {
      if (done.signal.aborted) return;
      failures[custodian] = options.reasonOf(error);
      askNext(); // replace the failed one at once
    } finally {
      // Everyone asked and answered without a key: give up (a no-op once a key was found).
      if (waiting.length === 0) void Promise.all(asked).then(() => settle(undefined));
    }
  }
  function askNext(): void {
    const next = waiting.shift();
    if (next !== undefined) asked.push(ask(next));
  }

  const onAbort = () => settle(undefined);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (waiting.length === 0 || options.signal?.aborted) settle(undefined);
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
  return { key, released, failures };
}
