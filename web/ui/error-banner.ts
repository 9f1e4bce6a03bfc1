/** The error banner every page uses: the user-facing message for the error's code (web/messages.ts). */
import { h } from "./h.js";
import { describeError } from "../messages.js";

export function errorBanner(error: unknown): HTMLElement {
  const { code, message, detail, refusal } = describeError(error);
  return h(
    "div",
    { class: "error-banner", role: "alert", "data-code": code, "data-refusal": refusal },
    h("strong", {}, message),
    detail !== undefined && h("details", {}, h("summary", {}, "Details"), h("code", {}, detail)),
  );
}
