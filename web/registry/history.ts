/**
 * The model's history trail (modelHistory: every on-chain event of the model, in chain order),
 * each event in words, linked to what it refers to: a version to its section, a custodian to its
 * row, a challenge's outcome to the challenge, an attestation to its row, an owner to the
 * registry's list of that account's models.
 */
import type { Address } from "viem";
import type { HistoryEvent, ModelDetails, ModelStatus } from "../../sdk/index.js";
import { formatTime, formatWei, shortAddress } from "../ui/format.js";
import { h, type Child } from "../ui/h.js";
import { jumpLink } from "../ui/jump.js";
import { registryPath } from "./search.js";
import { termsText } from "./terms.js";

/** Element ids of the model page's parts that history rows link to. */
export const anchors = {
  version: (version: unknown) => `version-${String(version)}`,
  custodian: (account: string) => `custodian-${account.toLowerCase()}`,
  attestation: (txHash: string) => `attestation-${txHash}`,
  challenge: (challengeId: unknown) => `challenge-${String(challengeId)}`,
};

/** StatusChanged carries ModelRegistry's enum value; the SDK names it in this order too (contracts/views.ts). */
const STATUS_NAMES: readonly ModelStatus[] = ["active", "paused", "retired"];

export interface HistoryContext {
  /** The model page's route ("#/models/7"): what in-page links keep as their href. */
  route: string;
  info: ModelDetails;
}

export function historyTable(events: readonly HistoryEvent[], context: HistoryContext): HTMLElement {
  if (events.length === 0) return h("p", { class: "empty" }, "No event recorded.");
  return h(
    "table",
    { class: "history" },
    h("thead", {}, h("tr", {}, ["Time", "Block", "Event", "What happened"].map((title) => h("th", { scope: "col" }, title)))),
    h(
      "tbody",
      {},
      events.map((event) =>
        h(
          "tr",
          { "data-event": event.eventName, ...(event.eventName === "ChallengeOpened" ? { id: anchors.challenge(event.args.challengeId) } : {}) },
          h("td", {}, event.time === 0 ? "—" : formatTime(event.time)),
          h("td", { title: `transaction ${event.transactionHash}` }, String(event.blockNumber)),
          h("td", {}, h("code", {}, event.eventName)),
          h("td", {}, describeEvent(event, context)),
        ),
      ),
    ),
  );
}

/** One event as a sentence with links. Unknown events (a newer contract) show their arguments. */
export function describeEvent(event: HistoryEvent, context: HistoryContext): Child[] {
  const a = event.args;
  const link = makeLinks(context);
  const version = link.version(a.version);
  switch (event.eventName) {
    case "ModelRegistered":
      return ["Registered by ", link.owner(a.owner)];
    case "VersionPublished":
      return [version, ` published: ${String(a.threshold)} of ${(a.custodians as readonly Address[]).length} custodians (`, ...joined((a.custodians as readonly Address[]).map(link.account)), ")"];
    case "TermsUpdated":
      return [`Terms: ${formatWei(a.price as bigint)}, ${termsText({ price: a.price as bigint, duration: Number(a.duration), maxUses: Number(a.maxUses), minStake: a.minStake as bigint, carryOver: a.carryOver === true })}`];
    case "StatusChanged":
      return [`Status: ${STATUS_NAMES[Number(a.status)] ?? String(a.status)}`];
    case "LicensePurchased":
      return [link.account(a.licensee), ` bought a licence for `, version, ` at ${formatWei(a.price as bigint)}`, expiry(a)];
    case "LicenseGranted":
      return [link.account(a.licensee), " was granted a licence for ", version, expiry(a)];
    case "LicenseRevoked":
      return [link.account(a.licensee), "'s licence was revoked"];
    case "KeyRequested":
      return [link.account(a.licensee), " requested the key of ", version, " (ticket ", h("code", { title: String(a.ticketId) }, short(String(a.ticketId))), ")"];
    case "OwnershipTransferStarted":
      return ["Transfer of ownership offered by ", link.owner(a.from), " to ", link.owner(a.to)];
    case "OwnershipTransferred":
      return ["Ownership passed from ", link.owner(a.from), " to ", link.owner(a.to)];
    case "RevenueClaimed":
      return [link.account(a.account), ` claimed ${formatWei(a.amount as bigint)} of `, version, "'s revenue"];
    case "Staked":
      return [link.account(a.account), ` staked ${formatWei(a.amount as bigint)} (now ${formatWei(a.total as bigint)})`];
    case "UnstakeRequested":
      return [link.account(a.account), ` asked to unstake ${formatWei(a.amount as bigint)}, unlocked at ${formatTime(a.unlockAt as bigint)}`];
    case "Unstaked":
      return [link.account(a.account), ` unstaked ${formatWei(a.amount as bigint)}`];
    case "ChallengeOpened":
      return [`Storage challenge #${String(a.challengeId)} of `, link.account(a.custodian), " for ", version, " opened by ", link.account(a.challenger), `, due by block ${String(a.deadlineBlock)}`];
    case "ChallengeRevealed":
      return [link.challenge(a.challengeId), `: segment ${String(a.segmentIndex)} asked of `, link.account(a.custodian), `, due by block ${String(a.deadlineBlock)}`];
    case "ChallengeAnswered":
      return [link.challenge(a.challengeId), `: answered (segment ${String(a.segmentIndex)})`];
    case "ChallengeSlashed":
      return [link.challenge(a.challengeId), `: missed, ${formatWei(a.slashed as bigint)} slashed`];
    case "ChallengeLapsed":
      return [link.challenge(a.challengeId), ": lapsed (never revealed)"];
    case "OwnershipAttested":
      return [link.attestation(event.transactionHash, "Ownership attested"), " for ", version, " by ", link.account(a.claimant)];
    case "InferenceAttested":
      return [link.attestation(event.transactionHash, "Inference attested"), " for ", version, " by ", link.account(a.prover), ` (${(a.pubSignals as readonly unknown[]).length} public signals)`];
    case "InferenceVerifierSet":
      return [link.attestation(event.transactionHash, "Inference verifier set"), " to ", h("code", { title: String(a.verifier) }, shortAddress(String(a.verifier))), ` (${String(a.signals)} public signals)`];
    default:
      return [Object.entries(a).map(([name, value]) => `${name}: ${String(value)}`).join(", ")];
  }
}

function makeLinks({ route, info }: HistoryContext) {
  const custodians = new Set(info.custodians.map((c) => c.address.toLowerCase()));
  const accountText = (account: unknown) => h("span", { class: "account", title: String(account) }, shortAddress(String(account)));
  return {
    version: (version: unknown) => (version === undefined ? "the model" : jumpLink(route, anchors.version(version), `version ${String(version)}`)),
    /** A custodian of the model links to its row; anyone else is the address. */
    account: (account: unknown) => (custodians.has(String(account).toLowerCase()) ? jumpLink(route, anchors.custodian(String(account)), accountText(account)) : accountText(account)),
    /** An owner links to the registry's list of the models it owns. */
    owner: (account: unknown) => h("a", { href: `#${registryPath({ q: String(account), page: 1 })}`, title: `models of ${String(account)}` }, accountText(account)),
    challenge: (challengeId: unknown) => jumpLink(route, anchors.challenge(challengeId), `Challenge #${String(challengeId)}`),
    attestation: (txHash: string, text: string) => jumpLink(route, anchors.attestation(txHash), text),
  };
}

function expiry(args: Record<string, unknown>): string {
  const expiresAt = Number(args.expiresAt);
  const uses = Number(args.maxUses);
  return ` (${expiresAt === 0 ? "no expiry" : `until ${formatTime(expiresAt)}`}, ${uses === 0 ? "unlimited uses" : `${uses} uses`})`;
}

const short = (hex: string) => (hex.length > 14 ? `${hex.slice(0, 10)}…${hex.slice(-4)}` : hex);

/** Items separated by ", ". */
export function joined(items: Child[]): Child[] {
  return items.flatMap((item, i) => (i === 0 ? [item] : [", ", item]));
}
