/**
 * The operator's page (#/operator, on the node's own origin only): the node's status (GET
 * /v1/status: peers, pins, storage, shares, challenges, stake, transfer rates), read again every
 * POLL_MS while the page is open, and its pins, added and removed with confirmation.
 */
import { NodeApi, type NodeStatus } from "../operator/node-api.js";
import { pinsView } from "../operator/pins-view.js";
import { statusView } from "../operator/status-view.js";
import type { Page } from "../router.js";
import { errorBanner } from "../ui/error-banner.js";
import { loadingStatus } from "../ui/deferred.js";
import { h, replace } from "../ui/h.js";

/** How often the status is read again (the node caches what costs more than memory). */
export const POLL_MS = 3_000;

export const operatorPage: Page = {
  pattern: "/operator",
  title: "Operator",
  nav: true,
  nodeOriginOnly: true,
  async render(ctx, _params, signal) {
    const api = new NodeApi(ctx.nodeOrigin);
    const figures = h("div", { id: "node-status", "aria-busy": "true" }, loadingStatus("Reading the node's status…"));
    const problem = h("div", { class: "status-problem" });
    const updated = h("p", { class: "muted", id: "status-updated" });
    const pins = pinsView(api, signal, () => void readStatus());
    let reading: Promise<void> | undefined;

    const draw = (status: NodeStatus) => {
      replace(figures, statusView(status));
      figures.setAttribute("aria-busy", "false");
      figures.dataset.polls = String(Number(figures.dataset.polls ?? "0") + 1);
      replace(problem);
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}; read again every ${POLL_MS / 1000} s while this page is open.`;
      if (pins.listed !== undefined && pins.listed !== status.pins.count) void pins.refresh(); // changed elsewhere (CLI, a publish)
    };
    // One read at a time: a change's re-read joins a poll in flight.
    const readStatus = () =>
      (reading ??= api
        .status(signal)
        .then(draw, (error: unknown) => {
          if (signal.aborted) return;
          // The last figures stay, marked stale by the banner above them.
          replace(problem, errorBanner(error));
          figures.setAttribute("aria-busy", "false");
        })
        .finally(() => (reading = undefined)));
    void (async () => {
      await Promise.all([readStatus(), pins.refresh()]);
      while (!signal.aborted) {
        await sleep(POLL_MS, signal);
        if (!signal.aborted) await readStatus();
      }
    })();

    return h(
      "section",
      { class: "operator" },
      h("h1", {}, "This node"),
      updated,
      problem,
      figures,
      h("section", { class: "part", "data-section": "pins" }, h("h2", {}, "Pins"), pins.element),
    );
  },
};

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
