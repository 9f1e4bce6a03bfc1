/** A running node: the storage peer plus its HTTP API, started and stopped together. */
import type { NodeIdentity } from "../../crypto/index.js";
import type { NodeConfig } from "../config.js";
import { startApi, type RunningApi } from "../http/server.js";
import { StoragePeer } from "../storage-peer.js";

export interface RunningNode {
  peer: StoragePeer;
  api: RunningApi;
  stop(): Promise<void>;
}

export async function startNode(config: NodeConfig, identity: NodeIdentity): Promise<RunningNode> {
  const peer = await StoragePeer.start({ dataDir: config.dataDir, listen: config.listen, peers: config.peers });
  let api: RunningApi;
  try {
    api = await startApi({
      peer,
      identity,
      host: config.api.host,
      port: config.api.port,
      bodyLimit: config.api.bodyLimit,
      fetchTimeoutMs: config.fetchTimeoutMs,
    });
  } catch (error) {
    await peer.stop();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    peer,
    api,
    // API first (no new requests), then the peer (flushes and closes the stores).
    stop: () => (stopping ??= api.close().then(() => peer.stop())),
  };
}
