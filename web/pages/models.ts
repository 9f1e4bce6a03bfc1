/**
 * The registry (home): every registered model, read from the chain through the SDK
 * (listModels with the manifests' names), searched by name, owner or id on the client and shown
 * PAGE_SIZE rows at a time. The search state lives in the route ("#/?q=…&page=…"), so a search can
 * be linked (the model page links an owner's other models this way).
 */
import type { ModelSummary } from "../../sdk/index.js";
import type { Page } from "../router.js";
import { currentPath, href } from "../router.js";
import { matchesQuery, pageOf, registryPath, registryQuery } from "../registry/search.js";
import { deferred } from "../ui/deferred.js";
import { termsText } from "../registry/terms.js";
import { formatWei, shortAddress } from "../ui/format.js";
import { h, replace } from "../ui/h.js";
import { table } from "../ui/table.js";

export const modelsPage: Page = {
  pattern: "/",
  title: "Models",
  nav: true,
  async render(ctx, _params, signal) {
    const state = registryQuery(currentPath());
    const search = h("input", { type: "search", id: "model-search", name: "q", placeholder: "Name, owner address or id", "aria-label": "Search models", value: state.q, autocomplete: "off" });
    const listing = deferred(signal, "Loading the registry…", async () => {
      const models = await ctx.sdk().listModels({ names: true });
      const results = h("div", { id: "model-results" });
      const draw = () => {
        // replaceState: the route follows the search without a hashchange (no reload of the list).
        history.replaceState(null, "", `#${registryPath(state)}`);
        replace(results, modelTable(models, state, (page) => {
          state.page = page;
          draw();
        }));
      };
      search.addEventListener("input", () => {
        state.q = search.value;
        state.page = 1;
        draw();
      });
      if (search.value !== state.q) Object.assign(state, { q: search.value, page: 1 }); // typed while the list loaded
      draw();
      return results;
    }, { "data-section": "models" });
    return h(
      "section",
      { class: "models" },
      h("h1", {}, "Models"),
      h("form", { class: "search", role: "search", onsubmit: (event: Event) => event.preventDefault() }, search),
      listing,
    );
  },
};

function modelTable(models: readonly ModelSummary[], state: { q: string; page: number }, goTo: (page: number) => void): HTMLElement {
  if (models.length === 0) return h("p", { class: "empty", "data-empty": "registry" }, "No model is registered yet.");
  const found = models.filter((m) => matchesQuery(m, state.q));
  const shown = pageOf(found, state.page);
  const summary =
    found.length === 0
      ? `No model matches “${state.q.trim()}” (of ${models.length} registered).`
      : state.q.trim() === ""
        ? `${models.length} models registered; showing ${shown.first}–${shown.last}.`
        : `${found.length} of ${models.length} models match; showing ${shown.first}–${shown.last}.`;
  return h(
    "div",
    {},
    h("p", { class: "muted", "data-summary": "", "data-matches": found.length, "data-total": models.length }, summary),
    found.length > 0 &&
      table(
        [
          { title: "Id", cell: (m) => h("a", { href: href("/models/:id", { id: m.modelId }) }, String(m.modelId)) },
          { title: "Name", cell: (m) => h("a", { href: href("/models/:id", { id: m.modelId }) }, m.name ?? "(unnamed)") },
          { title: "Owner", cell: (m) => h("span", { class: "account", title: m.owner }, shortAddress(m.owner)) },
          { title: "Price", cell: (m) => formatWei(m.terms.price) },
          { title: "Terms", cell: (m) => termsText(m.terms) },
          { title: "Version", cell: (m) => String(m.version) },
          { title: "Status", cell: (m) => h("span", { class: `status status-${m.status}` }, m.status) },
        ],
        shown.rows,
      ),
    shown.pages > 1 &&
      h(
        "nav",
        { class: "pager", "aria-label": "Pages" },
        h("button", { type: "button", "data-page": "previous", disabled: shown.page === 1, onclick: () => goTo(shown.page - 1) }, "Previous"),
        h("span", { "data-page-of": "" }, ` page ${shown.page} of ${shown.pages} `),
        h("button", { type: "button", "data-page": "next", disabled: shown.page === shown.pages, onclick: () => goTo(shown.page + 1) }, "Next"),
      ),
  );
}
