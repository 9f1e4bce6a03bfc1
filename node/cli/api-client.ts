/**
 * A small client of the node's HTTP API over node:http(s): streaming request bodies (uploads
 * of any size, with a known Content-Length) and streaming responses, JSON errors turned into
 * typed errors with the server's stable code.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";
import { NodeError } from "../errors.js";

/** The API answered with an error body, or could not be reached. */
export class ApiRequestError extends NodeError {
  readonly status: number | undefined;
  constructor(code: string, message: string, status?: number, options?: ErrorOptions) {
    super(code, message, options);
    this.status = status;
  }
}

export interface ApiRequest {
  method?: "GET" | "POST" | "DELETE";
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  body?: Readable;
  signal?: AbortSignal;
}

export class ApiClient {
  readonly base: URL;

  constructor(baseUrl: string) {
    try {
      this.base = new URL(baseUrl);
    } catch {
      throw new ApiRequestError("INVALID_API_URL", `not a URL: ${JSON.stringify(baseUrl)}`);
    }
    if (this.base.protocol !== "http:" && this.base.protocol !== "https:") {
      throw new ApiRequestError("INVALID_API_URL", `the API URL must be http(s): ${baseUrl}`);
    }
  }

  /** Sends a request; resolves with a 2xx response (body unread), throws ApiRequestError otherwise. */
  async send(req: ApiRequest): Promise<IncomingMessage> {
    const url = new URL(req.path, this.base);
    for (const [key, value] of Object.entries(req.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const make = url.protocol === "https:" ? httpsRequest : httpRequest;
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const outgoing = make(url, { method: req.method ?? "GET", headers: req.headers, signal: req.signal }, resolve);
      outgoing.on("error", (error: NodeJS.ErrnoException) => {
        if (error.name === "AbortError") return reject(error);
        reject(
          new ApiRequestError(
            "API_UNREACHABLE",
            `cannot reach the node API at ${this.base.origin}: ${error.code ?? error.message} (is \`modelvault node start\` running?)`,
          ),
        );
      });
      if (req.body === undefined) outgoing.end();
      else {
        req.body.on("error", (error) => outgoing.destroy(error));
        req.body.pipe(outgoing);
      }
    });
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) return response;
    throw await errorOf(response);
  }

  async json<T>(req: ApiRequest): Promise<T> {
    const response = await this.send(req);
    return JSON.parse((await readAll(response)).toString("utf8")) as T;
  }

  async bytes(req: ApiRequest): Promise<Buffer> {
    return readAll(await this.send(req));
  }
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream as AsyncIterable<Buffer>) parts.push(part);
  return Buffer.concat(parts);
}

async function errorOf(response: IncomingMessage): Promise<ApiRequestError> {
  const status = response.statusCode ?? 0;
  try {
    const text = (await readAll(response)).toString("utf8");
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === "string" && typeof body.error.message === "string") {
      return new ApiRequestError(body.error.code, body.error.message, status);
    }
  } catch {
    // not our JSON error body: fall through
  }
  return new ApiRequestError("HTTP_ERROR", `the API answered ${status} ${response.statusMessage ?? ""}`.trim(), status);
}
