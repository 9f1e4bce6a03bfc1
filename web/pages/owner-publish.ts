/**
 * #/owner/publish: publish a file for the connected wallet (docs/API.md, "Publish sessions").
 * The browser streams the File to the node (never read into the page), the node seals it and
 * answers the session with the content key once; the wallet signs the manifest and one deposit
 * per custodian, the node delivers them, and the wallet sends registerModel. A failed step can be
 * continued (the session stays open on the node); "Start over" abandons it.
 */
import { isAddressEqual, type Address } from "viem";
import { createModelvaultClient, SdkError, type DepositedSession, type LicenceTerms, type PublishSession } from "../../sdk/index.js";
import type { AppContext } from "../context.js";
import { registeredCustodians, type RegisteredCustodian } from "../owner/custodians.js";
import { secretsPanel, type SecretsPanel } from "../owner/secrets.js";
import { termsFieldset } from "../owner/terms-form.js";
import { uploadFetch } from "../owner/upload-fetch.js";
import type { Page } from "../router.js";
import { href } from "../router.js";
import { errorBanner } from "../ui/error-banner.js";
import { formatBytes, formatWei, shortAddress } from "../ui/format.js";
import { h, replace } from "../ui/h.js";
import { progressBar } from "../ui/progress.js";

const FREE: LicenceTerms = { price: 0n, duration: 0, maxUses: 0, minStake: 0n, carryOver: false };

type StepName = "upload" | "sign" | "register";
type StepState = "pending" | "active" | "done" | "failed";

interface PublishRequest {
  file: File;
  name: string;
  custodians: Address[];
  threshold: number;
  terms: LicenceTerms;
}

export const ownerPublishPage: Page = {
  pattern: "/owner/publish",
  title: "Publish a model",
  async render(ctx, _params, signal) {
    ctx.chain(); // CONFIG_UNAVAILABLE on a node without a chain
    const custodians = await registeredCustodians(ctx.publicClient(), ctx.config.chain!.deployment);
    return publishForm(ctx, custodians, signal);
  },
};

function publishForm(ctx: AppContext, custodians: RegisteredCustodian[], signal: AbortSignal): HTMLElement {
  const file = h("input", { type: "file", name: "file", id: "publish-file" });
  const name = h("input", { name: "name", id: "publish-name", maxlength: 200, placeholder: "my-model" });
  const picks = custodians.map((c) => ({ custodian: c, box: h("input", { type: "checkbox", name: "custodian", value: c.address, checked: c.active, disabled: !c.active }) }));
  const threshold = h("input", { type: "number", name: "threshold", id: "publish-threshold", min: 2, value: 2 });
  const terms = termsFieldset(FREE);
  const submit = h("button", { type: "submit", id: "publish" }, "Publish");
  const restart = h("button", { type: "button", id: "publish-restart", class: "secondary", hidden: true }, "Start over");
  const problem = h("div", { class: "publish-problem" });
  const outcome = h("div", { class: "publish-outcome" });
  const progress = progressBar();
  const stepItems = new Map<StepName, HTMLLIElement>([
    ["upload", h("li", { "data-step": "upload", "data-state": "pending" }, "Upload and seal on the node")],
    ["sign", h("li", { "data-step": "sign", "data-state": "pending" }, "Sign the manifest and each custodian's key share in your wallet")],
    ["register", h("li", { "data-step": "register", "data-state": "pending" }, "Register the model on chain: your wallet sends the transaction")],
  ]);
  const setStep = (step: StepName, state: StepState) => stepItems.get(step)!.setAttribute("data-state", state);
  const inputs: (HTMLInputElement | HTMLFieldSetElement)[] = [file, name, threshold, terms.element, ...picks.map((p) => p.box)];

  let session: PublishSession | undefined;
  let deposited: DepositedSession | undefined;
  let secrets: SecretsPanel | undefined;
  let running = false;

  const read = (): PublishRequest => {
    const chosen = file.files?.[0];
    if (chosen === undefined) throw new SdkError("INVALID_ARGUMENT", "choose a file to publish");
    const selected = picks.filter((p) => p.box.checked).map((p) => p.custodian.address);
    if (selected.length < 2) throw new SdkError("INVALID_ARGUMENT", `custodians: choose at least 2 (${selected.length} chosen)`);
    const k = Number(threshold.value);
    if (!Number.isInteger(k) || k < 2 || k > selected.length) throw new SdkError("INVALID_ARGUMENT", `threshold: a whole number from 2 to ${selected.length} (the custodians chosen)`);
    return { file: chosen, name: name.value.trim() || chosen.name, custodians: selected, threshold: k, terms: terms.read() };
  };

  const run = async () => {
    if (running) return;
    running = true;
    submit.disabled = true;
    replace(problem);
    let step: StepName = "upload";
    try {
      const request = session === undefined ? read() : undefined; // bad input is refused before the wallet is asked
      const walletClient = await ctx.walletClient();
      if (session !== undefined && !isAddressEqual(session.owner, walletClient.account.address)) {
        throw new SdkError("INVALID_ARGUMENT", `this publication is for ${session.owner}: switch back to that account, or start over`);
      }
      if (request !== undefined) {
        for (const input of inputs) input.disabled = true;
        setStep("upload", "active");
        const total = request.file.size;
        progress.update(0, total, `0 of ${formatBytes(total)} sent`);
        const uploader = createModelvaultClient({
          publicClient: ctx.publicClient(), walletClient, deployment: ctx.config.chain!.deployment, nodeUrl: ctx.nodeOrigin,
          fetch: uploadFetch((sent) => {
            progress.element.dataset.sent = String(sent); // bytes the browser reports sent (what the tests read)
            progress.update(sent, total, sent < total ? `${formatBytes(sent)} of ${formatBytes(total)} sent` : `${formatBytes(total)} sent: the node is sealing the last segments`);
          }),
        });
        session = await uploader.openPublishSession(request.file, { custodians: request.custodians, threshold: request.threshold, terms: request.terms, name: request.name, signal });
        progress.update(total, total, `${formatBytes(total)} sealed`);
        setStep("upload", "done");
        secrets = secretsPanel(session, request.name);
        outcome.before(secrets.element);
        restart.hidden = false;
      }
      const sdk = await ctx.signingSdk();
      if (deposited === undefined) {
        step = "sign";
        setStep("sign", "active");
        deposited = await sdk.signPublishSession(session!, { signal });
        setStep("sign", "done");
      }
      step = "register";
      setStep("register", "active");
      const published = await sdk.registerPublished(deposited);
      setStep("register", "done");
      secrets?.registered(published);
      restart.hidden = true;
      submit.hidden = true;
      replace(
        outcome,
        h(
          "p",
          { class: "success", "data-model-id": published.modelId.toString() },
          `Model ${published.modelId} is registered, owned by your wallet. `,
          h("a", { href: href("/owner/:id", { id: published.modelId }) }, "Manage it"),
          published.txHash === null ? "" : h("span", { class: "muted" }, " (transaction ", h("code", {}, published.txHash), ")"),
        ),
      );
    } catch (error) {
      if (session === undefined) for (const input of inputs) input.disabled = false;
      if (stepItems.get(step)!.getAttribute("data-state") === "active") setStep(step, "failed");
      submit.textContent = session === undefined ? "Publish" : "Continue";
      replace(problem, errorBanner(error));
    } finally {
      running = false;
      submit.disabled = false;
    }
  };

  restart.addEventListener("click", () => {
    session = deposited = undefined;
    secrets?.element.remove();
    secrets = undefined;
    for (const input of inputs) input.disabled = false;
    for (const step of stepItems.keys()) setStep(step, "pending");
    progress.update(0, 1, "");
    submit.textContent = "Publish";
    restart.hidden = true;
    replace(problem);
    replace(outcome);
  });

  const form = h(
    "form",
    { class: "publish", onsubmit: (event: Event) => { event.preventDefault(); void run(); } },
    h("label", { class: "field" }, h("span", {}, "File"), file, h("small", { class: "muted" }, "streamed from disk to this node, which encrypts it before it stores or shares anything")),
    h("label", { class: "field" }, h("span", {}, "Name"), name),
    h(
      "fieldset",
      { class: "custodians" },
      h("legend", {}, "Custodians (each holds one share of the key)"),
      picks.length === 0
        ? h("p", { class: "empty" }, "No custodian is registered on this chain yet.")
        : h("ul", {}, picks.map(({ custodian, box }) =>
            h("li", {}, h("label", {}, box, " ", h("code", { title: custodian.address }, shortAddress(custodian.address)), ` staked ${formatWei(custodian.stake)}`, custodian.active ? "" : " (inactive)", h("span", { class: "muted" }, ` ${custodian.endpoint}`))))),
      h("label", { class: "field" }, h("span", {}, "Threshold"), threshold, h("small", { class: "muted" }, "how many custodians must release their share for a licensee")),
    ),
    terms.element,
    h("p", {}, submit, " ", restart),
  );
  return h(
    "section",
    { class: "owner-publish" },
    h("h1", {}, "Publish a model"),
    h("p", { class: "muted" }, "The model is registered to your connected wallet: it signs the manifest and the key shares' deposits, and sends the registration. The node's own account owns nothing."),
    form,
    h("ol", { class: "steps" }, [...stepItems.values()]),
    progress.element,
    problem,
    outcome,
  );
}
