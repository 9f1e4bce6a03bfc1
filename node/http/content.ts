/** GET /v1/content/:cid: the sealed ciphertext of a UnixFS file, streamed, with Range support. */
import type { FastifyInstance } from "fastify";
import { Readable } from "node:stream";
import { ContentNotFoundError } from "../errors.js";
import { withIdleTimeout } from "../idle-timeout.js";
import { readContent, statContent } from "../storage/content-reader.js";
import { clientGone, withDeadline, type ApiContext } from "./context.js";
import { ApiError } from "./errors.js";
import { parseRange } from "./range.js";
import { cidParam, parseInput, readQuery } from "./schemas.js";

/** Yields `first` then the rest of `iterator`. */
async function* resume(first: Uint8Array, iterator: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield first;
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
}

export function contentRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get("/v1/content/:cid", async (request, reply) => {
    const { cid } = parseInput(cidParam, request.params, "path");
    const query = parseInput(readQuery, request.query, "query");
    const ms = query.timeoutMs ?? ctx.fetchTimeoutMs;
    const signal = clientGone(reply);
    // One session per response: its sources' health carries from the stat to the last leaf.
    const session = ctx.peer.session({ offline: query.offline === true });
    reply.raw.once("close", () => session.close());

    const stat = await withDeadline(cid.toString(), ms, (inner) => statContent(session, cid, inner), signal);
    if (stat.type === "directory") throw new ApiError(422, "NOT_A_FILE", `${cid} is a directory, not a file`);
    const { size } = stat;
    let range;
    try {
      range = parseRange(request.headers.range, size);
    } catch (error) {
      reply.header("content-range", `bytes */${size}`); // RFC 9110 §15.5.17: tell the client the size
      throw error;
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? size;

    reply.header("accept-ranges", "bytes").type("application/octet-stream");
    reply.header("content-length", String(end - start));
    if (range !== undefined) reply.code(206).header("content-range", `bytes ${start}-${end - 1}/${size}`);
    // HEAD gets the headers only (an empty stream keeps our Content-Length).
    if (end === start || request.method === "HEAD") return reply.send(Readable.from([]));

    const chunks = withIdleTimeout(
      (inner) => readContent(session, cid, { signal: inner, offset: start, length: end - start }),
      ms,
      () => new ContentNotFoundError(cid.toString(), ms),
      signal,
    );
    // Wait for the first bytes before the status line goes out, so a missing block still
    // gets a proper 504; a failure later can only cut the stream short (Content-Length tells).
    const first = await chunks.next();
    if (first.done) throw new ApiError(502, "CONTENT_MISMATCH", `${cid} yielded no bytes`);
    return reply.send(Readable.from(resume(first.value, chunks), { objectMode: false }));
  });
}
