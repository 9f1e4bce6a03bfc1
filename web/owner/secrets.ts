/**
 * The content key (and owner secret) of a new publication, shown once: the node answers them in
 * the publish session's first step and forgets the key when the wallet signs. The panel warns,
 * offers them as a file to save (a blob: link, made in the page: nothing is sent anywhere), and
 * removes them from the page when the user says they are saved.
 */
import { bytesToHex } from "viem";
import type { PublishSession } from "../../sdk/index.js";
import { h, replace } from "../ui/h.js";

export interface SecretsPanel {
  element: HTMLElement;
  /** Adds what the chain assigned (model id, manifest CID) to the saved file. */
  registered(facts: { modelId: bigint; manifestCid: string }): void;
}

export function secretsPanel(session: PublishSession, name: string): SecretsPanel {
  const record: Record<string, string> = { name, key: bytesToHex(session.key), owner: session.owner, session: session.session };
  if (session.ownerSecret !== undefined) record.ownerSecret = session.ownerSecret;
  const save = h("a", { id: "save-key", class: "button", download: `modelvault-${slug(name)}-key.json` }, "Save the key as a file");
  let url: string | undefined;
  const relink = () => {
    if (url !== undefined) URL.revokeObjectURL(url);
    url = URL.createObjectURL(new Blob([`${JSON.stringify(record, null, 2)}\n`], { type: "application/json" }));
    save.setAttribute("href", url);
  };
  relink();
  const element = h(
    "section",
    { class: "secrets", role: "alert" },
    h("h2", {}, "Your content key: shown only now"),
    h(
      "p",
      { class: "warning" },
      "Anyone with this key can decrypt the model. The node forgets it once you sign, and this page will not show it again: ",
      "save it somewhere private now. With it you can open the model yourself, without the custodians.",
    ),
    h("p", {}, h("span", { class: "muted" }, "Content key "), h("code", { id: "content-key" }, record.key)),
    session.ownerSecret !== undefined &&
      h("p", {}, h("span", { class: "muted" }, "Owner secret (for ownership proofs) "), h("code", { id: "owner-secret" }, session.ownerSecret)),
    h(
      "p",
      {},
      save,
      " ",
      h("button", { type: "button", id: "forget-key", onclick: () => forget() }, "I saved it: remove it from the page"),
    ),
  );
  const forget = () => {
    if (url !== undefined) URL.revokeObjectURL(url);
    url = undefined;
    replace(element, h("p", { class: "muted", "data-key-forgotten": "" }, "The content key was removed from this page."));
  };
  return {
    element,
    registered({ modelId, manifestCid }) {
      record.modelId = modelId.toString();
      record.manifestCid = manifestCid;
      if (url !== undefined) relink();
    },
  };
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 40) || "model";
}
