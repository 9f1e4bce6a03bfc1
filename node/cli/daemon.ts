/**
 * A running node: the storage peer plus its HTTP API, started and stopped together. With a chain
 * configured it is also a custodian: it takes share deposits, releases shares for tickets,
 * follows published versions (dropping superseded shares after the grace period) and answers
 * storage challenges by itself.
 */
import { join } from "node:path";
import type { NodeIdentity } from "../../crypto/index.js";
import { connectChain, type ChainClient, type EventFollower } from "../chain/index.js";
import type { NodeConfig } from "../config.js";
import { ConfigError } from "../errors.js";
import { Auditor, type AuditAction } from "../custody/auditor.js";
import { ChallengeResponder } from "../custody/challenge-responder.js";
import { Custodian } from "../custody/custodian.js";
import { PublishJournal } from "../custody/publish-journal.js";
import { DEFAULT_GRACE_SECONDS, followVersions, sweepSuperseded } from "../custody/rotation.js";
import { ReleaseLimits } from "../custody/release-limits.js";
import { ShareStore } from "../custody/share-store.js";
import { TicketIndex } from "../custody/ticket-index.js";
import { startApi, type RunningApi } from "../http/server.js";
import { StoragePeer } from "../storage/storage-peer.js";

/** How often superseded shares are looked at. */
const SWEEP_INTERVAL_MS = 10 * 60_000;

export interface RunningNode {
  peer: StoragePeer;
  api: RunningApi;
  /** Present when a chain is configured. */
  chain: ChainClient | undefined;
  /** Present with the audit option. */
  auditor: Auditor | undefined;
  stop(): Promise<void>;
}

export interface StartNodeOptions {
  /** Problems of background work (an RPC outage, a failed challenge answer): never fatal. */
  onWarning?: (message: string) => void;
  graceSeconds?: number;
  /** Run the auditor too (node/custody/auditor.ts): challenges within a bond budget per day. */
  audit?: {
    /** Wei per rolling 24 h; default 10 bonds. */
    budgetPerDay?: bigint;
    pairs?: number;
    intervalMs?: number;
    pollMs?: number;
    onAction?: (action: AuditAction) => void;
  };
  /**
   * The chain RPC the web app's pages call (GET /v1/web/config); default MODELVAULT_WEB_RPC_URL,
   * else the node's own chain.rpcUrl when it is http(s) without credentials.
   */
  webRpcUrl?: string;
}

export async function startNode(config: NodeConfig, identity: NodeIdentity, options: StartNodeOptions = {}): Promise<RunningNode> {
  const warn = options.onWarning ?? ((message: string) => process.emitWarning(message));
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error: Error) => warn(`stopping: ${error.message}`));
  };
  try {
    const peer = await StoragePeer.start({
      dataDir: config.dataDir,
      listen: config.listen,
      peers: config.peers,
      gateways: config.gateways,
      onDialError: (address, error) => warn(`cannot reach peer ${address} (retrying): ${error.message}`),
    });
    cleanups.push(() => peer.stop());

    let chain: ChainClient | undefined;
    let custodian: Custodian | undefined;
    let journal: PublishJournal | undefined;
    let auditor: Auditor | undefined;
    let responder: ChallengeResponder | undefined;
    if (options.audit !== undefined && config.chain === undefined) throw new ConfigError("--audit needs a chain: pass --rpc-url (or set chain.rpcUrl in the config)");
    if (config.chain !== undefined) {
      chain = await connectChain(config.chain, { account: identity.account });
      journal = await PublishJournal.open(config.dataDir);
      const store = await ShareStore.open(join(config.dataDir, "custody"));
      cleanups.push(() => store.close());
      const onError = (error: Error) => warn(`chain: ${error.message}`);
      const { ticketIndex, licenseeLimit, clientLimit } = config.custody;
      const index = ticketIndex ? await TicketIndex.start({ chain, custodian: identity.address, confirmations: chain.confirmations, file: join(config.dataDir, "custody", "ticket-index.json"), onError }) : undefined;
      if (index !== undefined) cleanups.push(() => index.stop());
      const limits = new ReleaseLimits({ licensee: licenseeLimit, client: clientLimit });
      custodian = new Custodian({ identity, chain, store, peer, fetchTimeoutMs: config.fetchTimeoutMs, index, limits });
      const versions: EventFollower = followVersions(chain, store, { onError });
      cleanups.push(() => versions.stop());
      const answering = (responder = new ChallengeResponder({ chain, peer, onError }));
      await answering.start();
      cleanups.push(() => answering.stop());
      const grace = options.graceSeconds ?? DEFAULT_GRACE_SECONDS;
      const sweep = setInterval(() => void sweepSuperseded(store, peer, grace).catch(onError), SWEEP_INTERVAL_MS);
      sweep.unref();
      cleanups.push(async () => clearInterval(sweep));
      if (options.audit !== undefined) {
        const { budgetPerDay, pairs, intervalMs, pollMs, onAction } = options.audit;
        const budget = budgetPerDay ?? 10n * (await chain.contracts.challenges.read.bond());
        const running = (auditor = await Auditor.open({ chain, dataDir: config.dataDir, budgetPerDay: budget, pairs, onAction }));
        running.start({ intervalMs, pollMs });
        cleanups.push(() => running.stop());
      }
    }

    const api = await startApi({
      peer,
      identity,
      custodian,
      chain,
      journal,
      responder,
      host: config.api.host,
      port: config.api.port,
      bodyLimit: config.api.bodyLimit,
      fetchTimeoutMs: config.fetchTimeoutMs,
      web: { rpcUrl: options.webRpcUrl ?? (process.env.MODELVAULT_WEB_RPC_URL || config.chain?.rpcUrl) },
    });
    // Stopped first: no new requests while the rest shuts down.
    cleanups.push(() => api.close());
    let stopping: Promise<void> | undefined;
    return { peer, api, chain, auditor, stop: () => (stopping ??= stopAll()) };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
