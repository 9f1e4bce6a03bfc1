/**
 * #/owner/:id: a model as its owner manages it: the licence terms (change them), the licences
 * (grant one to an address, revoke one), the earnings and their withdrawal, pausing sales.
 * Everyone can read the page; only the owner's wallet can act (the SDK refuses others with NOT_OWNER before
 * anything is signed, and the page says so up front). Each action is read back from the chain.
 */
import { formatEther, isAddress } from "viem";
import { SdkError, type Earnings, type ModelInfo, type ModelvaultClient } from "../../sdk/index.js";
import type { AppContext } from "../context.js";
import { isOwner, modelLicences, type ModelLicence } from "../owner/licences.js";
import { parseCount, parseDays, termsFieldset } from "../owner/terms-form.js";
import type { Page } from "../router.js";
import { href } from "../router.js";
import { errorBanner } from "../ui/error-banner.js";
import { formatDuration, formatWei, shortAddress } from "../ui/format.js";
import { h, replace } from "../ui/h.js";
import { table } from "../ui/table.js";

interface OwnerView {
  model: ModelInfo;
  name: string | null;
  licences: ModelLicence[];
  earnings: Earnings;
}

export const ownerModelPage: Page = {
  pattern: "/owner/:id",
  title: "Manage a model",
  async render(ctx, params, signal) {
    if (!/^[1-9]\d{0,30}$/.test(params.id ?? "")) throw new SdkError("INVALID_ARGUMENT", `"${params.id}" is not a model id`);
    const modelId = BigInt(params.id!);
    const body = h("div", { class: "owner-body" });
    const status = h("div", { class: "owner-status", role: "status" });
    const draw = async (): Promise<void> => replace(body, ...managePanels(ctx, modelId, await load(ctx.sdk(), ctx, modelId), { status, redraw }));
    const redraw = (): Promise<void> => draw().catch((error: unknown) => replace(status, errorBanner(error)));
    await draw();
    const unsubscribe = ctx.wallet.onChange(() => void redraw());
    signal.addEventListener("abort", unsubscribe, { once: true });
    return h("section", { class: "owner-model" }, h("h1", {}, `Manage model ${modelId}`), status, body);
  },
};

async function load(sdk: ModelvaultClient, ctx: AppContext, modelId: bigint): Promise<OwnerView> {
  const model = await sdk.getModel(modelId);
  const [version, licences, earnings] = await Promise.all([sdk.getVersion(modelId, model.version), modelLicences(ctx, sdk, modelId), sdk.earnings(model.owner)]);
  const name = await sdk.getManifest(version.manifestCid, { expectedOwner: model.owner }).then((m) => m.manifest.name ?? null, () => null);
  return { model, name, licences, earnings };
}

interface Actions {
  status: HTMLElement;
  redraw(): Promise<void>;
}

function managePanels(ctx: AppContext, modelId: bigint, view: OwnerView, actions: Actions): Node[] {
  const { model, name, licences, earnings } = view;
  const account = ctx.wallet.state.account;
  // Without a connected wallet the buttons connect one first; another account cannot act.
  const canAct = account === undefined || isOwner(account, model.owner);
  /** Runs a wallet action from `button`, says what happened, and reads the page back from the chain. */
  const act = (button: HTMLButtonElement, action: (sdk: ModelvaultClient) => Promise<string>) => async () => {
    button.disabled = true;
    replace(actions.status);
    try {
      const said = await action(await ctx.signingSdk());
      await actions.redraw();
      replace(actions.status, h("p", { class: "success" }, said));
    } catch (error) {
      replace(actions.status, errorBanner(error));
    } finally {
      button.disabled = false;
    }
  };
  const button = (id: string, label: string, action: (sdk: ModelvaultClient) => Promise<string>, extra: Record<string, string> = {}) => {
    const element = h("button", { type: "button", id, disabled: !canAct, ...extra }, label);
    element.addEventListener("click", () => void act(element, action)());
    return element;
  };

  const terms = termsFieldset(model.terms, "Licence terms (for licences bought from now on)");
  const saveTerms = button("save-terms", "Save terms", async (sdk) => {
    const { tx, terms: saved } = await sdk.setTerms(modelId, terms.read());
    return tx === null ? "The terms are unchanged: nothing was sent." : `Terms saved: a licence now costs ${formatWei(saved.price)} and lasts ${formatDuration(saved.duration)}.`;
  });

  const grantee = h("input", { name: "grantee", id: "grantee", placeholder: "0x…", size: 44 });
  const grantDays = h("input", { name: "grant-days", id: "grant-days", inputmode: "decimal", value: "30" });
  const grantUses = h("input", { name: "grant-uses", id: "grant-uses", inputmode: "numeric", value: "0" });
  const grant = button("grant", "Grant a licence", async (sdk) => {
    const to = grantee.value.trim();
    if (!isAddress(to)) throw new SdkError("INVALID_ARGUMENT", `grantee: "${to}" is not an address`);
    const seconds = parseDays("expiry", grantDays.value);
    const expiresAt = seconds === 0 ? 0 : Math.floor(Date.now() / 1000) + seconds;
    const { licence } = await sdk.grantLicence(modelId, to, { expiresAt, maxUses: parseCount("uses", grantUses.value) });
    return `Licence granted to ${to}: ${licence.expiresAt === 0 ? "no expiry" : `until ${isoDate(licence.expiresAt)}`}, ${licence.maxUses === 0 ? "unlimited uses" : `${licence.maxUses} uses`}.`;
  });

  const withdraw = button("withdraw", "Withdraw", async (sdk) => {
    const { amount } = await sdk.withdrawEarnings();
    return `Withdrew ${formatWei(amount)} to your wallet.`;
  });
  const thisModel = earnings.pending.filter((p) => p.modelId === modelId);
  const statusButton =
    model.status === "active"
      ? button("pause", "Pause sales", async (sdk) => `Sales are ${(await sdk.changeStatus(modelId, "pause")).status}: existing licences keep working.`)
      : model.status === "paused" && button("unpause", "Resume sales", async (sdk) => `The model is ${(await sdk.changeStatus(modelId, "unpause")).status} again: licences are on sale.`);

  return [
    h(
      "section",
      { class: "owner-summary" },
      h("p", {}, h("strong", {}, name ?? "(unnamed)"), ` · version ${model.version} · `, h("span", { "data-status": model.status }, model.status), " · ",
        h("a", { href: href("/models/:id", { id: modelId }) }, "public page"), " ", statusButton),
      h("p", {}, "Owner ", h("code", { "data-owner": model.owner }, model.owner)),
      !canAct && h("p", { class: "owner-only error-banner", role: "note" }, `Only the owner's wallet can change this model; you are connected as ${account}. Switch to ${shortAddress(model.owner)} in your wallet to act.`),
      account === undefined && h("p", { class: "owner-only muted" }, "Connect the owner's wallet to act: the buttons ask it first."),
    ),
    h("section", { class: "owner-terms" }, h("h2", {}, "Terms"), terms.element, h("p", {}, saveTerms)),
    h(
      "section",
      { class: "owner-licences" },
      h("h2", {}, "Licences"),
      table<ModelLicence>(
        [
          { title: "Account", cell: (l) => h("code", { title: l.account, "data-licensee": l.account }, shortAddress(l.account)) },
          { title: "How", cell: (l) => l.issued },
          { title: "Version", cell: (l) => String(l.version) },
          { title: "Expires", cell: (l) => (l.expiresAt === 0 ? "never" : isoDate(l.expiresAt)) },
          { title: "Uses", cell: (l) => `${l.used} of ${l.maxUses === 0 ? "unlimited" : l.maxUses}` },
          { title: "State", cell: (l) => h("span", { "data-licence-state": l.revoked ? "revoked" : l.usable ? "usable" : "unusable" }, l.revoked ? "revoked" : l.usable ? "usable" : "not usable") },
          {
            title: "",
            cell: (l) => !l.revoked && button(`revoke-${l.account.toLowerCase()}`, "Revoke", async (sdk) => {
              await sdk.revokeLicence(modelId, l.account);
              return `The licence of ${l.account} is revoked.`;
            }, { "data-revoke": l.account }),
          },
        ],
        licences,
        "No licence has been bought or granted yet.",
      ),
      h("h3", {}, "Grant a licence (free)"),
      h("div", { class: "grant" },
        h("label", { class: "field" }, h("span", {}, "Account"), grantee),
        h("label", { class: "field" }, h("span", {}, "Expires in (days)"), grantDays, h("small", { class: "muted" }, "0: never")),
        h("label", { class: "field" }, h("span", {}, "Uses"), grantUses, h("small", { class: "muted" }, "0: unlimited")),
        grant),
    ),
    h(
      "section",
      { class: "owner-earnings" },
      h("h2", {}, "Earnings"),
      h("p", {}, "Claimable by the owner, all models: ", h("strong", { id: "claimable", "data-wei": earnings.total.toString() }, formatWei(earnings.total)),
        earnings.balance > 0n ? ` (${formatEther(earnings.balance)} ETH already credited)` : ""),
      thisModel.length > 0 && h("p", { class: "muted" }, "From this model: ", thisModel.map((p) => `version ${p.version}: ${formatWei(p.amount)}`).join(", ")),
      h("p", {}, withdraw, h("small", { class: "muted" }, " claims every version's revenue, then pays the whole balance to the owner's wallet")),
    ),
  ];
}

function isoDate(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.000Z$/, "Z");
}

