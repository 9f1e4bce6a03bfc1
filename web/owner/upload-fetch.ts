/**
 * A fetch for uploads that reports progress: fetch() cannot tell how much of a request body was
 * sent (a streamed body would need HTTP/2), XMLHttpRequest can. The body is the File itself, which
 * the browser reads from disk as it sends: the upload is never held in the page's memory. The SDK
 * takes it as its `fetch` (FetchLike), so its checks of the node's answer stay the same.
 */
import type { FetchLike } from "../../sdk/index.js";

export type UploadProgress = (sent: number, total: number) => void;

export function uploadFetch(onProgress: UploadProgress): FetchLike {
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const signal = init.signal ?? undefined;
      if (signal?.aborted === true) return reject(signal.reason);
      const xhr = new XMLHttpRequest();
      xhr.open(init.method ?? "GET", String(input));
      xhr.responseType = "arraybuffer";
      new Headers(init.headers).forEach((value, name) => xhr.setRequestHeader(name, value));
      xhr.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : 0);
      xhr.onload = () => resolve(new Response(xhr.status === 204 ? null : (xhr.response as ArrayBuffer), { status: xhr.status, statusText: xhr.statusText, headers: responseHeaders(xhr) }));
      // As fetch does: a network failure is a TypeError, an abort the signal's reason.
      xhr.onerror = () => reject(new TypeError(`the upload to ${new URL(String(input)).origin} failed`));
      xhr.onabort = () => reject(signal?.reason ?? new DOMException("aborted", "AbortError"));
      signal?.addEventListener("abort", () => xhr.abort(), { once: true });
      xhr.send((init.body ?? null) as XMLHttpRequestBodyInit | null);
    });
}

function responseHeaders(xhr: XMLHttpRequest): Headers {
  const headers = new Headers();
  for (const line of xhr.getAllResponseHeaders().trim().split(/[\r\n]+/)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return headers;
}
