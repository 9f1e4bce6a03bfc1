/**
 * GET /v1/web/config: what the web app (web/) needs to talk to the chain: the chain id, the
 * deployment's contract addresses, an RPC URL the browser may call, and the node's identity.
 * docs/API.md documents the answer.
 */
import type { FastifyInstance } from "fastify";
import { NODE_VERSION } from "../config.js";
import type { ApiContext } from "./context.js";

export interface WebOptions {
  /**
   * The JSON-RPC endpoint published to browsers (http or https; it must answer CORS). Default:
   * the node's own chain RPC when it is http(s) and holds no credentials. An endpoint with an
   * API key in its path cannot be told apart: give a public one here (MODELVAULT_WEB_RPC_URL).
   */
  rpcUrl?: string | undefined;
  /** The built app's folder (default build/web/ of this checkout or package); null serves none. */
  appDir?: string | null | undefined;
  /** More origins the app's pages may connect to (custodians' endpoints): called per page load. */
  connectSources?: (() => Promise<readonly string[]>) | undefined;
}

/** The URL when it suits a browser (http(s), no user:password), otherwise undefined. */
export function browserRpcUrl(rpcUrl: string | undefined): string | undefined {
  if (rpcUrl === undefined) return undefined;
  try {
    const url = new URL(rpcUrl);
    if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username !== "" || url.password !== "") return undefined;
    return url.href;
  } catch {
    return undefined;
  }
}

export interface WebConfigAnswer {
  chain: { chainId: number; rpcUrl: string; deployment: unknown } | null;
  node: { address: string; peerId: string; version: string };
}

export function webConfig(ctx: ApiContext, rpcUrl: string | undefined): WebConfigAnswer {
  const chain = ctx.chain;
  return {
    chain: chain === undefined || rpcUrl === undefined ? null : { chainId: chain.chainId, rpcUrl, deployment: chain.deployment },
    node: { address: ctx.identity.address, peerId: ctx.peer.peerId, version: NODE_VERSION },
  };
}

export function webConfigRoutes(app: FastifyInstance, ctx: ApiContext, options: WebOptions): void {
  const rpcUrl = browserRpcUrl(options.rpcUrl);
  app.get("/v1/web/config", async (_request, reply) => {
    void reply.header("cache-control", "no-cache");
    return webConfig(ctx, rpcUrl);
  });
}
