/** `modelvault node status [--json]`: GET /v1/status of the running node, as a table or as its JSON. */
import type { NodeStatus } from "../http/status.js";
import { printJson, printLines, sizeOf, type CliIo } from "./io.js";
import { apiClientFor } from "./model-client.js";
import type { CommonOptions } from "./node-commands.js";

type Failed = { error: { code: string; message: string } };
const failed = (field: unknown): field is Failed => typeof field === "object" && field !== null && "error" in field;
const rate = (bytesPerS: number) => `${sizeOf(Math.round(bytesPerS))}/s`;
const uptime = (s: number) => `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h ${Math.floor((s % 3600) / 60)}m ${s % 60}s`.replace(/^(0[dhm] )+/, "");

export async function nodeStatusCommand(options: CommonOptions, io: CliIo): Promise<void> {
  const client = await apiClientFor(options, io);
  const status = await client.json<NodeStatus>({ path: "/v1/status", signal: AbortSignal.timeout(15_000) });
  if (options.json) {
    printJson(io, status);
    return;
  }
  /** A field's line: its value, why it does not apply, or the chain's error. */
  const line = <T extends object>(name: keyof NodeStatus["unavailable"], field: T | Failed | null, show: (value: Exclude<T, Failed>) => string): string => {
    if (failed(field)) return `unavailable: ${field.error.message} [${field.error.code}]`;
    if (field === null) return `- (${status.unavailable[name]?.message ?? "not available"})`;
    return show(field as Exclude<T, Failed>);
  };
  const { transfer: t, storage: s } = status;
  const peers = status.peers;
  printLines(io, [
    ["version", status.version],
    ["uptime", uptime(status.uptimeS)],
    ["peer id", status.peerId],
    ["address", status.address],
    ["chain", status.chain === null ? "none (storage only)" : String(status.chain.chainId)],
    ["peers", `${peers.count} connected${peers.truncated ? ` (first ${peers.connected.length} listed)` : ""}`],
    ...peers.connected.map(({ peerId, addresses }): [string, string] => ["", `${peerId} ${addresses.join(" ")}`]),
    ["pins", `${status.pins.count} roots`],
    ["storage", `${sizeOf(s.blockstore.bytes)} blocks (${s.blockstore.files} files), ${sizeOf(s.datastore.bytes)} datastore${s.filesystem === null ? "" : `; ${sizeOf(s.filesystem.freeBytes)} free of ${sizeOf(s.filesystem.sizeBytes)}`}`],
    ["shares", line("shares", status.shares, (v) => `${v.count} held`)],
    ["stake", line("stake", status.stake, (v) => `${v.bonded} wei bonded${v.active ? "" : " (inactive: below the minimum)"}, ${v.unbonding} unbonding, ${v.withdrawable} withdrawable`)],
    ["challenges", line("challenges", status.challenges, (v) => `${v.answered} answered, ${v.missed} missed, ${v.open} open (chain)${v.responder === null ? "" : `; answered here since start ${v.responder.answered}, failed ${v.responder.failed}`}`)],
    ["transfer in", `${rate(t.rates.in.last10s)} (10 s), ${rate(t.rates.in.last60s)} (60 s); today ${sizeOf(t.today.in.total)}`],
    ["transfer out", `${rate(t.rates.out.last10s)} (10 s), ${rate(t.rates.out.last60s)} (60 s); today ${sizeOf(t.today.out.total)} (bitswap ${sizeOf(t.today.out.bitswap)}, gateway ${sizeOf(t.today.out.gateway)})`],
  ]);
}
