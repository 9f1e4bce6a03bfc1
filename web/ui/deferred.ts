/**
 * A part of a page that loads after the page is shown: a "Loading…" status first, then what
 * `load` built, or the error banner when it failed. Nothing is drawn once `signal` aborted (the
 * user left the page). `aria-busy` is "false" once settled (what tests wait for).
 */
import { errorBanner } from "./error-banner.js";
import { h, replace, type Attrs, type Child } from "./h.js";

export function deferred(signal: AbortSignal, label: string, load: () => Promise<Child>, attrs: Attrs = {}): HTMLElement {
  const element = h("div", { ...attrs, class: ["deferred", attrs.class].filter(Boolean).join(" "), "aria-busy": "true" }, loadingStatus(label));
  const settle = (content: Child) => {
    if (signal.aborted) return;
    replace(element, content);
    element.setAttribute("aria-busy", "false");
  };
  load().then(settle, (error: unknown) => settle(errorBanner(error)));
  return element;
}

/** The loading line every deferred part shows. */
export function loadingStatus(label: string): HTMLElement {
  return h("p", { class: "loading muted", role: "status" }, label);
}
