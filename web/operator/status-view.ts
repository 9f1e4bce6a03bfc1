/**
 * The node's figures from GET /v1/status, drawn as definition lists: peers, pins, storage,
 * shares, storage challenges, stake and transfer. A field the node could not fill says why
 * (its `unavailable` reason, or the chain read's error) instead of a number.
 */
import { formatBytes, formatDuration, formatWei, shortAddress } from "../ui/format.js";
import { h, type Child } from "../ui/h.js";
import { isFieldError, type NodeStatus, type RouteBytes } from "./node-api.js";

export function statusView(status: NodeStatus): HTMLElement {
  const why = (field: string) => h("span", { class: "muted", "data-unavailable": status.unavailable[field]?.code ?? "" }, status.unavailable[field]?.message ?? "not reported");
  const { storage, transfer } = status;
  const stake = status.stake;
  const challenges = status.challenges;
  return h(
    "div",
    { class: "status-grid" },
    card("node", "Node", [
      ["Peer id", h("code", { title: status.peerId }, status.peerId)],
      ["Address", h("span", { class: "account", title: status.address }, shortAddress(status.address))],
      ["Version", status.version],
      ["Up for", status.uptimeS < 1 ? "just started" : formatDuration(status.uptimeS)],
      ["Chain", status.chain === null ? why("stake") : `chain ${status.chain.chainId}`],
    ]),
    card("peers", "Peers", [
      ["Connected", figure("peers", status.peers.count)],
      ...status.peers.connected.map((p): [string, Child] => [shortId(p.peerId), h("code", { title: p.peerId }, p.addresses[0] ?? "")]),
      status.peers.truncated ? ["…", `${status.peers.count - status.peers.connected.length} more`] : null,
    ]),
    card("storage", "Storage", [
      ["Pins", figure("pins", status.pins.count)],
      ["Blockstore", figure("blockstore-bytes", storage.blockstore.bytes, `${formatBytes(storage.blockstore.bytes)} in ${storage.blockstore.files} files`)],
      ["Datastore", `${formatBytes(storage.datastore.bytes)} in ${storage.datastore.files} files`],
      ["Disk", storage.filesystem === null ? "unknown" : `${formatBytes(storage.filesystem.freeBytes)} free of ${formatBytes(storage.filesystem.sizeBytes)}`],
    ]),
    card("custody", "Custody", [
      ["Key shares held", status.shares === null ? why("shares") : figure("shares", status.shares.count)],
      ["Stake", stake === null ? why("stake") : isFieldError(stake) ? fieldError(stake.error) : figure("stake", stake.bonded, `${formatWei(BigInt(stake.bonded))}${stake.active ? ", active" : ", inactive"}`)],
      stake !== null && !isFieldError(stake) ? ["Unbonding", `${formatWei(BigInt(stake.unbonding))} (${formatWei(BigInt(stake.withdrawable))} withdrawable)`] : null,
      stake !== null && !isFieldError(stake) ? ["Minimum stake", formatWei(BigInt(stake.minStake))] : null,
    ]),
    card("challenges", "Storage challenges", challenges === null
      ? [["Record", why("challenges")]]
      : isFieldError(challenges)
        ? [["Record", fieldError(challenges.error)]]
        : [
            ["Answered", figure("challenges-answered", challenges.answered)],
            ["Missed", figure("challenges-missed", challenges.missed)],
            ["Open", String(challenges.open)],
            ["Lapsed", String(challenges.lapsed)],
            ["Slashed", formatWei(BigInt(challenges.slashed))],
            ["Bonds earned", formatWei(BigInt(challenges.bondsEarned))],
            challenges.responder === null ? null : ["Since start", `${challenges.responder.answered} answered, ${challenges.responder.failed} failed`],
          ]),
    card("transfer", "Transfer", [
      ["In (10 s / 60 s)", figure("rate-in", transfer.rates.in.last10s, `${rate(transfer.rates.in.last10s)} / ${rate(transfer.rates.in.last60s)}`)],
      ["Out (10 s / 60 s)", figure("rate-out", transfer.rates.out.last10s, `${rate(transfer.rates.out.last10s)} / ${rate(transfer.rates.out.last60s)}`)],
      [`Today (${transfer.day})`, `${routes(transfer.today.in)} in, ${routes(transfer.today.out)} out`],
      ["Since start", `${routes(transfer.sinceStart.in)} in, ${routes(transfer.sinceStart.out)} out`],
    ]),
  );
}

function card(id: string, title: string, rows: readonly ([string, Child] | null)[]): HTMLElement {
  return h(
    "section",
    { class: "card", "data-card": id },
    h("h3", {}, title),
    h("dl", { class: "facts" }, rows.filter((row) => row !== null).map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)])),
  );
}

/** A figure tests (and scripts) can read exactly: its raw value in data-figure-<name>. */
function figure(name: string, value: number | string, text = String(value)): HTMLElement {
  return h("span", { [`data-figure-${name}`]: String(value) }, text);
}

function fieldError(error: { code: string; message: string }): HTMLElement {
  return h("span", { class: "field-error", "data-field-error": error.code, title: error.message }, `not read just now (${error.code})`);
}

const rate = (bytesPerSecond: number) => `${formatBytes(Math.round(bytesPerSecond))}/s`;
const routes = (bytes: RouteBytes) => `${formatBytes(bytes.total)}${bytes.total === 0 ? "" : ` (bitswap ${formatBytes(bytes.bitswap)}, gateway ${formatBytes(bytes.gateway)})`}`;
const shortId = (peerId: string) => (peerId.length > 16 ? `${peerId.slice(0, 8)}…${peerId.slice(-6)}` : peerId);
