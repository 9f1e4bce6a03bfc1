/**
 * Calls a custodian's HTTP API (POST /v1/custody/...): JSON in, JSON out, a deadline on every
 * call, and the custodian's refusal turned back into the typed CustodyRefusedError.
 */
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

export async function callCustodian<S extends z.ZodTypeAny>(
  endpoint: string,
  path: string,
  body: unknown,
  schema: S,
  signal: AbortSignal,
): Promise<z.output<S>> {
  const url = custodianUrl(endpoint, path);
  let response: Response;
  try {
    response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal });
  } catch (error) {
    const reason = signal.aborted ? "no answer before the deadline" : "unreachable";
    throw new CustodianUnavailableError(url.origin, reason, { cause: error });
  }
  let json: unknown;
  try {
    json = await response.json();
  } catch (error) {
    throw new CustodianUnavailableError(url.origin, `answered ${response.status} without JSON`, { cause: error });
  }
  if (!response.ok) {
    const { code, message } = ((json as { error?: { code?: unknown; message?: unknown } })?.error ?? {}) as { code?: unknown; message?: unknown };
    if (typeof code === "string" && code in REFUSAL_STATUS) {
      throw new CustodyRefusedError(code as RefusalCode, typeof message === "string" ? message.slice(0, 500) : code);
    }
    throw new CustodianUnavailableError(url.origin, `answered ${response.status} ${typeof code === "string" ? code : ""}`.trim());
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new CustodianUnavailableError(url.origin, "answered with a malformed body");
  return parsed.data as z.output<S>;
}
