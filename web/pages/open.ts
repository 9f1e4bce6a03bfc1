/**
 * The licensee's path for one model: the terms, the account's licence (and buying one), a ticket,
 * the key shares from the custodians (each custodian's answer shown), and the decrypted file saved
 * to disk as it streams in (web/licensee/). The key and the ticket's recipient key live in this
 * page only and are zeroed when the user leaves it.
 */
import { createModelvaultClient, type AccessTicket, type CollectedKey, type LicenceView, type ModelDetails, type ModelvaultClient } from "../../sdk/index.js";
import { isDirectoryManifest } from "../../sdk/manifest.js";
import type { AppContext } from "../context.js";
import { watchReleases, releaseUrl, type CustodianAnswer } from "../licensee/custodian-answers.js";
import { canPickDirectory, canStreamToDisk, chooseDirectory, chooseSaveTarget, fileInDirectory, MEMORY_FALLBACK_LIMIT, type SaveTarget } from "../licensee/save-file.js";
import { saveStream } from "../licensee/save-stream.js";
import type { Page } from "../router.js";
import { errorBanner } from "../ui/error-banner.js";
import { formatBytes, formatDuration, formatWei, shortAddress } from "../ui/format.js";
import { h, replace } from "../ui/h.js";
import { progressBar } from "../ui/progress.js";

const LICENCE_STATES: Record<LicenceView["state"], string> = {
  usable: "Your licence is usable.",
  revoked: "Your licence was revoked by the owner.",
  expired: "Your licence expired.",
  exhausted: "Your licence has no uses left.",
  superseded: "Your licence is for an older version of this model.",
};

function describeAnswer(answer: CustodianAnswer): string {
  switch (answer.state) {
    case "asking": return "asking…";
    case "released": return "released its share";
    case "refused": return `refused: ${answer.code}${answer.message === "" ? "" : ` (${answer.message})`}`;
    case "unreachable": return "unreachable";
  }
}

export const openPage: Page = {
  pattern: "/models/:id/open",
  title: "Open a model",
  async render(ctx, params, signal) {
    const modelId = BigInt(params.id!);
    const info = await ctx.sdk().modelInfo(modelId);
    return new OpenFlow(ctx, info, signal).element;
  },
};

/** The page's state machine: each step's section is redrawn as the step advances. */
class OpenFlow {
  readonly element: HTMLElement;
  readonly #licence = h("section", { id: "licence" });
  readonly #access = h("section", { id: "access" });
  readonly #save = h("section", { id: "save" });
  readonly #answers = new Map<string, CustodianAnswer>();
  #client: ModelvaultClient | undefined;
  #ticket: AccessTicket | undefined;
  #key: CollectedKey | undefined;
  #busy = false;
  /** Whether the account's licence is usable (undefined: not known yet). */
  #usable: boolean | undefined;

  constructor(
    private readonly ctx: AppContext,
    private readonly info: ModelDetails,
    private readonly signal: AbortSignal,
  ) {
    const { terms } = info;
    this.element = h(
      "section",
      { class: "open" },
      h("h1", {}, `Open model ${info.modelId}`),
      h("section", { id: "terms" }, h("h2", {}, "Terms"), h("dl", {},
        h("dt", {}, "Price"), h("dd", { "data-price": terms.price.toString() }, formatWei(terms.price)),
        h("dt", {}, "Duration"), h("dd", {}, formatDuration(terms.duration)),
        h("dt", {}, "Uses"), h("dd", {}, terms.maxUses === 0 ? "unlimited" : String(terms.maxUses)),
        h("dt", {}, "Licensee stake"), h("dd", {}, terms.minStake === 0n ? "none" : formatWei(terms.minStake)),
        h("dt", {}, "Status"), h("dd", { "data-status": info.status }, info.status),
      )),
      this.#licence, this.#access, this.#save,
    );
    const unsubscribe = ctx.wallet.onChange(() => void this.#drawLicence());
    signal.addEventListener("abort", () => {
      unsubscribe();
      this.#forget();
    }, { once: true });
    void this.#drawLicence();
  }

  /** The page's SDK client: the wallet's, with a fetch that reports each custodian's answer. */
  async #sdk(): Promise<ModelvaultClient> {
    this.#client ??= createModelvaultClient({
      publicClient: this.ctx.publicClient(),
      walletClient: await this.ctx.walletClient(),
      deployment: this.ctx.config.chain!.deployment,
      nodeUrl: this.ctx.nodeOrigin,
      fetch: watchReleases((input, init) => globalThis.fetch(input, init), (url, answer) => {
        this.#answers.set(url, answer);
        this.#drawAccess();
      }),
    });
    return this.#client;
  }

  async #drawLicence(): Promise<void> {
    const account = this.ctx.wallet.state.account;
    this.#client = undefined; // the account may have changed
    if (account === undefined) {
      this.#usable = undefined;
      replace(this.#licence, h("h2", {}, "Your licence"), h("p", {}, "Connect your wallet to see your licence and open the model."),
        h("button", { type: "button", id: "open-connect", onclick: () => void this.#run(this.#licence, () => this.ctx.wallet.connect()) }, "Connect wallet"));
      this.#drawAccess();
      return;
    }
    let licence: LicenceView | undefined;
    try {
      licence = (await this.ctx.sdk().licencesOf(account)).find((l) => l.modelId === this.info.modelId);
    } catch (error) {
      replace(this.#licence, h("h2", {}, "Your licence"), errorBanner(error));
      return;
    }
    const usable = licence?.usable === true;
    const forSale = this.info.status === "active";
    const stakeShort = licence !== undefined && licence.staked < licence.requiredStake;
    replace(
      this.#licence,
      h("h2", {}, "Your licence"),
      h("p", { id: "licence-state", "data-state": licence?.state ?? "none" }, licence === undefined ? "Your account holds no licence for this model." : LICENCE_STATES[licence.state]),
      licence !== undefined && h("p", { class: "muted" },
        `Expires: ${licence.expiresAt === 0 ? "never" : new Date(licence.expiresAt * 1000).toISOString()}. Uses left: ${licence.usesLeft ?? "unlimited"}.`,
        licence.requiredStake > 0n && ` Stake required: ${formatWei(licence.requiredStake)}, staked: ${formatWei(licence.staked)}.`),
      stakeShort && h("p", { class: "warning", "data-warning": "stake" }, "Your stake is below what this licence requires: tickets will be refused until you stake the difference."),
      !forSale && h("p", { class: "warning", "data-warning": "status" }, `This model is ${this.info.status}: licences cannot be bought and keys are not released.`),
      !usable && forSale && h("button", { type: "button", id: "buy", onclick: () => void this.#buy() }, `Buy a licence for ${formatWei(this.info.terms.price)}`),
    );
    this.#usable = usable;
    this.#drawAccess();
  }

  async #buy(): Promise<void> {
    await this.#run(this.#licence, async () => {
      const purchase = await (await this.#sdk()).buyLicence(this.info.modelId);
      await this.#drawLicence();
      this.#licence.append(h("p", { id: "purchase", "data-tx": purchase.txHash }, `Bought for ${formatWei(purchase.price)} (transaction ${shortAddress(purchase.txHash)}).`));
    });
  }

  #drawAccess(): void {
    const custodians = this.info.custodians.filter((c) => c.current);
    const rows = custodians.map((c) => {
      const answer = c.endpoint === null ? undefined : this.#answers.get(releaseUrl(c.endpoint));
      return h("tr", { "data-custodian": c.address },
        h("td", { title: c.address }, shortAddress(c.address)), h("td", {}, h("code", {}, c.endpoint ?? "—")),
        h("td", { "data-answer": answer?.state ?? "" }, answer === undefined ? "—" : describeAnswer(answer)));
    });
    const threshold = this.info.versions.at(-1)?.threshold ?? 0;
    replace(
      this.#access,
      h("h2", {}, "Key"),
      h("p", {}, `The key is split among ${custodians.length} custodians; ${threshold} of them must release their share to your ticket.`),
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Custodian"), h("th", {}, "Endpoint"), h("th", {}, "Answer"))), h("tbody", {}, rows)),
      this.#ticket === undefined
        ? this.#usable === true && this.ctx.wallet.state.account !== undefined &&
          h("button", { type: "button", id: "request-ticket", onclick: () => void this.#requestTicket() }, "Request a ticket (uses your licence once)")
        : h("p", { id: "ticket", "data-ticket": this.#ticket.ticketId }, `Ticket ${shortAddress(this.#ticket.ticketId)} for version ${this.#ticket.version}.`),
      this.#ticket !== undefined && this.#key === undefined &&
        h("button", { type: "button", id: "collect", onclick: () => void this.#collect() }, "Collect the key again"),
      this.#key !== undefined && h("p", { id: "key-ready" }, "The key is assembled and matches the model's commitment."),
    );
  }

  async #requestTicket(): Promise<void> {
    await this.#run(this.#access, async () => {
      this.#ticket = await (await this.#sdk()).requestTicket(this.info.modelId);
      this.#drawAccess();
      await this.#collectKey();
    });
  }

  #collect(): Promise<void> {
    return this.#run(this.#access, () => this.#collectKey());
  }

  async #collectKey(): Promise<void> {
    const ticket = this.#ticket!;
    this.#answers.clear();
    this.#key = await (await this.#sdk()).collectKey({ modelId: this.info.modelId, ticket, signal: this.signal });
    ticket.recipientPrivateKey.fill(0); // the shares are opened: the recipient key is done
    this.#drawAccess();
    this.#drawSave();
  }

  #drawSave(): void {
    const { manifest, manifestCid } = this.#key!;
    const streaming = canStreamToDisk();
    const notice = streaming
      ? h("p", { class: "muted" }, "Each verified part is written to disk as it arrives: the model is never held in memory.")
      : h("p", { class: "warning", id: "no-streaming" }, `This browser cannot stream to disk (no File System Access API): files up to ${formatBytes(MEMORY_FALLBACK_LIMIT)} are assembled in memory and offered as a download; larger ones need a Chromium-based browser or the modelvault CLI.`);
    const name = manifest.name ?? `model-${this.info.modelId}.bin`;
    if (!isDirectoryManifest(manifest)) {
      replace(this.#save, h("h2", {}, "Save"), notice, this.#saveRow(name, manifest.plaintextSize, undefined, manifestCid));
      return;
    }
    const rows = manifest.files.map((f) => this.#saveRow(f.path, f.plaintextSize, f.path, manifestCid));
    const all = canPickDirectory() && h("button", { type: "button", id: "save-all", onclick: () => void this.#saveAll() }, "Save every file into a folder");
    replace(this.#save, h("h2", {}, "Save"), notice, h("p", {}, `A directory of ${manifest.files.length} files.`), all, h("div", { class: "files" }, rows));
  }

  /** One file's row: its save button, progress, cancel and outcome. */
  #saveRow(label: string, size: number, file: string | undefined, manifestCid: string, target?: () => Promise<SaveTarget>): HTMLElement {
    const outcome = h("div", { class: "outcome" });
    const progress = progressBar("");
    const cancel = h("button", { type: "button", class: "cancel", hidden: true }, "Cancel");
    const button = h("button", { type: "button", class: "save", "data-file": file ?? "" }, `Save ${label} (${formatBytes(size)})`);
    const row = h("div", { class: "save-row", "data-file": file ?? "" }, button, cancel, progress.element, outcome);
    const start = async () => {
      const controller = new AbortController();
      const stop = () => controller.abort(new DOMException("cancelled", "AbortError"));
      this.signal.addEventListener("abort", stop, { once: true });
      cancel.onclick = stop;
      replace(outcome);
      button.disabled = true;
      try {
        const chosen = await (target?.() ?? chooseSaveTarget(label, size));
        cancel.hidden = false;
        const saved = await saveStream({ sdk: await this.#sdk(), manifestCid, key: this.#key!.key, file, total: size, target: chosen, progress, signal: controller.signal });
        replace(outcome, h("p", { class: "saved", "data-bytes": saved.bytes, "data-mbps": saved.mbPerSecond.toFixed(2) }, `Saved ${formatBytes(saved.bytes)} in ${saved.seconds.toFixed(1)} s (${saved.mbPerSecond.toFixed(1)} MB/s).`), chosen.finish());
      } catch (error) {
        replace(outcome, errorBanner(controller.signal.aborted ? controller.signal.reason : error));
      } finally {
        cancel.hidden = true;
        button.disabled = false;
        this.signal.removeEventListener("abort", stop);
      }
    };
    button.onclick = () => void start();
    (row as HTMLElement & { start?: () => Promise<void> }).start = start;
    return row;
  }

  async #saveAll(): Promise<void> {
    await this.#run(this.#save, async () => {
      const folder = await chooseDirectory();
      const { manifest, manifestCid } = this.#key!;
      if (!isDirectoryManifest(manifest)) return;
      for (const f of manifest.files) {
        const row = this.#saveRow(f.path, f.plaintextSize, f.path, manifestCid, () => fileInDirectory(folder, f.path));
        this.#save.append(row);
        await (row as HTMLElement & { start: () => Promise<void> }).start();
      }
    });
  }

  /** Runs a step; its failure shows in the step's section (with what to do, web/refusals.ts). */
  async #run(section: HTMLElement, step: () => Promise<unknown>): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    for (const old of section.querySelectorAll(":scope > .error-banner")) old.remove();
    try {
      await step();
    } catch (error) {
      if (this.signal.aborted) return;
      // A refused ticket or key often means the licence changed (revoked, expired): show it as it is now.
      if (section === this.#access) await this.#drawLicence();
      section.append(errorBanner(error));
    } finally {
      this.#busy = false;
    }
  }

  /** Leaving the page: the content key and the recipient key are zeroed. */
  #forget(): void {
    this.#key?.key.fill(0);
    this.#ticket?.recipientPrivateKey.fill(0);
  }
}
