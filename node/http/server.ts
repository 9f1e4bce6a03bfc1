/**
 * The node's HTTP API (fastify): health, node info, streaming publish, manifests, ciphertext
 * with ranges, pins. Bound to 127.0.0.1 unless configured otherwise. docs/API.md documents it.
 */
import cors from "@fastify/cors";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { bytesToHex } from "viem";
import type { NodeIdentity } from "../../crypto/index.js";
import { DEFAULT_API_HOST, DEFAULT_BODY_LIMIT, DEFAULT_FETCH_TIMEOUT_MS, NODE_VERSION } from "../config.js";
import type { StoragePeer } from "../storage/storage-peer.js";
import type { ChainClient } from "../chain/index.js";
import type { Custodian } from "../custody/custodian.js";
import type { PublishJournal } from "../custody/publish-journal.js";
import type { ChallengeResponder } from "../custody/challenge-responder.js";
import { contentRoutes } from "./content.js";
import { custodyRoutes } from "./custody.js";
import { gatewayRoutes } from "./gateway.js";
import type { ApiContext } from "./context.js";
import { ApiError, toErrorReply } from "./errors.js";
import { modelRoutes } from "./models.js";
import { peerRoutes } from "./peers.js";
import { pinRoutes } from "./pins.js";
import { webAppRoutes } from "./web-app.js";
import { browserRpcUrl, webConfigRoutes, type WebOptions } from "./web-config.js";
import { statusRoutes, type StatusOptions } from "./status.js";

export interface ApiOptions {
  peer: StoragePeer;
  identity: NodeIdentity;
  bodyLimit?: number;
  fetchTimeoutMs?: number;
  /** Mounts the custody routes: the node holds key shares and releases them for tickets. */
  custodian?: Custodian | undefined;
  /** Lets POST /v1/models deposit shares and register the model on chain. */
  chain?: ChainClient | undefined;
  /** Makes registering publishes with an Idempotency-Key safe to retry. */
  journal?: PublishJournal | undefined;
  /** The web app at / and GET /v1/web/config (the RPC published to browsers, the app's folder). */
  web?: WebOptions | undefined;
  /** Its answers since start go into GET /v1/status (the chain's record comes first). */
  responder?: ChallengeResponder | undefined;
  /** GET /v1/status's cache lifetimes (tests shorten them). */
  status?: Pick<StatusOptions, "chainTtlMs" | "chainWaitMs" | "pinsTtlMs">;
}

/**
 * Routes a web page on any origin may call (dApps through the SDK): reading manifests and
 * ciphertext (also as the trustless gateway's /ipfs/ blocks and CARs), node info, and the
 * custody routes, which check every request against the chain.
 * Everything else (publish, pins, peers, status) stays same-origin: a page must not drive the
 * operator's node, nor read what it holds and whom it talks to.
 */
function crossOriginAllowed(request: FastifyRequest): boolean {
  const path = request.url.split("?")[0]!;
  if (path.startsWith("/v1/custody/")) return true;
  const read = request.method === "GET" || request.method === "HEAD" || request.method === "OPTIONS";
  return read && (path === "/health" || path === "/v1/node" || path.startsWith("/v1/manifests/") || path.startsWith("/v1/content/") || path.startsWith("/ipfs/"));
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

export function createApi(options: ApiOptions): FastifyInstance {
  const ctx: ApiContext = {
    peer: options.peer,
    identity: options.identity,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    fetchTimeoutMs: options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
    chain: options.chain,
    journal: options.journal,
  };
  // No logger: request logs would be the operator's choice, and errors are answered below.
  const replyError = (error: unknown, reply: FastifyReply) => {
    const { status, body } = toErrorReply(error);
    // A client that went away is not the node's fault, and would let anyone flood the log.
    const clientGone = reply.raw.destroyed || reply.request.raw.destroyed;
    if (status >= 500 && status !== 504 && status !== 502 && !clientGone) {
      // Kept on the server for the operator; the client gets the generic body only.
      process.emitWarning(`modelvault API: ${(error as Error)?.stack ?? String(error)}`);
    }
    return reply.code(status).type("application/json").send(body);
  };
  const app = Fastify({
    logger: false,
    forceCloseConnections: true,
    bodyLimit: 1024 * 1024,
    // The router's own refusals (a malformed %-escape in the path, an over-long path parameter)
    // would otherwise bypass the error handler with fastify's default body: same JSON shape here.
    frameworkErrors: (error, _request, reply) => replyError(error, reply),
  });
  app.removeAllContentTypeParsers(); // only the raw upload of POST /v1/models has a body
  void app.register(cors, {
    delegator: (request, callback) =>
      callback(null, crossOriginAllowed(request)
        ? { origin: "*", methods: ["GET", "HEAD", "POST"], allowedHeaders: ["content-type", "range", "accept", "cache-control", "if-none-match"],
            exposedHeaders: ["content-range", "content-length", "accept-ranges", "etag", "content-disposition", "content-location", "x-ipfs-path", "x-ipfs-roots"], maxAge: 600,
            // Not strict: a strict preflight refuses an OPTIONS without Origin/Access-Control-Request-Method
            // with a text/plain 400, outside the API's JSON error shape; a lax one answers 204.
            strictPreflight: false }
        : { origin: false }),
  });

  // CORS headers only keep a page from reading answers: a "simple" cross-origin POST (no body
  // type, no custom header) is still sent by browsers and would run. So a change requested from
  // another origin than the node's own is refused before any handler sees it.
  app.addHook("onRequest", async (request) => {
    const origin = request.headers.origin;
    if (origin === undefined || request.method === "GET" || request.method === "HEAD" || request.method === "OPTIONS") return;
    if (crossOriginAllowed(request) || sameOrigin(origin, request.headers.host)) return;
    throw new ApiError(403, "CROSS_ORIGIN_REFUSED", `${request.method} ${request.url.split("?")[0]} is not available to pages of other origins`);
  });

  app.setErrorHandler((error, _request, reply) => replyError(error, reply));
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: { code: "ROUTE_NOT_FOUND", message: `no route ${request.method} ${request.url.split("?")[0]}` } }),
  );

  app.get("/health", async () => ({ status: "ok", connections: ctx.peer.helia.libp2p.getConnections().length }));
  app.get("/v1/node", async () => ({
    peerId: ctx.peer.peerId,
    multiaddrs: ctx.peer.addresses.map(String),
    address: ctx.identity.address,
    publicKey: bytesToHex(ctx.identity.publicKey),
    version: NODE_VERSION,
    // What this node's reads took from the network and from its own blockstore since it started.
    transfer: ctx.peer.sources.totals,
  }));
  modelRoutes(app, ctx);
  contentRoutes(app, ctx);
  pinRoutes(app, ctx);
  peerRoutes(app, ctx);
  gatewayRoutes(app, ctx);
  statusRoutes(app, ctx, { ...options.status, custodian: options.custodian, responder: options.responder });
  if (options.custodian !== undefined) custodyRoutes(app, options.custodian);
  webConfigRoutes(app, ctx, options.web ?? {});
  webAppRoutes(app, { ...options.web, rpcUrl: browserRpcUrl(options.web?.rpcUrl) });
  return app;
}

export interface RunningApi {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:5480 */
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

/** Creates the API and listens; port 0 picks a free one (read it from the result). */
export async function startApi(options: ApiOptions & { host?: string; port?: number }): Promise<RunningApi> {
  const app = createApi(options);
  const host = options.host ?? DEFAULT_API_HOST;
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("the API server has no TCP address");
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return { app, url: `http://${shown}:${address.port}`, host: address.address, port: address.port, close: () => app.close() };
}
