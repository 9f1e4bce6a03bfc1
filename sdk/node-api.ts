/**
 * A node's HTTP API (docs/API.md) through fetch: manifest blocks, sealed content, custody
 * releases. The node is not trusted: what it returns is checked by the caller (CID, signature,
 * AEAD tags).
 */
import { SdkError, type SdkErrorCode } from "./errors.js";

export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** Node codes the SDK passes on as its own; any other is NODE_ERROR with `nodeCode`. */
const PASSED_ON: ReadonlySet<string> = new Set<SdkErrorCode>(["INVALID_MANIFEST", "CONTENT_MISMATCH", "CONTENT_NOT_FOUND", "NOT_ENOUGH_SHARES"]);

/** Only http(s) URLs without credentials, as the node's custody client allows. */
export function apiUrl(base: string, path: string, query: Record<string, string | undefined> = {}): URL {
  let root: URL;
  try {
    root = new URL(base);
  } catch {
    throw new SdkError("INVALID_ARGUMENT", `not a URL: ${JSON.stringify(String(base).slice(0, 100))}`);
  }
  if ((root.protocol !== "http:" && root.protocol !== "https:") || root.username !== "" || root.password !== "") {
    throw new SdkError("INVALID_ARGUMENT", `${root.origin}: node and custodian endpoints are plain http(s) URLs`);
  }
  const url = new URL(path.replace(/^\//, ""), root.href.endsWith("/") ? root : `${root.href}/`);
  for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, value);
  return url;
}

/** The node's error body {error: {code, message}} as an SdkError. */
export async function errorOf(response: Response, origin: string): Promise<SdkError> {
  let code: unknown;
  let message: unknown;
  try {
    ({ code, message } = ((await response.json()) as { error?: { code?: unknown; message?: unknown } }).error ?? {});
  } catch {
    return new SdkError("NODE_UNAVAILABLE", `${origin} answered ${response.status} without a JSON error`, { status: response.status });
  }
  const text = typeof message === "string" ? message.slice(0, 500) : `HTTP ${response.status}`;
  if (typeof code !== "string") return new SdkError("NODE_ERROR", `${origin}: ${text}`, { status: response.status });
  const sdkCode: SdkErrorCode = PASSED_ON.has(code) ? (code as SdkErrorCode) : "NODE_ERROR";
  return new SdkError(sdkCode, `${origin}: ${text} [${code}]`, { nodeCode: code, status: response.status });
}

export interface RequestOptions {
  method?: "GET" | "POST" | "DELETE";
  query?: Record<string, string | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Sends a request; a non-2xx answer becomes an SdkError from the node's error body. */
export async function request(fetchFn: FetchLike, base: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const url = apiUrl(base, path, options.query);
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetchFn(url, { method: options.method ?? "GET", headers, body, signal: options.signal });
  } catch (error) {
    if (options.signal?.aborted) throw new SdkError("ABORTED", `${url.origin}: aborted`, {}, { cause: options.signal.reason ?? error });
    throw new SdkError("NODE_UNAVAILABLE", `${url.origin} is unreachable`, {}, { cause: error });
  }
  if (!response.ok) throw await errorOf(response, url.origin);
  return response;
}

export async function requestBytes(fetchFn: FetchLike, base: string, path: string, options: RequestOptions = {}): Promise<Uint8Array> {
  const response = await request(fetchFn, base, path, options);
  try {
    return new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    throw new SdkError("NODE_UNAVAILABLE", `${new URL(base).origin}: the answer was cut short`, {}, { cause: error });
  }
}

export async function requestJson(fetchFn: FetchLike, base: string, path: string, options: RequestOptions = {}): Promise<unknown> {
  const response = await request(fetchFn, base, path, options);
  try {
    return await response.json();
  } catch (error) {
    throw new SdkError("NODE_UNAVAILABLE", `${new URL(base).origin} answered ${response.status} without JSON`, { status: response.status }, { cause: error });
  }
}
