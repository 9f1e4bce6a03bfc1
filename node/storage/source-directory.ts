/**
 * The block sources a peer knows right now: every connected libp2p peer (over bitswap) and every
 * trustless gateway it was told about (configured, or added later, e.g. a model's custodians).
 * Fetches read it when they start and are told when it changes, so a peer that connects
 * mid-fetch joins in and one that disconnects is routed around.
 */
import type { ComponentLogger, PeerId } from "@libp2p/interface";
import type { CID } from "multiformats/cid";
import { BlockIngest } from "./block-ingest.js";
import { BitswapPeerSource, bitswapBroker, GatewaySource, gatewayOrigin, type BlockSource } from "./block-sources.js";
import { localBlockstore } from "./local-blockstore.js";
import type { HeliaPeer } from "./storage-peer.js";
import { TransferMeter } from "./transfer-meter.js";

/** Largest number of gateways a node keeps (configured plus added). */
export const MAX_GATEWAYS = 64;

/** What this peer's fetches have taken from the network and from its own blockstore, since start. */
export interface TransferTotals {
  networkBlocks: number;
  networkBytes: number;
  localBlocks: number;
  localBytes: number;
}

export class SourceDirectory {
  readonly totals: TransferTotals = { networkBlocks: 0, networkBytes: 0, localBlocks: 0, localBytes: 0 };
  readonly #helia: HeliaPeer;
  readonly #logger: ComponentLogger;
  readonly #gateways = new Map<string, GatewaySource>();
  readonly #peers = new Map<string, BitswapPeerSource>();
  readonly #listeners = new Set<() => void>();
  readonly #notify = () => {
    for (const listener of this.#listeners) listener();
  };

  /** Where fetched blocks are checked and stored (off the main thread when it can). */
  readonly ingest: BlockIngest;
  /** Fetched bytes are recorded here as "in", by the route they came over. */
  readonly transfer: TransferMeter;

  /** `blocksDir`: the FastFsBlockstore's directory, which the ingest worker may write into. */
  constructor(helia: HeliaPeer, gateways: readonly string[] = [], blocksDir?: string, transfer = new TransferMeter()) {
    this.#helia = helia;
    this.transfer = transfer;
    this.#logger = helia.logger;
    this.ingest = new BlockIngest(localBlockstore(helia), blocksDir, (cid, bytes) => this.#verifyHere(cid, bytes));
    for (const url of gateways) this.addGateway(url);
    helia.libp2p.addEventListener("peer:connect", this.#notify);
    helia.libp2p.addEventListener("peer:disconnect", this.#onDisconnect);
  }

  readonly #onDisconnect = (event: CustomEvent<PeerId>) => {
    this.#peers.delete(event.detail.toString());
    this.#notify();
  };

  /** Adds a gateway by URL (its origin is kept); returns the origin. Throws InvalidGatewayError. */
  addGateway(url: string): string {
    const origin = gatewayOrigin(url);
    if (this.#gateways.has(origin)) return origin;
    if (this.#gateways.size >= MAX_GATEWAYS) this.#gateways.delete(this.#gateways.keys().next().value!); // oldest goes
    this.#gateways.set(origin, new GatewaySource(origin, this.#logger, (cid, bytes) => this.ingest.verify(cid, bytes)));
    this.#notify();
    return origin;
  }

  removeGateway(url: string): boolean {
    const removed = this.#gateways.delete(gatewayOrigin(url));
    if (removed) this.#notify();
    return removed;
  }

  get gateways(): string[] {
    return [...this.#gateways.keys()];
  }

  /** A gateway source for `url` whether or not the directory keeps it (a fetch's own gateways). */
  gatewaySource(url: string): GatewaySource {
    return this.#gateways.get(gatewayOrigin(url)) ?? new GatewaySource(url, this.#logger, (cid, bytes) => this.ingest.verify(cid, bytes));
  }

  /** Every source usable now: connected peers first, then gateways. */
  current(): BlockSource[] {
    const broker = bitswapBroker(this.#helia);
    const connected = new Set<string>();
    const sources: BlockSource[] = [];
    for (const connection of this.#helia.libp2p.getConnections()) {
      const id = connection.remotePeer.toString();
      if (connection.status !== "open" || connected.has(id)) continue;
      connected.add(id);
      let source = this.#peers.get(id);
      if (source === undefined) this.#peers.set(id, (source = new BitswapPeerSource(connection.remotePeer, broker)));
      sources.push(source);
    }
    return [...sources, ...this.#gateways.values()];
  }

  /** Calls `listener` whenever the sources may have changed; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tells bitswap a block is here now: peers that asked us for it get it. */
  async announce(cid: CID): Promise<void> {
    await bitswapBroker(this.#helia).announce?.(cid);
  }

  /** True when `bytes` hash to `cid` (with the hash function the CID names), on this thread. */
  async #verifyHere(cid: CID, bytes: Uint8Array): Promise<boolean> {
    const hasher = await this.#helia.getHasher(cid.multihash.code);
    const digest = await hasher.digest(bytes, { truncate: cid.multihash.digest.byteLength });
    return Buffer.from(digest.digest).equals(cid.multihash.digest);
  }

  close(): void {
    this.#helia.libp2p.removeEventListener("peer:connect", this.#notify);
    this.#helia.libp2p.removeEventListener("peer:disconnect", this.#onDisconnect);
    this.#listeners.clear();
  }
}
