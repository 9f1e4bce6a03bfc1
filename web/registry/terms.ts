/** A model's licence terms in words, for the registry's rows and the model page (pure). */
import type { LicenceTerms } from "../../sdk/index.js";
import { formatDuration, formatWei } from "../ui/format.js";

/** "30 d, 10 uses, stake 0.1 ETH, carries over"; the price is shown on its own. */
export function termsText(terms: LicenceTerms): string {
  const parts = [terms.duration === 0 ? "no expiry" : formatDuration(terms.duration), terms.maxUses === 0 ? "unlimited uses" : `${terms.maxUses} uses`];
  if (terms.minStake > 0n) parts.push(`stake ${formatWei(terms.minStake)}`);
  if (terms.carryOver) parts.push("carries over");
  return parts.join(", ");
}
