/** GET /v1/peers (connected peers) and POST /v1/peers?address=MULTIADDR (connect to one). */
import type { FastifyInstance } from "fastify";
import { multiaddr } from "@multiformats/multiaddr";
import { z } from "zod";
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
}
