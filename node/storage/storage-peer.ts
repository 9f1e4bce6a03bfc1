/**
 * A modelvault storage peer: Helia with a persistent blockstore and datastore in the data
 * dir, a stable PeerId, and libp2p with TCP + TLS 1.3 (noise for peers that only speak it) +
 * yamux + identify + bitswap. Nothing
 * dials public hosts: no bootstrap list, no mDNS, no delegated routing. Peers are the ones the
 * operator names (config `peers`, or dial()).
 */
import { noise } from "@chainsafe/libp2p-noise";
import * as dagJson from "@ipld/dag-json";
import { yamux } from "@chainsafe/libp2p-yamux";
import { withBitswap } from "@helia/bitswap";
import { withLibp2pLight } from "@helia/libp2p";
import { unixfs, type UnixFS } from "@helia/unixfs";
import { identify } from "@libp2p/identify";
import { tls } from "@libp2p/tls";
import { tcp } from "@libp2p/tcp";
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import { MemoryDatastore } from "datastore-core/memory";
import { FsDatastore } from "datastore-fs";
import { createHeliaLight, type Helia } from "helia";
import type { Libp2p } from "@libp2p/interface";
import { join } from "node:path";
import { FastFsBlockstore } from "./blockstore.js";
import { FetchSession, type FetchSessionOptions } from "./block-fetcher.js";
import { loadOrCreatePeerKey } from "./peer-key.js";
import { SourceDirectory } from "./source-directory.js";
import { bitswapMeterMetrics } from "./bitswap-meter.js";
import { DiskUsage } from "./disk-usage.js";
import { TransferMeter } from "./transfer-meter.js";

export interface StoragePeerOptions {
  /** Where blocks, the datastore (pins) and the peer key live. */
  dataDir: string;
  /** libp2p listen addresses; default one TCP port on loopback. */
  listen?: string[];
  /** Multiaddrs (with /p2p/<id>) of peers to keep connected to: dialled at start, again as soon
   * as one disconnects, and every `redialMs` while disconnected. An unreachable one is reported
   * (once per outage), never fatal. */
  peers?: string[];
  /** Trustless gateways (http(s) origins) to fetch blocks from, besides the peers. */
  gateways?: string[];
  /** Told about the first failed dial of each outage of a configured peer (default: a process warning). */
  onDialError?: (address: string, error: Error) => void;
  redialMs?: number;
}

/**
 * How often configured peers that are not connected are dialled again. Short, so a peer that
 * restarts is back in use within seconds; a refused dial on a dead address costs next to nothing.
 */
export const DEFAULT_REDIAL_MS = 2_000;

interface ConfiguredPeer {
  address: string;
  target: Multiaddr | undefined;
  peerId: string | undefined;
  dialing: boolean;
  /** This outage was reported already. */
  reported: boolean;
}

export type HeliaPeer = Helia & { libp2p: Libp2p };

export class StoragePeer {
  readonly helia: HeliaPeer;
  readonly fs: UnixFS;
  /** Where missing blocks can come from: connected peers and known gateways. */
  readonly sources: SourceDirectory;
  /** Bytes fetched from and served to the network (bitswap, gateway), with rates. */
  readonly transfer: TransferMeter;
  /** Bytes the blockstore and datastore take on disk (cached walks). */
  readonly disk: DiskUsage;
  /** Unix milliseconds the peer started. */
  readonly startedAt = Date.now();

  #redial: NodeJS.Timeout | undefined;
  #configured: ConfiguredPeer[] = [];
  #onDialError: (address: string, error: Error) => void = () => {};

  private constructor(helia: HeliaPeer, gateways: string[], dataDir: string, transfer: TransferMeter) {
    this.helia = helia;
    this.fs = unixfs(helia);
    this.transfer = transfer;
    this.disk = new DiskUsage(dataDir);
    this.sources = new SourceDirectory(helia, gateways, join(dataDir, "blocks"), transfer);
  }

  /** A fetch session over this peer's sources (plus `gateways` for it alone); close it when done. */
  session(options: FetchSessionOptions = {}): FetchSession {
    return new FetchSession(this.helia, this.sources, options);
  }

  static async start(options: StoragePeerOptions): Promise<StoragePeer> {
    const privateKey = await loadOrCreatePeerKey(join(options.dataDir, "peer.key"));
    const blockstore = new FastFsBlockstore(join(options.dataDir, "blocks"));
    const datastore = new FsDatastore(join(options.dataDir, "datastore"));
    await blockstore.open();
    await datastore.open();
    // dag-json: manifests are dag-json blocks that link to the content, so pins follow the link.
    const transfer = new TransferMeter();
    // Helia's metrics only (libp2p gets none): bitswap counts the bytes it serves through them.
    const light = createHeliaLight({ blockstore, datastore, codecs: [dagJson], metrics: bitswapMeterMetrics(transfer) });
    const withNet = withLibp2pLight(light, {
      privateKey,
      // libp2p's own datastore holds only its peer store, which rewrites a peer's record at
      // every stream open (every bitswap message is a stream): on disk that was an open, read,
      // write and rename per message on both sides. Kept in memory; configured peers are
      // redialled from the config, and pins stay in Helia's datastore on disk.
      datastore: new MemoryDatastore(),
      addresses: { listen: options.listen ?? ["/ip4/127.0.0.1/tcp/0"] },
      transports: [tcp()],
      // TLS first: its AES-GCM runs in OpenSSL with hardware support (~660 MB/s on one stream
      // here, against 250-500 for noise's ChaCha20-Poly1305 in JavaScript). kubo speaks both.
      connectionEncrypters: [tls(), noise()],
      streamMuxers: [yamux()],
      peerDiscovery: [],
      services: { identify: identify() },
    });
    const helia = withBitswap(withNet) as unknown as HeliaPeer;
    await helia.start();
    const peer = new StoragePeer(helia, options.gateways ?? [], options.dataDir, transfer);
    const peers = options.peers ?? [];
    if (peers.length > 0) {
      peer.#onDialError = options.onDialError ?? ((address, error) => process.emitWarning(`cannot reach peer ${address}: ${error.message}`));
      peer.#configured = peers.map((address) => peer.#configuredPeer(address));
      await peer.#connect();
      peer.#redial = setInterval(() => void peer.#connect(), options.redialMs ?? DEFAULT_REDIAL_MS);
      peer.#redial.unref();
      // A configured peer that drops is dialled again at once (it may be restarting).
      helia.libp2p.addEventListener("peer:disconnect", peer.#onDisconnect);
    }
    return peer;
  }

  #configuredPeer(address: string): ConfiguredPeer {
    try {
      const target = multiaddr(address);
      const peerId = target.getComponents().find((c) => c.name === "p2p")?.value;
      return { address, target, peerId, dialing: false, reported: false };
    } catch (error) {
      this.#onDialError(address, error as Error);
      return { address, target: undefined, peerId: undefined, dialing: false, reported: true };
    }
  }

  readonly #onDisconnect = (event: CustomEvent<{ toString(): string }>) => {
    const id = event.detail.toString();
    if (this.#configured.some((c) => c.peerId === id)) setTimeout(() => void this.#connect(), 100).unref();
  };

  /** Dials each configured peer that is not connected (and not being dialled), in parallel. */
  async #connect(): Promise<void> {
    const connected = new Set(this.helia.libp2p.getConnections().map((c) => c.remotePeer.toString()));
    await Promise.all(
      this.#configured.map(async (configured) => {
        const { target, peerId } = configured;
        if (target === undefined || configured.dialing || (peerId !== undefined && connected.has(peerId))) return;
        configured.dialing = true;
        try {
          await this.dial(target);
          configured.reported = false; // the next outage is reported again
        } catch (error) {
          if (!configured.reported && this.helia.status === "started") this.#onDialError(configured.address, error as Error);
          configured.reported = true;
        } finally {
          configured.dialing = false;
        }
      }),
    );
  }

  get peerId(): string {
    return this.helia.libp2p.peerId.toString();
  }

  /** Listen addresses with the /p2p/<peer id> suffix, ready to hand to another peer. */
  get addresses(): Multiaddr[] {
    return this.helia.libp2p.getMultiaddrs();
  }

  async dial(address: string | Multiaddr, signal = AbortSignal.timeout(10_000)): Promise<void> {
    await this.helia.libp2p.dial(typeof address === "string" ? multiaddr(address) : address, { signal });
  }

  async stop(): Promise<void> {
    clearInterval(this.#redial);
    this.helia.libp2p.removeEventListener("peer:disconnect", this.#onDisconnect);
    this.sources.close();
    await this.helia.stop();
  }
}
