/**
 * Custodian routes, mounted when the node runs as a custodian:
 *   POST /v1/custody/deposits  a ShareDeposit -> a signed DepositReceipt
 *   POST /v1/custody/releases  a ShareRelease -> the share wrapped to the ticket's recipient key
 *   GET  /v1/custody/shares    the manifests this node holds shares for (no share material)
 * Small JSON bodies only; refusals are 4xx with the custody codes (node/custody/errors.ts). A
 * release over a rate limit is 429 RATE_LIMITED with Retry-After (node/custody/release-limits.ts):
 * the per-client limit is taken before the body is read, so a flood costs little more than its
 * own connections.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import type { Custodian } from "../custody/custodian.js";
import { RateLimitedError } from "../custody/release-limits.js";
import { acceptJson } from "./json-body.js";

/** Adds Retry-After to a 429, whichever limit it came from; the error handler writes the body. */
async function withRetryAfter<T>(reply: FastifyReply, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof RateLimitedError) void reply.header("retry-after", String(error.retryAfterS));
    throw error;
  }
}

/** A deposit or release is well under 2 KiB; 16 KiB leaves room and bounds parsing. */
const CUSTODY_BODY_LIMIT = 16 * 1024;

export function custodyRoutes(app: FastifyInstance, custodian: Custodian): void {
  void app.register(async (scoped) => {
    acceptJson(scoped, CUSTODY_BODY_LIMIT);
    scoped.post("/v1/custody/deposits", { bodyLimit: CUSTODY_BODY_LIMIT }, async (request) => custodian.deposit(request.body));
    scoped.post("/v1/custody/releases", {
      bodyLimit: CUSTODY_BODY_LIMIT,
      onRequest: async (request, reply) => withRetryAfter(reply, () => custodian.limits?.client(request.ip)),
    }, async (request, reply) => withRetryAfter(reply, () => custodian.release(request.body)));
    scoped.get("/v1/custody/shares", async () => ({
      custodian: custodian.address,
      shares: custodian.store.list().map((s) => ({ manifestCid: s.manifestCid, contentCid: s.contentCid, owner: s.owner, depositedAt: s.depositedAt })),
    }));
  });
}
