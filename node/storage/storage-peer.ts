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
import { FsDatastore } from "datastore-fs";
import { createHeliaLight, type Helia } from "helia";
import type { Libp2p } from "@libp2p/interface";
import { join } from "node:path";
import { FastFsBlockstore } from "./blockstore.js";
import { loadOrCreatePeerKey } from "./peer-key.js";

export interface StoragePeerOptions {
  /** Where blocks, the datastore (pins) and the peer key live. */
  dataDir: string;
  /** libp2p listen addresses; default one TCP port on loopback. */
  listen?: string[];
  /** Multiaddrs (with /p2p/<id>) of peers to keep connected to: dialled at start and redialled
   * every `redialMs` while disconnected. An unreachable one is reported, never fatal. */
  peers?: string[];
  /** Told about each failed dial of a configured peer (default: a process warning). */
  onDialError?: (address: string, error: Error) => void;
  redialMs?: number;
}

/** How often configured peers that are not connected are dialled again. */
export const DEFAULT_REDIAL_MS = 30_000;

export type HeliaPeer = Helia & { libp2p: Libp2p };

export class StoragePeer {
  readonly helia: HeliaPeer;
  readonly fs: UnixFS;

  #redial: NodeJS.Timeout | undefined;

  private constructor(helia: HeliaPeer) {
    this.helia = helia;
    this.fs = unixfs(helia);
  }

  static async start(options: StoragePeerOptions): Promise<StoragePeer> {
    const privateKey = await loadOrCreatePeerKey(join(options.dataDir, "peer.key"));
    const blockstore = new FastFsBlockstore(join(options.dataDir, "blocks"));
    const datastore = new FsDatastore(join(options.dataDir, "datastore"));
    await blockstore.open();
    await datastore.open();
    // dag-json: manifests are dag-json blocks that link to the content, so pins follow the link.
    const light = createHeliaLight({ blockstore, datastore, codecs: [dagJson] });
    const withNet = withLibp2pLight(light, {
      privateKey,
      datastore,
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
    const peer = new StoragePeer(helia);
    const peers = options.peers ?? [];
    if (peers.length > 0) {
      const onDialError =
        options.onDialError ?? ((address, error) => process.emitWarning(`cannot reach peer ${address}: ${error.message}`));
      await peer.#connect(peers, onDialError);
      peer.#redial = setInterval(() => void peer.#connect(peers, onDialError), options.redialMs ?? DEFAULT_REDIAL_MS);
      peer.#redial.unref();
    }
    return peer;
  }

  /** Dials each configured peer that is not connected, in parallel; failures are reported. */
  async #connect(addresses: string[], onDialError: (address: string, error: Error) => void): Promise<void> {
    const connected = new Set(this.helia.libp2p.getConnections().map((c) => c.remotePeer.toString()));
    await Promise.all(
      addresses.map(async (address) => {
        let target: Multiaddr;
        try {
          target = multiaddr(address);
        } catch (error) {
          return onDialError(address, error as Error);
        }
        const id = target.getComponents().find((c) => c.name === "p2p")?.value;
        if (id !== undefined && connected.has(id)) return;
        await this.dial(target).catch((error: Error) => onDialError(address, error));
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
    await this.helia.stop();
  }
}
