/**
 * A model's page (#/models/:id): its state and terms, its versions with their files, its
 * custodians with stake and challenge record, its attestations and its history trail, read
 * through the SDK's registry views (modelInfo, modelHistory) and the signed manifests. Links to
 * opening it (#/models/:id/open) and, for its owner's wallet, to the owner's page (#/owner/:id).
 */
import { SdkError, type ModelDetails, type SignedManifest } from "../../sdk/index.js";
import type { AppContext } from "../context.js";
import type { Page } from "../router.js";
import { href } from "../router.js";
import { historyTable } from "../registry/history.js";
import { attestationsTable, custodiansTable, versionsSection } from "../registry/model-sections.js";
import { registryPath } from "../registry/search.js";
import { termsText } from "../registry/terms.js";
import { deferred } from "../ui/deferred.js";
import { formatWei, shortAddress } from "../ui/format.js";
import { h, replace, type Child } from "../ui/h.js";

export const modelPage: Page = {
  pattern: "/models/:id",
  title: "Model",
  async render(ctx, params, signal) {
    const modelId = parseModelId(params.id ?? "");
    const route = href("/models/:id", { id: modelId });
    const manifests = new Map<string, Promise<SignedManifest>>();
    const manifest = (cid: string) => {
      let read = manifests.get(cid);
      if (read === undefined) manifests.set(cid, (read = ctx.sdk().getManifest(cid, { signal })));
      return read;
    };
    const defer = (label: string, load: () => Promise<Child>, attrs: Record<string, string> = {}) => deferred(signal, label, load, attrs);
    const section = (id: string, title: string, ...content: Child[]) => h("section", { class: "part", "data-section": id }, h("h2", {}, title), ...content);
    const name = h("span", { class: "model-name" });
    const body = defer("Reading the model from the chain…", async () => {
      const info = await ctx.sdk().modelInfo(modelId);
      const current = info.versions.find((v) => v.version === info.version);
      if (current !== undefined) {
        void manifest(current.manifestCid).then((m) => m.manifest.name !== undefined && !signal.aborted && replace(name, `: ${m.manifest.name}`), () => undefined); // the files show the error
      }
      return [
        overview(ctx, info, signal),
        section("versions", "Versions and files", versionsSection(info, { route, defer, manifest })),
        section("custodians", "Custodians", custodiansTable(info.custodians)),
        section("attestations", "Attestations", attestationsTable(info, route)),
        // Its links point into the parts above.
        section("history", "History", defer("Reading the history…", async () => historyTable(await ctx.sdk().modelHistory(modelId), { route, info }), { "data-history": "" })),
      ];
    }, { "data-section": "model" });
    return h("section", { class: "model", "data-model": modelId.toString() }, h("h1", {}, `Model ${modelId}`, name), body);
  },
};

/** "7" -> 7n; anything else is INVALID_ARGUMENT before the chain is asked. */
function parseModelId(text: string): bigint {
  if (!/^[1-9][0-9]{0,76}$/.test(text)) throw new SdkError("INVALID_ARGUMENT", `“${text.slice(0, 80)}” is not a model id (a positive whole number)`);
  return BigInt(text);
}

function overview(ctx: AppContext, info: ModelDetails, signal: AbortSignal): HTMLElement {
  const ownerLink = h("span", { class: "owner-link" });
  const drawOwnerLink = () => {
    const account = ctx.wallet.state.account;
    const isOwner = account !== undefined && account.toLowerCase() === info.owner.toLowerCase();
    replace(ownerLink, isOwner && h("a", { href: href("/owner/:id", { id: info.modelId }), class: "button", id: "manage-model" }, "Manage (you own it)"));
  };
  const unsubscribe = ctx.wallet.onChange(drawOwnerLink);
  signal.addEventListener("abort", unsubscribe, { once: true });
  drawOwnerLink();
  const { terms } = info;
  return h(
    "div",
    { class: "overview" },
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Owner"),
      h("dd", {}, h("a", { href: `#${registryPath({ q: info.owner, page: 1 })}`, class: "account", title: `models of ${info.owner}`, "data-owner": info.owner }, shortAddress(info.owner)), info.pendingOwner !== null && ` (transfer offered to ${shortAddress(info.pendingOwner)})`),
      h("dt", {}, "Status"),
      h("dd", {}, h("span", { class: `status status-${info.status}`, "data-status": info.status }, info.status)),
      h("dt", {}, "Price"),
      h("dd", { "data-price": terms.price.toString() }, formatWei(terms.price)),
      h("dt", {}, "Terms"),
      h("dd", {}, termsText(terms)),
      h("dt", {}, "Current version"),
      h("dd", {}, String(info.version)),
    ),
    h("p", { class: "actions" }, h("a", { href: href("/models/:id/open", { id: info.modelId }), class: "button", id: "open-model" }, info.status === "active" ? "Buy or open" : "Open (licence holders)"), " ", ownerLink),
  );
}
