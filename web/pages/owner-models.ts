/** #/owner: the connected wallet's models (the registry's models it owns now), each linking to its owner's page. */
import type { Address } from "viem";
import type { AppContext } from "../context.js";
import type { Page } from "../router.js";
import { href } from "../router.js";
import { errorBanner } from "../ui/error-banner.js";
import { formatDuration, formatWei } from "../ui/format.js";
import { h, replace } from "../ui/h.js";
import { table } from "../ui/table.js";

export const ownerModelsPage: Page = {
  pattern: "/owner",
  title: "My models",
  nav: true,
  async render(ctx, _params, signal) {
    const list = h("div", { class: "owner-list" });
    const draw = async () => replace(list, await ownedModels(ctx, ctx.wallet.state.account));
    await draw();
    const unsubscribe = ctx.wallet.onChange(() => void draw().catch((error: unknown) => replace(list, errorBanner(error))));
    signal.addEventListener("abort", unsubscribe, { once: true });
    return h(
      "section",
      { class: "owner-models" },
      h("h1", {}, "My models"),
      h("p", {}, h("a", { href: href("/owner/publish"), id: "publish-link" }, "Publish a model")),
      list,
    );
  },
};

async function ownedModels(ctx: AppContext, account: Address | undefined): Promise<Node> {
  if (account === undefined) {
    const problem = h("div");
    const connect = h("button", { type: "button", id: "owner-connect" }, "Connect wallet");
    connect.addEventListener("click", () => void ctx.wallet.connect().catch((error: unknown) => replace(problem, errorBanner(error))));
    return h("div", {}, h("p", { class: "muted" }, "Connect your wallet to see the models it owns."), connect, problem);
  }
  const models = await ctx.sdk().listModels({ owner: account, names: true });
  return table(
    [
      { title: "Id", cell: (m) => h("a", { href: href("/owner/:id", { id: m.modelId }), "data-model-id": m.modelId.toString() }, String(m.modelId)) },
      { title: "Name", cell: (m) => m.name ?? "—" },
      { title: "Version", cell: (m) => String(m.version) },
      { title: "Price", cell: (m) => formatWei(m.terms.price) },
      { title: "Duration", cell: (m) => formatDuration(m.terms.duration) },
      { title: "Custody", cell: (m) => `${m.threshold} of ${m.custodians.length}` },
      { title: "Status", cell: (m) => m.status },
    ],
    models,
    "This wallet owns no model yet.",
  );
}
