/**
 * Custodian housekeeping for rotation. A custodian follows VersionPublished: when a manifest it
 * holds a share for is published it records the model and version; when a later version of that
 * model is published, the older shares are marked superseded. sweep() drops shares whose grace
 * period has passed and unpins their content, so old keys do not linger on custodians forever.
 */
import type { ChainClient, EventFollower } from "../chain/index.js";
import { parseCid, removePin } from "../storage/pins.js";
import type { StoragePeer } from "../storage/storage-peer.js";
import type { ShareStore } from "./share-store.js";

export const DEFAULT_GRACE_SECONDS = 24 * 3600;

export interface PublishedVersion {
  modelId: bigint;
  version: number;
  manifestCid: string;
}

/** Records what a VersionPublished means for the shares held; returns whether anything changed. */
export async function notePublished(store: ShareStore, published: PublishedVersion, now = Math.floor(Date.now() / 1000)): Promise<boolean> {
  let changed = false;
  const modelId = published.modelId.toString();
  const held = store.get(published.manifestCid);
  if (held !== undefined && (held.modelId !== modelId || held.version !== published.version)) {
    await store.put({ ...held, modelId, version: published.version });
    changed = true;
  }
  for (const share of store.list()) {
    if (share.modelId === modelId && share.version !== undefined && share.version < published.version && share.supersededAt === undefined) {
      await store.put({ ...share, supersededAt: now });
      changed = true;
    }
  }
  return changed;
}

/** Drops superseded shares past their grace period and unpins their manifests (and content). */
export async function sweepSuperseded(
  store: ShareStore,
  peer: StoragePeer,
  graceSeconds = DEFAULT_GRACE_SECONDS,
  now = Math.floor(Date.now() / 1000),
): Promise<string[]> {
  const dropped: string[] = [];
  for (const share of store.list()) {
    if (share.supersededAt === undefined || share.supersededAt + graceSeconds > now) continue;
    await removePin(peer, parseCid(share.manifestCid));
    await store.delete(share.manifestCid);
    dropped.push(share.manifestCid);
  }
  return dropped;
}

/** Follows VersionPublished from `fromBlock` (the deployment by default) into the store. */
export function followVersions(
  chain: Pick<ChainClient, "followEvents" | "deploymentBlock">,
  store: ShareStore,
  options: { fromBlock?: bigint; onError?: (error: Error) => void } = {},
): EventFollower {
  return chain.followEvents({
    contract: "vault",
    eventName: "VersionPublished",
    fromBlock: options.fromBlock ?? chain.deploymentBlock,
    onError: options.onError,
    onLogs: async (logs) => {
      for (const log of logs) {
        const { modelId, version, manifestCid } = log.args as { modelId: bigint; version: number; manifestCid: string };
        await notePublished(store, { modelId, version, manifestCid });
      }
    },
  });
}
