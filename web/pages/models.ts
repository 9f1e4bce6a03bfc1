/** The registry (home): every registered model, read from the chain through the SDK. Placeholder: the registry pages extend it. */
import type { Page } from "../router.js";
import { formatDuration, formatWei, shortAddress } from "../ui/format.js";
import { h } from "../ui/h.js";
import { table } from "../ui/table.js";

export const modelsPage: Page = {
  pattern: "/",
  title: "Models",
  nav: true,
  async render(ctx) {
    const models = await ctx.sdk().listModels({ names: true });
    return h(
      "section",
      { class: "models" },
      h("h1", {}, "Models"),
      table(
        [
          { title: "Id", cell: (m) => String(m.modelId) },
          { title: "Name", cell: (m) => m.name ?? "—" },
          { title: "Owner", cell: (m) => h("span", { title: m.owner }, shortAddress(m.owner)) },
          { title: "Price", cell: (m) => formatWei(m.terms.price) },
          { title: "Duration", cell: (m) => formatDuration(m.terms.duration) },
          { title: "Status", cell: (m) => m.status },
        ],
        models,
        "No model is registered yet.",
      ),
    );
  },
};
