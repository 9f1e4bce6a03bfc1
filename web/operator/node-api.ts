/**
 * The operator's calls to its own node (docs/API.md): GET /v1/status, GET /v1/pins, POST and
 * DELETE /v1/pins/:cid. Same-origin only on the node's side (a page of another origin cannot
 * read them, and its changes are refused with CROSS_ORIGIN_REFUSED). Requests and the node's
 * error bodies go through the SDK's node client (sdk/node-api.ts), so a refusal is an SdkError:
 * NODE_ERROR with the node's code (INVALID_CID, PIN_NOT_FOUND, …), or NODE_UNAVAILABLE.
 */
import { request } from "../../sdk/node-api.js";

/** Why a field of the status is null: the node runs without a chain, or not as a custodian. */
export interface Unavailable {
  code: string;
  message: string;
}

/** A chain-backed field that could not be read this time (the rest of the answer stands). */
export interface FieldError {
  error: { code: string; message: string };
}

export interface RouteBytes {
  bitswap: number;
  gateway: number;
  total: number;
}

/** GET /v1/status (docs/API.md). Wei amounts are decimal strings. */
export interface NodeStatus {
  version: string;
  uptimeS: number;
  peerId: string;
  address: string;
  chain: { chainId: number } | null;
  peers: { count: number; connected: { peerId: string; addresses: string[] }[]; truncated: boolean };
  pins: { count: number };
  storage: {
    blockstore: { bytes: number; files: number };
    datastore: { bytes: number; files: number };
    filesystem: { sizeBytes: number; freeBytes: number } | null;
    measuredAt: number;
  };
  shares: { count: number } | null;
  challenges: ((ChallengesField | FieldError) & { responder: { answered: number; failed: number } | null }) | null;
  stake: StakeField | FieldError | null;
  transfer: {
    day: string;
    today: Record<"in" | "out", RouteBytes>;
    sinceStart: Record<"in" | "out", RouteBytes>;
    rates: Record<"in" | "out", { last10s: number; last60s: number }>;
  };
  unavailable: Record<string, Unavailable>;
}

export interface StakeField {
  registered: true;
  active: boolean;
  bonded: string;
  unbonding: string;
  withdrawable: string;
  withdrawableAt: number | null;
  minStake: string;
  openChallenges: number;
  asOf: number;
}

export interface ChallengesField {
  total: number;
  answered: number;
  missed: number;
  lapsed: number;
  open: number;
  slashed: string;
  bondsEarned: string;
  asOf: number;
}

/** GET /v1/pins: each pin, and the model it holds when its root is a signed manifest. */
export interface PinEntry {
  cid: string;
  depth: number | null;
  metadata: Record<string, unknown>;
  model?: { name?: string; version: number; owner: string; kind: "file" | "directory"; plaintextSize: number; sealedSize: number; files?: number };
}

export const isFieldError = (value: object): value is FieldError => "error" in value;

export class NodeApi {
  // Called as a plain function, as the SDK's client does: window's fetch, unbound from window.
  private readonly fetch = (input: string | URL, init?: RequestInit) => fetch(input, init);

  constructor(private readonly origin: string) {}

  async status(signal?: AbortSignal): Promise<NodeStatus> {
    return (await (await request(this.fetch, this.origin, "v1/status", { signal })).json()) as NodeStatus;
  }

  async pins(signal?: AbortSignal): Promise<PinEntry[]> {
    return ((await (await request(this.fetch, this.origin, "v1/pins", { signal })).json()) as { pins: PinEntry[] }).pins;
  }

  /** Pins `cid` recursively (the node fetches what it lacks first); whether it was new. */
  async addPin(cid: string, signal?: AbortSignal): Promise<{ added: boolean }> {
    return (await (await request(this.fetch, this.origin, `v1/pins/${encodeURIComponent(cid)}`, { method: "POST", signal })).json()) as { added: boolean };
  }

  async removePin(cid: string, signal?: AbortSignal): Promise<void> {
    await request(this.fetch, this.origin, `v1/pins/${encodeURIComponent(cid)}`, { method: "DELETE", signal });
  }
}
