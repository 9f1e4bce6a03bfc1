/**
 * The licence-terms fields of the owner's pages (publish and the model page): inputs in the
 * units people think in (ETH, days) and their parsing into the contracts' Terms (wei, seconds).
 * The parsing is pure and refuses with INVALID_ARGUMENT naming the field, before the wallet is asked.
 */
import { formatEther, parseEther } from "viem";
import { SdkError, type LicenceTerms } from "../../sdk/index.js";
import { h } from "../ui/h.js";

/** A form value the page refuses before anything is sent (INVALID_ARGUMENT, naming the field). */
export function formError(field: string, message: string): SdkError {
  return new SdkError("INVALID_ARGUMENT", `${field}: ${message}`);
}

const UINT32_MAX = 2 ** 32 - 1;

/** "0.01" ETH -> wei; empty is 0. Negative, malformed or finer than 1 wei: refused. */
export function parseEth(field: string, text: string): bigint {
  const value = text.trim();
  if (value === "") return 0n;
  if (!/^\d+(\.\d{1,18})?$/.test(value)) throw formError(field, `"${value}" is not an amount in ETH (such as 0.01)`);
  return parseEther(value);
}

/** A whole number in [0, max]; empty is 0. */
export function parseCount(field: string, text: string, max = UINT32_MAX): number {
  const value = text.trim();
  if (value === "") return 0;
  if (!/^\d+$/.test(value) || Number(value) > max) throw formError(field, `"${value}" is not a whole number from 0 to ${max}`);
  return Number(value);
}

/** Days (decimals allowed) -> whole seconds; empty or 0 is no expiry. */
export function parseDays(field: string, text: string): number {
  const value = text.trim();
  if (value === "") return 0;
  if (!/^\d+(\.\d+)?$/.test(value)) throw formError(field, `"${value}" is not a number of days`);
  const seconds = Math.round(Number(value) * 86_400);
  if (seconds > UINT32_MAX) throw formError(field, `at most ${Math.floor(UINT32_MAX / 86_400)} days`);
  return seconds;
}

export interface TermsInput {
  price: string;
  durationDays: string;
  maxUses: string;
  minStake: string;
  carryOver: boolean;
}

/** The form's text as the contracts' terms. */
export function parseTerms(input: TermsInput): LicenceTerms {
  return {
    price: parseEth("price", input.price),
    duration: parseDays("duration", input.durationDays),
    maxUses: parseCount("max uses", input.maxUses),
    minStake: parseEth("minimum stake", input.minStake),
    carryOver: input.carryOver,
  };
}

/** Terms as the form shows them (the inverse of parseTerms, up to rounding of days). */
export function termsInput(terms: LicenceTerms): TermsInput {
  return {
    price: formatEther(terms.price),
    durationDays: terms.duration === 0 ? "0" : String(Number((terms.duration / 86_400).toFixed(6))),
    maxUses: String(terms.maxUses),
    minStake: formatEther(terms.minStake),
    carryOver: terms.carryOver,
  };
}

/** The terms fieldset: inputs named price, duration, max-uses, min-stake, carry-over; read() parses them. */
export function termsFieldset(initial: LicenceTerms, legend = "Licence terms"): { element: HTMLFieldSetElement; read(): LicenceTerms } {
  const start = termsInput(initial);
  const price = h("input", { name: "price", inputmode: "decimal", value: start.price });
  const duration = h("input", { name: "duration", inputmode: "decimal", value: start.durationDays });
  const maxUses = h("input", { name: "max-uses", inputmode: "numeric", value: start.maxUses });
  const minStake = h("input", { name: "min-stake", inputmode: "decimal", value: start.minStake });
  const carryOver = h("input", { name: "carry-over", type: "checkbox", checked: start.carryOver });
  const row = (label: string, input: HTMLElement, hint: string) => h("label", { class: "field" }, h("span", {}, label), input, h("small", { class: "muted" }, hint));
  const element = h(
    "fieldset",
    { class: "terms" },
    h("legend", {}, legend),
    row("Price (ETH)", price, "what a licence costs"),
    row("Duration (days)", duration, "0: licences never expire"),
    row("Max uses", maxUses, "tickets per licence; 0: unlimited"),
    row("Minimum stake (ETH)", minStake, "licensee stake required for tickets; 0: none"),
    h("label", { class: "field check" }, carryOver, h("span", {}, "Licences carry over to new versions")),
  );
  return {
    element,
    read: () => parseTerms({ price: price.value, durationDays: duration.value, maxUses: maxUses.value, minStake: minStake.value, carryOver: carryOver.checked }),
  };
}
