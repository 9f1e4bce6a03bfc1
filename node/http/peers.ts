/**
 * The sources a node fetches from: GET /v1/peers (connected peers), POST /v1/peers?address=MULTIADDR
 * (connect to one), GET /v1/gateways, POST /v1/gateways?url=ORIGIN and DELETE /v1/gateways?url=ORIGIN
 * (the trustless gateways it also fetches blocks from).
 */
import type { FastifyInstance } from "fastify";
import { multiaddr } from "@multiformats/multiaddr";
import { z } from "zod";
import { InvalidGatewayError } from "../storage/block-sources.js";
import type { ApiContext } from "./context.js";
import { ApiError } from "./errors.js";
import { parseInput } from "./schemas.js";

const dialQuery = z
  .object({
    address: z.string().min(1).max(1024).refine((text) => {
      try {
        return multiaddr(text).getComponents().some((c) => c.name === "p2p");
      } catch {
        return false;
      }
    }, "must be a multiaddr ending in /p2p/<peer id>"),
  })
  .strict();

const gatewayQuery = z.object({ url: z.string().min(1).max(2048) }).strict();

export function peerRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get("/v1/peers", async (request) => {
    parseInput(z.object({}).strict(), request.query, "query");
    return {
      peers: ctx.peer.helia.libp2p.getConnections().map((c) => ({ peerId: c.remotePeer.toString(), address: c.remoteAddr.toString() })),
    };
  });

  app.post("/v1/peers", async (request) => {
    const { address } = parseInput(dialQuery, request.query, "query");
    try {
      await ctx.peer.dial(address);
    } catch (error) {
      throw new ApiError(502, "PEER_UNREACHABLE", `cannot connect to ${address}: ${(error as Error).message}`);
    }
    return { address, connected: true };
  });

  app.get("/v1/gateways", async (request) => {
    parseInput(z.object({}).strict(), request.query, "query");
    return { gateways: ctx.peer.sources.gateways };
  });

  const gatewayOf = (query: unknown, change: (url: string) => string | boolean) => {
    const { url } = parseInput(gatewayQuery, query, "query");
    try {
      return change(url);
    } catch (error) {
      if (error instanceof InvalidGatewayError) throw new ApiError(400, "VALIDATION_FAILED", `query url: ${error.message}`);
      throw error;
    }
  };
  app.post("/v1/gateways", async (request) => {
    const origin = gatewayOf(request.query, (url) => ctx.peer.sources.addGateway(url));
    return { gateway: origin, gateways: ctx.peer.sources.gateways };
  });
  app.delete("/v1/gateways", async (request) => {
    const removed = gatewayOf(request.query, (url) => ctx.peer.sources.removeGateway(url));
    return { removed, gateways: ctx.peer.sources.gateways };
  });
}
