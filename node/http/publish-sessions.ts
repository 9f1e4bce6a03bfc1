/**
 * Publish sessions of wallet-owned models (node/custody/wallet-publish.ts), same-origin only:
 *   POST /v1/models?owner=0x…                            opens one (models.ts hands the upload here)
 *   POST /v1/publish-sessions/:id/manifest-signature     {signature} -> one ShareDeposit typed data per custodian
 *   POST /v1/publish-sessions/:id/deposit-signatures     {signatures} -> receipts collected; the call for the wallet
 *   GET  /v1/publish-sessions/:id                        its stage, or a completed one's answer and registration
 */
import type { FastifyInstance } from "fastify";
import { bytesToHex } from "viem";
import type { z } from "zod";
import type { ModelContent } from "../custody/owner.js";
import type { WalletPublisher } from "../custody/wallet-publish.js";
import type { ApiContext } from "./context.js";
import { ApiError } from "./errors.js";
import { acceptJson } from "./json-body.js";
import { manifestToJson } from "./manifest-json.js";
import { depositSignaturesBody, manifestSignatureBody, parseInput, sessionParam, type publishQuery } from "./schemas.js";

export const SESSION_KEY_WARNING =
  "The content key is returned once: store it safely. The node keeps it only until the manifest is signed (to wrap the custodians' shares), then wipes it.";

function publisherOf(ctx: ApiContext): WalletPublisher {
  if (ctx.walletPublisher === undefined) throw new ApiError(409, "NO_CHAIN", "this node has no chain configured: start it with --rpc-url to publish for a wallet");
  return ctx.walletPublisher;
}

/** Step 1, from POST /v1/models?owner=…: seal the upload, answer the session (the key once). */
export async function openWalletSession(
  ctx: ApiContext, content: ModelContent, query: z.output<typeof publishQuery>, ownerCommitment: bigint, signal: AbortSignal,
) {
  const publisher = publisherOf(ctx);
  const named = query.custodians !== undefined || query.threshold !== undefined;
  if ((query.rotate === undefined || named) && (query.custodians === undefined || query.threshold === undefined || query.threshold < 2)) {
    throw new ApiError(400, "VALIDATION_FAILED", "a wallet publish needs custodians and a threshold of at least 2");
  }
  if (query.version !== undefined) throw new ApiError(400, "VALIDATION_FAILED", "the chain assigns versions of registered models");
  const terms = { price: query.price ?? 0n, duration: query.duration ?? 0, maxUses: query.maxUses ?? 0, minStake: query.minStake ?? 0n, carryOver: query.carryOver ?? false };
  const opened = await publisher.open(content, {
    owner: query.owner!,
    ...(query.custodians === undefined ? {} : { custodians: query.custodians, threshold: query.threshold! }),
    next: query.rotate !== undefined ? { modelId: query.rotate } : { terms },
    ownerCommitment,
    signal,
    ...(query.name === undefined ? {} : { name: query.name }),
    ...(query.segmentSize === undefined ? {} : { segmentSize: query.segmentSize }),
    ...(query.weightsCommitment === undefined ? {} : { weightsCommitment: query.weightsCommitment }),
  });
  const { key, manifest, ...session } = opened;
  const answer = {
    ...session,
    manifest: manifestToJson(manifest),
    ...(query.rotate === undefined
      ? { terms: { ...terms, price: terms.price.toString(), minStake: terms.minStake.toString() } }
      : { modelId: query.rotate.toString() }),
    ownerCommitment: ownerCommitment.toString(),
    key: bytesToHex(key),
    keyWarning: SESSION_KEY_WARNING,
  };
  return answer;
}

/** 64 deposit signatures are under 9 KiB of JSON. */
const SESSION_BODY_LIMIT = 16 * 1024;

export function publishSessionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  void app.register(async (scoped) => sessionRoutes(scoped, ctx));
}

function sessionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  acceptJson(app, SESSION_BODY_LIMIT, "VALIDATION_FAILED");
  app.post("/v1/publish-sessions/:id/manifest-signature", async (request) => {
    const { id } = parseInput(sessionParam, request.params, "path");
    const { signature } = parseInput(manifestSignatureBody, request.body, "body");
    return publisherOf(ctx).signManifest(id, signature);
  });

  app.post("/v1/publish-sessions/:id/deposit-signatures", async (request) => {
    const { id } = parseInput(sessionParam, request.params, "path");
    const { signatures } = parseInput(depositSignaturesBody, request.body, "body");
    return publisherOf(ctx).deliver(id, signatures);
  });

  app.get("/v1/publish-sessions/:id", async (request) => {
    const { id } = parseInput(sessionParam, request.params, "path");
    return publisherOf(ctx).status(id);
  });
}
