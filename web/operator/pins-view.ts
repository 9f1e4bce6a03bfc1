/**
 * The node's pins: the list (GET /v1/pins, with the model each manifest pin holds), a form to
 * add one and a Remove button per pin. Both changes ask for confirmation in the page first
 * (pinning fetches a whole DAG; unpinning lets garbage collection drop the blocks), and show the
 * node's refusal (an invalid CID, a pin that is not there, nothing found in time) as it came.
 */
import { errorBanner } from "../ui/error-banner.js";
import { formatBytes, shortAddress } from "../ui/format.js";
import { h, replace } from "../ui/h.js";
import { table } from "../ui/table.js";
import type { NodeApi, PinEntry } from "./node-api.js";

/** Pins listed at most (the count in the status is of all of them). */
const MAX_LISTED_PINS = 200;

export interface PinsView {
  element: HTMLElement;
  /** Reads the list again (after a change, or when the status's count moved). */
  refresh(): Promise<void>;
  /** How many pins the list shows now (undefined before the first read). */
  readonly listed: number | undefined;
}

export function pinsView(api: NodeApi, signal: AbortSignal, onChange: () => void): PinsView {
  const list = h("div", { class: "pins-list", "aria-busy": "true" }, h("p", { class: "loading muted", role: "status" }, "Reading the pins…"));
  const notice = h("div", { class: "pin-notice", "aria-live": "polite" });
  const input = h("input", { type: "text", id: "pin-cid", name: "cid", placeholder: "CID to pin (bafy…, bagu…)", "aria-label": "CID to pin", autocomplete: "off", spellcheck: "false" });
  const confirmBox = h("div", { class: "confirm" });
  let listed: number | undefined;

  const show = (...content: (Node | string)[]) => replace(notice, ...content);
  const run = async (action: () => Promise<string>) => {
    replace(confirmBox);
    try {
      const done = await action();
      if (signal.aborted) return;
      show(h("p", { class: "ok", "data-pin-result": "ok" }, done));
      onChange();
      await view.refresh();
    } catch (error) {
      if (signal.aborted) return;
      show(openBanner(error));
      await view.refresh(); // what the node has now (a pin removed elsewhere, say)
    }
  };
  /** An inline "are you sure": the action runs only from its confirm button. */
  const confirm = (question: string, confirmText: string, action: () => Promise<string>) => {
    show();
    replace(
      confirmBox,
      h("p", { role: "alertdialog", "aria-label": question }, question, " ",
        h("button", { type: "button", id: "confirm-yes", onclick: () => void run(action) }, confirmText), " ",
        h("button", { type: "button", id: "confirm-no", class: "secondary", onclick: () => replace(confirmBox) }, "Cancel")),
    );
  };

  const add = (event: Event) => {
    event.preventDefault();
    const cid = input.value.trim();
    if (cid === "") return show(h("p", { class: "field-error" }, "Enter the CID to pin."));
    confirm(`Pin ${cid}? The node fetches every block of it it lacks from its peers, and keeps them.`, "Pin it", async () => {
      const { added } = await api.addPin(cid, signal);
      input.value = "";
      return added ? `Pinned ${cid}.` : `${cid} was already pinned.`;
    });
  };
  const remove = (pin: PinEntry) =>
    confirm(`Remove the pin ${pin.cid}${pin.model?.name === undefined ? "" : ` (${pin.model.name})`}? Its blocks go at the next garbage collection.`, "Remove pin", async () => {
      await api.removePin(pin.cid, signal);
      return `Removed the pin ${pin.cid}.`;
    });

  const view: PinsView = {
    element: h(
      "div",
      { class: "pins" },
      h("form", { class: "pin-add", onsubmit: add }, input, " ", h("button", { type: "submit", id: "pin-add" }, "Pin")),
      confirmBox,
      notice,
      list,
    ),
    get listed() {
      return listed;
    },
    async refresh() {
      try {
        const pins = await api.pins(signal);
        if (signal.aborted) return;
        listed = pins.length;
        replace(list, pinsTable(pins, remove));
      } catch (error) {
        if (!signal.aborted) replace(list, errorBanner(error));
      }
      list.setAttribute("aria-busy", "false");
    },
  };
  return view;
}

/** The error banner with its details open: for an operator the node's own words are the point. */
function openBanner(error: unknown): HTMLElement {
  const banner = errorBanner(error);
  banner.querySelector("details")?.setAttribute("open", "");
  return banner;
}

function pinsTable(pins: readonly PinEntry[], remove: (pin: PinEntry) => void): HTMLElement {
  const shown = pins.slice(0, MAX_LISTED_PINS);
  return h(
    "div",
    {},
    table(
      [
        { title: "CID", cell: (p) => h("code", { class: "cid", "data-pin": p.cid }, p.cid) },
        { title: "Holds", cell: (p) => describe(p) },
        { title: "", cell: (p) => h("button", { type: "button", class: "secondary", "data-remove": p.cid, onclick: () => remove(p) }, "Remove") },
      ],
      shown,
      "Nothing is pinned.",
    ),
    pins.length > shown.length && h("p", { class: "muted" }, `and ${pins.length - shown.length} more pins (the first ${MAX_LISTED_PINS} are listed)`),
  );
}

function describe(pin: PinEntry): string {
  const m = pin.model;
  if (m === undefined) return String(pin.metadata.kind ?? "a DAG");
  const what = m.kind === "directory" ? `directory of ${m.files ?? "?"} files` : "file";
  return `${m.name ?? "model"} v${m.version} (${what}, ${formatBytes(m.plaintextSize)}), owner ${shortAddress(m.owner)}`;
}
