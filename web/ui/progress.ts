/** A progress bar: a <progress> element with a text label, updated through the returned handle. */
import { h } from "./h.js";

export interface ProgressBar {
  element: HTMLElement;
  /** done/total in any unit; total undefined shows an indeterminate bar. */
  update(done: number, total?: number, label?: string): void;
}

export function progressBar(label = ""): ProgressBar {
  const bar = h("progress", { max: 1 });
  const text = h("span", { class: "progress-label" }, label);
  const element = h("div", { class: "progress", role: "status" }, bar, text);
  return {
    element,
    update(done, total, next) {
      if (total === undefined || total <= 0) bar.removeAttribute("value");
      else bar.value = Math.min(1, done / total);
      if (next !== undefined) text.textContent = next;
    },
  };
}
