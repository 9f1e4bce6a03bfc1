/** A JSON body parser for one scope of routes (the API has none globally: only POST /v1/models has a raw body). */
import type { FastifyInstance } from "fastify";
import { ApiError } from "./errors.js";

export function acceptJson(scoped: FastifyInstance, bodyLimit: number, malformedCode = "MALFORMED_REQUEST"): void {
  scoped.addContentTypeParser("application/json", { parseAs: "string", bodyLimit }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new ApiError(400, malformedCode, "the body is not valid JSON"), undefined);
    }
  });
}
