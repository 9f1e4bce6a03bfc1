/**
 * Calls a custodian's HTTP API (POST /v1/custody/...): JSON in, JSON out, a deadline on every
 * call, and the custodian's refusal turned back into the typed CustodyRefusedError. Over
 * node:http(s) with keep-alive agents, not fetch: a licensee makes k or more calls per key, and
 * fetch (undici's WHATWG layer) costs ~6x the client CPU per call here (215 vs 35 us). Redirects
 * are not followed (a signed request goes only to the endpoint the chain registered).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { z } from "zod";
import { NodeError } from "../errors.js";
import { CustodyRefusedError, REFUSAL_STATUS, type RefusalCode } from "./errors.js";

/** A custodian could not be asked: unreachable, timed out, or answered nonsense. */
export class CustodianUnavailableError extends NodeError {
  constructor(endpoint: string, reason: string, options?: ErrorOptions) {
    super("CUSTODIAN_UNAVAILABLE", `custodian ${endpoint}: ${reason}`, options);
  }
}

/** Only http(s) endpoints, and never with credentials in them. */
export function custodianUrl(endpoint: string, path: string): URL {
  let base: URL;
  try {
    base = new URL(endpoint);
  } catch {
    throw new CustodianUnavailableError(JSON.stringify(endpoint.slice(0, 100)), "not a URL");
  }
  if ((base.protocol !== "http:" && base.protocol !== "https:") || base.username !== "" || base.password !== "") {
    throw new CustodianUnavailableError(base.origin, "custodian endpoints are plain http(s) URLs");
  }
  return new URL(path, base.href.endsWith("/") ? base : `${base.href}/`);
}

/** Idle sockets are unref'd by the agent, so they do not keep a process alive. */
const agents = { "http:": new HttpAgent({ keepAlive: true }), "https:": new HttpsAgent({ keepAlive: true }) };
/** A custodian's answer is well under 2 KiB; a longer one is not an answer. */
const MAX_ANSWER_BYTES = 64 * 1024;

function post(url: URL, body: string, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const make = url.protocol === "https:" ? httpsRequest : httpRequest;
    const headers = { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) };
    const outgoing = make(url, { method: "POST", headers, agent: agents[url.protocol as "http:" | "https:"], signal }, resolve);
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

async function answerJson(response: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  let length = 0;
  for await (const part of response as AsyncIterable<Buffer>) {
    length += part.length;
    if (length > MAX_ANSWER_BYTES) {
      response.destroy();
      throw new Error(`answer over ${MAX_ANSWER_BYTES} bytes`);
    }
    parts.push(part);
  }
  return JSON.parse(Buffer.concat(parts).toString("utf8"));
}

export async function callCustodian<S extends z.ZodTypeAny>(
  endpoint: string,
  path: string,
  body: unknown,
  schema: S,
  signal: AbortSignal,
): Promise<z.output<S>> {
  const url = custodianUrl(endpoint, path);
  let response: IncomingMessage;
  try {
    response = await post(url, JSON.stringify(body), signal);
  } catch (error) {
    const reason = signal.aborted ? "no answer before the deadline" : "unreachable";
    throw new CustodianUnavailableError(url.origin, reason, { cause: error });
  }
  const status = response.statusCode ?? 0;
  let json: unknown;
  try {
    json = await answerJson(response);
  } catch (error) {
    throw new CustodianUnavailableError(url.origin, `answered ${status} without JSON`, { cause: error });
  }
  if (status < 200 || status > 299) {
    const { code, message } = ((json as { error?: { code?: unknown; message?: unknown } })?.error ?? {}) as { code?: unknown; message?: unknown };
    if (typeof code === "string" && code in REFUSAL_STATUS) {
      throw new CustodyRefusedError(code as RefusalCode, typeof message === "string" ? message.slice(0, 500) : code);
    }
    throw new CustodianUnavailableError(url.origin, `answered ${status} ${typeof code === "string" ? code : ""}`.trim());
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new CustodianUnavailableError(url.origin, "answered with a malformed body");
  return parsed.data as z.output<S>;
}
