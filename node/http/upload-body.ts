/**
 * The body of an upload route: counted against the node's limit as it streams, and, when the
 * route refuses it before its end, read and thrown away for a short while before the connection
 * is cut (a lingering close, as nginx and Apache do). A client still sending when the refusal
 * comes would otherwise get a reset (EPIPE, ECONNRESET) instead of the answer.
 */
import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { ApiError } from "./errors.js";

/** How long the rest of a refused upload is read and discarded before the connection is cut. */
export const LINGER_MS = 2_000;

/**
 * The request body in chunks, counted against `limit`: past it, 413 PAYLOAD_TOO_LARGE. The body
 * is left open when the reader stops early, so the refusal can be answered (see `refuseRest`).
 */
export async function* limitedBody(body: Readable, limit: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) throw new ApiError(413, "PAYLOAD_TOO_LARGE", `the upload exceeds the limit of ${limit} bytes`);
    yield chunk;
  }
}

/**
 * Reads and discards what is left of a refused request's body; cuts the connection if the
 * client is still sending after LINGER_MS. The answer goes out meanwhile; a client that then
 * finishes its body keeps its connection. Memory stays flat: nothing read is kept.
 */
export function refuseRest(request: IncomingMessage): void {
  if (request.readableEnded || request.destroyed) return;
  const cut = setTimeout(() => request.socket?.destroy(), LINGER_MS);
  cut.unref();
  const done = () => clearTimeout(cut);
  request.once("end", done);
  request.once("close", done);
  request.resume();
}
