/**
 * GET /v1/status: everything an operator's page shows, in one answer cheap enough to poll every
 * 2 s: peers, pins, storage on disk, key shares held, challenge record, stake, transfer totals and
 * rates, uptime, version. Same-origin only (it is not in server.ts's crossOriginAllowed). Every
 * field that costs more than memory is cached: pins (a datastore query) and the chain reads for a
 * few seconds, the disk usage for longer (a directory walk, in the background). docs/API.md is the spec.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { NODE_VERSION } from "../config.js";
import type { ChallengeResponder } from "../custody/challenge-responder.js";
import type { Custodian } from "../custody/custodian.js";
import type { ResponderRecord } from "../custody/challenge-responder.js";
import type { DiskUsageSnapshot } from "../storage/disk-usage.js";
import { listPins } from "../storage/pins.js";
import type { TransferSnapshot } from "../storage/transfer-meter.js";
import { CachedRead } from "./cached-read.js";
import type { ApiContext } from "./context.js";
import { parseInput } from "./schemas.js";
import type { ErrorBody } from "./errors.js";
import { StatusChainReads, type ChallengesField, type StakeField, type Unavailable } from "./status-chain.js";

/** Connected peers listed in an answer (the count is of all of them). */
export const MAX_LISTED_PEERS = 50;
/** Addresses listed per peer. */
const MAX_ADDRESSES_PER_PEER = 8;
const PINS_TTL_MS = 2_000;

export interface StatusOptions {
  custodian?: Custodian | undefined;
  responder?: ChallengeResponder | undefined;
  /** How long chain reads are reused, and waited for (tests shorten them). */
  chainTtlMs?: number;
  chainWaitMs?: number;
  pinsTtlMs?: number;
}

/** The answer of GET /v1/status (docs/API.md). */
export interface NodeStatus {
  version: string;
  uptimeS: number;
  peerId: string;
  address: string;
  chain: { chainId: number } | null;
  peers: { count: number; connected: { peerId: string; addresses: string[] }[]; truncated: boolean };
  pins: { count: number };
  storage: DiskUsageSnapshot & { limits: null };
  shares: { count: number } | null;
  challenges: ((ChallengesField | ErrorBody) & { responder: ResponderRecord | null }) | null;
  stake: StakeField | ErrorBody | null;
  transfer: TransferSnapshot;
  /** Why a null field does not apply, by field name. */
  unavailable: Partial<Record<"stake" | "challenges" | "shares", Unavailable>>;
}

const NO_CHAIN: Unavailable = { code: "NO_CHAIN", message: "this node runs without a chain (no --rpc-url)" };

export function statusRoutes(app: FastifyInstance, ctx: ApiContext, options: StatusOptions = {}): void {
  const { peer } = ctx;
  const chainReads = ctx.chain === undefined ? undefined : new StatusChainReads(ctx.chain, ctx.identity.address, { ttlMs: options.chainTtlMs, waitMs: options.chainWaitMs });
  const pinCount = new CachedRead(async () => (await listPins(peer)).length, { ttlMs: options.pinsTtlMs ?? PINS_TTL_MS, waitMs: 10_000 });

  app.get("/v1/status", async (request): Promise<NodeStatus> => {
    parseInput(z.object({}).strict(), request.query, "query");
    const unavailable: NodeStatus["unavailable"] = {};
    const [pins, storage, stake, challenges] = await Promise.all([
      pinCount.get(),
      peer.disk.snapshot(),
      chainReads?.stake(),
      chainReads?.challenges(options.responder?.record ?? null),
    ]);
    if (chainReads === undefined) unavailable.stake = unavailable.challenges = unavailable.shares = NO_CHAIN;
    else if (stake?.unavailable !== undefined) unavailable.stake = stake.unavailable;
    if (chainReads !== undefined && options.custodian === undefined) {
      unavailable.shares = { code: "NOT_A_CUSTODIAN", message: "this node does not run the custodian role" };
    }
    if (!pins.ok) throw pins.error; // the node's own datastore: a real failure of the node
    return {
      version: NODE_VERSION,
      uptimeS: Math.floor((Date.now() - peer.startedAt) / 1000),
      peerId: peer.peerId,
      address: ctx.identity.address,
      chain: ctx.chain === undefined ? null : { chainId: ctx.chain.chainId },
      peers: connectedPeers(ctx),
      pins: { count: pins.value },
      storage: { ...storage, limits: null },
      shares: options.custodian === undefined ? null : { count: options.custodian.store.list().length },
      challenges: challenges ?? null,
      stake: stake?.value ?? null,
      transfer: peer.transfer.snapshot(),
      unavailable,
    };
  });
}

/** Connected peers, each once with its connections' addresses; bounded lists. */
function connectedPeers(ctx: ApiContext) {
  const byPeer = new Map<string, string[]>();
  for (const connection of ctx.peer.helia.libp2p.getConnections()) {
    if (connection.status !== "open") continue;
    const id = connection.remotePeer.toString();
    const addresses = byPeer.get(id) ?? [];
    if (addresses.length < MAX_ADDRESSES_PER_PEER) addresses.push(connection.remoteAddr.toString());
    byPeer.set(id, addresses);
  }
  const listed = [...byPeer].slice(0, MAX_LISTED_PEERS).map(([peerId, addresses]) => ({ peerId, addresses }));
  return { count: byPeer.size, connected: listed, truncated: byPeer.size > listed.length };
}
