/**
 * Where a block comes from when this peer lacks it: one bitswap peer, or one IPFS trustless
 * gateway. Each source asks exactly that peer or gateway (never a broadcast), so one fetch can
 * take different leaves from different sources. A source only ever resolves with bytes that
 * hash to the CID asked for: bitswap derives the CID of what it receives from its hash, and
 * gateway answers are hashed here.
 */
import type { BlockBroker, Routing } from "@helia/interface";
import { trustlessGatewayBlockBroker } from "@helia/trustless-gateway-client";
import type { ComponentLogger, PeerId } from "@libp2p/interface";
import { uriToMultiaddr } from "@multiformats/uri-to-multiaddr";
import type { CID } from "multiformats/cid";
import type { HeliaPeer } from "./storage-peer.js";
import { NodeError } from "../errors.js";

export type SourceKind = "bitswap" | "gateway";

export interface BlockSource {
  /** Stable key: "bitswap:<peer id>" or "gateway:<origin>". */
  readonly id: string;
  readonly kind: SourceKind;
  /** The block's bytes, checked against `cid`; a SourceFailure otherwise (or the abort reason). */
  get(cid: CID, signal: AbortSignal): Promise<Uint8Array>;
}

/** Why a source did not deliver a block. */
export type FailureReason = "missing" | "corrupt" | "failed";

export class SourceFailure extends Error {
  readonly reason: FailureReason;
  constructor(reason: FailureReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SourceFailure";
    this.reason = reason;
  }
}

/** A gateway URL that is not a plain http(s) origin. */
export class InvalidGatewayError extends NodeError {
  constructor(message: string) {
    super("INVALID_GATEWAY", message);
  }
}

/** The origin of a gateway URL: http(s) only, no credentials, query or fragment. */
export function gatewayOrigin(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidGatewayError(`not a URL: ${JSON.stringify(url.slice(0, 100))}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new InvalidGatewayError(`gateway ${parsed.origin}: only http(s) gateways`);
  if (parsed.username !== "" || parsed.password !== "") throw new InvalidGatewayError(`gateway ${parsed.origin}: credentials are not allowed in gateway URLs`);
  // The trustless-gateway client asks <origin>/ipfs/<cid>: a path prefix would be dropped silently.
  if (parsed.pathname !== "/" || parsed.search !== "" || parsed.hash !== "") throw new InvalidGatewayError(`gateway ${parsed.origin}: give the origin only, without a path`);
  return parsed.origin;
}

const isAbort = (signal: AbortSignal) => signal.aborted;
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

interface RetrievingSession {
  retrieve(cid: CID, options: { signal: AbortSignal }): Promise<Uint8Array>;
}
interface SessionBroker {
  name: string;
  createSession(options: { providers: CID[] }): RetrievingSession;
  announce?(cid: CID): Promise<void>;
}

/**
 * The bitswap broker Helia runs (it also serves our blocks to peers). Helia keeps its brokers in
 * the public `blockBrokers` field of its class, which the Helia interface type does not list.
 */
export function bitswapBroker(helia: HeliaPeer): SessionBroker {
  const brokers = (helia as unknown as { blockBrokers?: unknown }).blockBrokers;
  const found = Array.isArray(brokers) ? (brokers as BlockBroker[]).find((b) => b.name === "bitswap" && typeof b.createSession === "function") : undefined;
  if (found === undefined) throw new Error("the Helia node runs no bitswap block broker");
  return found as unknown as SessionBroker;
}

/**
 * One bitswap peer, through a Helia bitswap session that names only it: a WANT-BLOCK goes to
 * that peer alone, and its DONT_HAVE fails the request at once. Helia evicts the provider from
 * a session after any failure, so a failed request starts a fresh session for the next one.
 */
export class BitswapPeerSource implements BlockSource {
  readonly kind = "bitswap";
  readonly id: string;
  readonly peerId: PeerId;
  readonly #broker: SessionBroker;
  #session: RetrievingSession | undefined;

  constructor(peerId: PeerId, broker: SessionBroker) {
    this.peerId = peerId;
    this.id = `bitswap:${peerId}`;
    this.#broker = broker;
  }

  async get(cid: CID, signal: AbortSignal): Promise<Uint8Array> {
    const session = (this.#session ??= this.#broker.createSession({ providers: [this.peerId.toCID()] }));
    try {
      return await session.retrieve(cid, { signal });
    } catch (error) {
      if (this.#session === session) this.#session = undefined;
      if (isAbort(signal)) throw signal.reason;
      const message = messageOf(error);
      // @helia/bitswap's session says so when the peer answered DONT_HAVE.
      if (/did not have block/i.test(message)) throw new SourceFailure("missing", `peer ${this.peerId} does not have ${cid}`);
      throw new SourceFailure("failed", `peer ${this.peerId}: ${message}`, { cause: error });
    }
  }
}

/** A Routing that knows one gateway: all the trustless-gateway broker asks of it. */
function oneGatewayRouting(origin: string): Routing {
  const provider = { id: undefined, multiaddrs: [uriToMultiaddr(origin)], router: "modelvault-gateways", fallback: false };
  return {
    async *findProviders() {
      yield provider;
    },
  } as unknown as Routing; // the broker calls findProviders only
}

/** Checks bytes against a CID; may move them to another thread, so the bytes to use come back. */
export type BlockVerifier = (cid: CID, bytes: Uint8Array) => Promise<{ matches: boolean; bytes: Uint8Array }>;

/**
 * One trustless gateway, through Helia's own block broker (@helia/trustless-gateway-client):
 * `GET <origin>/ipfs/<cid>?format=raw` with `Accept: application/vnd.ipld.raw`, at most 2 MiB.
 * The body is checked against the CID here (on the ingest worker, block-ingest.ts) rather than in
 * the broker's validateFn hook, which runs on the main thread; a wrong body is `corrupt`, so the
 * fetch drops the gateway.
 */
export class GatewaySource implements BlockSource {
  readonly kind = "gateway";
  readonly id: string;
  readonly origin: string;
  readonly #broker: BlockBroker;
  readonly #verify: BlockVerifier;

  constructor(origin: string, logger: ComponentLogger, verify: BlockVerifier) {
    this.origin = gatewayOrigin(origin);
    this.id = `gateway:${this.origin}`;
    // allowLocal/allowInsecure: the operator named this gateway (or the chain did); loopback and
    // plain http are how nodes on one host or a private network reach each other.
    this.#broker = trustlessGatewayBlockBroker({ allowInsecure: true, allowLocal: true })({ routing: oneGatewayRouting(this.origin), logger });
    this.#verify = verify;
  }

  async get(cid: CID, signal: AbortSignal): Promise<Uint8Array> {
    let bytes: Uint8Array;
    try {
      bytes = await this.#broker.retrieve!(cid, { signal });
    } catch (error) {
      if (isAbort(signal)) throw signal.reason;
      const message = messageOf(error instanceof AggregateError ? (error.errors[0] ?? error) : error);
      if (/\b404\b/.test(message)) throw new SourceFailure("missing", `gateway ${this.origin} does not have ${cid}`);
      throw new SourceFailure("failed", `gateway ${this.origin}: ${message}`, { cause: error });
    }
    const checked = await this.#verify(cid, bytes);
    if (!checked.matches) throw new SourceFailure("corrupt", `gateway ${this.origin} sent a block that does not match ${cid}`);
    return checked.bytes;
  }
}
