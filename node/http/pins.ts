/** GET /v1/pins, POST /v1/pins/:cid (pins recursively, fetching from peers), DELETE /v1/pins/:cid. */
import type { FastifyInstance } from "fastify";
import { ContentNotFoundError } from "../errors.js";
import { withIdleTimeout } from "../idle-timeout.js";
import { listPins, removePin } from "../pins.js";
import { clientGone, type ApiContext } from "./context.js";
import { ApiError } from "./errors.js";
import { cidParam, parseInput, readQuery } from "./schemas.js";
import { z } from "zod";

const noQuery = z.object({}).strict();

export function pinRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get("/v1/pins", async (request, reply) => {
    parseInput(noQuery, request.query, "query");
    return { pins: await listPins(ctx.peer, clientGone(reply)) };
  });

  app.post("/v1/pins/:cid", async (request, reply) => {
    const { cid } = parseInput(cidParam, request.params, "path");
    const query = parseInput(readQuery.omit({ offline: true }), request.query, "query");
    const ms = query.timeoutMs ?? ctx.fetchTimeoutMs;
    const signal = clientGone(reply);
    const pins = ctx.peer.helia.pins;
    if (await pins.isPinned(cid, { signal })) return { cid: cid.toString(), pinned: true, added: false };
    // An idle timeout, like fetch: a large DAG may take long, but must keep moving.
    const blocks = withIdleTimeout((inner) => pins.add(cid, { signal: inner, metadata: { source: "api" } }), ms, () => new ContentNotFoundError(cid.toString(), ms), signal);
    for await (const _ of blocks) {
      // each yielded CID is one block now stored and pinned
    }
    reply.code(201);
    return { cid: cid.toString(), pinned: true, added: true };
  });

  app.delete("/v1/pins/:cid", async (request, reply) => {
    const { cid } = parseInput(cidParam, request.params, "path");
    parseInput(noQuery, request.query, "query");
    const signal = clientGone(reply);
    if (!(await ctx.peer.helia.pins.isPinned(cid, { signal }))) throw new ApiError(404, "PIN_NOT_FOUND", `${cid} is not pinned`);
    await removePin(ctx.peer, cid, signal);
    return { cid: cid.toString(), pinned: false };
  });
}
