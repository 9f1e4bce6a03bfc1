/**
 * Each custodian's answer to the release request, for the page to show: a fetch wrapper given
 * to the page's SDK client that watches POST <endpoint>/v1/custody/releases and reports the
 * status and, for a refusal, the node's error code. It reads a clone of the answer: the SDK gets
 * the original untouched (and still checks everything itself).
 */
import type { FetchLike } from "../../sdk/index.js";

export type CustodianAnswer =
  | { state: "asking" }
  | { state: "released" }
  | { state: "refused"; code: string; message: string; status: number }
  | { state: "unreachable"; message: string };

/** The release URL the SDK posts to for `endpoint` (the SDK's own resolution: endpoint + "/v1/custody/releases"). */
export function releaseUrl(endpoint: string): string {
  return new URL("v1/custody/releases", endpoint.endsWith("/") ? endpoint : `${endpoint}/`).href;
}

export function watchReleases(inner: FetchLike, onAnswer: (url: string, answer: CustodianAnswer) => void): FetchLike {
  return async (input, init) => {
    const url = String(input);
    if (init?.method !== "POST" || !new URL(url).pathname.endsWith("/v1/custody/releases")) return inner(input, init);
    onAnswer(url, { state: "asking" });
    let response: Response;
    try {
      response = await inner(input, init);
    } catch (error) {
      onAnswer(url, { state: "unreachable", message: error instanceof Error ? error.message : String(error) });
      throw error;
    }
    if (response.ok) onAnswer(url, { state: "released" });
    else {
      const body = (await response.clone().json().catch(() => ({}))) as { error?: { code?: unknown; message?: unknown } };
      const code = typeof body.error?.code === "string" ? body.error.code : `HTTP ${response.status}`;
      const message = typeof body.error?.message === "string" ? body.error.message.slice(0, 300) : "";
      onAnswer(url, { state: "refused", code, message, status: response.status });
    }
    return response;
  };
}
