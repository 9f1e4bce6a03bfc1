/** What every route handler needs: the peer, the signing identity, limits, and read deadlines. */
import type { FastifyReply } from "fastify";
import type { NodeIdentity } from "../../crypto/index.js";
import type { ChainClient } from "../chain/index.js";
import type { PublishJournal } from "../custody/publish-journal.js";
import type { WalletPublisher } from "../custody/wallet-publish.js";
import { ContentNotFoundError } from "../errors.js";
import { withIdleTimeout } from "../idle-timeout.js";
import type { StoragePeer } from "../storage/storage-peer.js";

export interface ApiContext {
  peer: StoragePeer;
  identity: NodeIdentity;
  /** Largest accepted upload (POST /v1/models), in bytes. */
  bodyLimit: number;
  /** Default idle timeout of reads that may go to peers. */
  fetchTimeoutMs: number;
  /** The chain, when the node has one: publish can then register models. */
  chain?: ChainClient | undefined;
  /** Where registering publishes record their progress, for idempotent retries. */
  journal?: PublishJournal | undefined;
  /** Publish sessions for wallet-owned models (with a chain). */
  walletPublisher?: WalletPublisher | undefined;
}

/** Aborts when the client goes away before the response finished. */
export function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once("close", () => {
    if (!reply.raw.writableFinished) controller.abort(new Error("client closed the connection"));
  });
  return controller.signal;
}

/** Runs one network-bound call under a deadline; ContentNotFoundError for `cid` when it passes. */
export async function withDeadline<T>(cid: string, ms: number, call: (signal: AbortSignal) => Promise<T>, outer?: AbortSignal): Promise<T> {
  const once = withIdleTimeout(
    async function* (signal) {
      yield await call(signal);
    },
    ms,
    () => new ContentNotFoundError(cid, ms),
    outer,
  );
  for await (const value of once) return value;
  throw new Error("deadline call yielded nothing");
}
