/**
 * Answers storage challenges on chain by itself. It follows ChallengeOpened for this custodian to
 * start rebuilding the challenged version's storage tree from the pinned ciphertext early (cached
 * per manifest: 32 bytes per 2 KiB of model), and ChallengeRevealed for this custodian: the reveal
 * fixes the segment index (nobody, this node included, knows it before), and from its block on the
 * node has the response window to send respond(segment, proof).
 */
import type { Address, Hex } from "viem";
import type { ChainClient, EventFollower } from "../chain/index.js";
import { readManifest } from "../models/fetch.js";
import { readSealedSpan } from "../models/sealed-span.js";
import type { StoragePeer } from "../storage/storage-peer.js";
import { STORAGE_SEGMENT_SIZE, StorageLeafHasher, type StorageTree } from "../storage/storage-tree.js";

export interface ChallengeResponderOptions {
  chain: ChainClient;
  peer: StoragePeer;
  /** Scan from here (default: the chain head now; pass the deployment block to catch up). */
  fromBlock?: bigint;
  onAnswered?: (answer: { challengeId: bigint; segmentIndex: bigint }) => void;
  onError?: (error: Error) => void;
}

const MAX_CACHED_TREES = 8;

/** What this responder did since it started: challenges it answered on chain, and answers that failed. */
export interface ResponderRecord {
  answered: number;
  failed: number;
}

export class ChallengeResponder {
  readonly #options: ChallengeResponderOptions;
  readonly #record: ResponderRecord = { answered: 0, failed: 0 };
  readonly #trees = new Map<string, Promise<StorageTree>>();
  readonly #answering = new Map<bigint, Promise<bigint | null>>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #followers: EventFollower[] = [];

  constructor(options: ChallengeResponderOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    const { chain } = this.#options;
    const me = chain.address as Address;
    const fromBlock = this.#options.fromBlock ?? (await chain.publicClient.getBlockNumber());
    const onError = this.#options.onError;
    this.#followers.push(chain.followEvents({
      contract: "challenges", eventName: "ChallengeOpened", args: { custodian: me }, fromBlock, onError,
      onLogs: (logs) => {
        for (const log of logs) {
          const { modelId, version } = log.args as { modelId: bigint; version: number };
          // Only a head start: answer() builds the tree again (from the cache or anew) and reports failures.
          this.#track(this.#treeOf(modelId, version).catch(() => undefined));
        }
      },
    }));
    this.#followers.push(chain.followEvents({
      contract: "challenges", eventName: "ChallengeRevealed", args: { custodian: me }, fromBlock, onError,
      onLogs: (logs) => {
        for (const log of logs) {
          const { challengeId } = log.args as { challengeId: bigint };
          this.#track(this.answer(challengeId)
            .then((segmentIndex) => {
              if (segmentIndex === null) return;
              this.#record.answered++;
              this.#options.onAnswered?.({ challengeId, segmentIndex });
            })
            .catch((error: Error) => {
              this.#record.failed++;
              this.#options.onError?.(error);
            }));
        }
      },
    }));
  }

  /** Since start (the chain's record, challengeRecord in node/chain, is the authority). */
  get record(): ResponderRecord {
    return { ...this.#record };
  }

  async stop(): Promise<void> {
    await Promise.all(this.#followers.map((follower) => follower.stop()));
    await Promise.allSettled([...this.#pending]);
  }

  /**
   * Answers one revealed challenge; resolves to the segment index it proved, or null when the
   * challenge is not waiting for a response (not revealed yet, or already closed).
   */
  answer(challengeId: bigint): Promise<bigint | null> {
    let answering = this.#answering.get(challengeId);
    if (answering === undefined) {
      answering = this.#answer(challengeId).finally(() => this.#answering.delete(challengeId));
      this.#answering.set(challengeId, answering);
    }
    return answering;
  }

  async #answer(challengeId: bigint): Promise<bigint | null> {
    const { chain, peer } = this.#options;
    const info = await chain.challengeInfo(challengeId);
    if (info === null) throw new Error(`challenge ${challengeId} does not exist`);
    if (info.state !== "revealed" || info.segmentIndex === null) return null;
    const index = info.segmentIndex;
    const { tree, manifestCid } = await this.#treeOf(info.modelId, info.version);
    const { manifest } = await readManifest(peer, manifestCid);
    const offset = Number(index) * STORAGE_SEGMENT_SIZE;
    const end = Math.min(offset + STORAGE_SEGMENT_SIZE, manifest.sealedSize);
    const parts: Uint8Array[] = [];
    const session = peer.session();
    try {
      for await (const chunk of readSealedSpan(session, manifest, offset, end, AbortSignal.timeout(30_000))) parts.push(chunk);
    } finally {
      session.close();
    }
    const proof: Hex[] = tree.proof(Number(index));
    const answered = await chain.respondChallenge(challengeId, Buffer.concat(parts), proof);
    return answered.segmentIndex;
  }

  /** The storage tree of a model version, checked against the segment count the chain committed. */
  async #treeOf(modelId: bigint, version: number): Promise<{ tree: StorageTree; manifestCid: string }> {
    const v = await this.#options.chain.version(modelId, version);
    if (v === null) throw new Error(`model ${modelId} has no version ${version}`);
    const tree = await this.#tree(v.manifestCid);
    if (tree.segmentCount !== v.segmentCount) {
      throw new Error(`model ${modelId} version ${version}: stored content has ${tree.segmentCount} segments, chain says ${v.segmentCount}`);
    }
    return { tree, manifestCid: v.manifestCid };
  }

  #track(work: Promise<unknown>): void {
    const tracked = work.finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  #tree(manifestCid: string): Promise<StorageTree> {
    let tree = this.#trees.get(manifestCid);
    if (tree === undefined) {
      tree = (async () => {
        const { manifest } = await readManifest(this.#options.peer, manifestCid);
        const hasher = new StorageLeafHasher();
        const session = this.#options.peer.session();
        try {
          for await (const chunk of readSealedSpan(session, manifest, 0, manifest.sealedSize, AbortSignal.timeout(10 * 60_000))) hasher.update(chunk);
        } finally {
          session.close();
        }
        return hasher.finish();
      })();
      tree.catch(() => this.#trees.delete(manifestCid));
      this.#trees.set(manifestCid, tree);
      if (this.#trees.size > MAX_CACHED_TREES) this.#trees.delete(this.#trees.keys().next().value!);
    }
    return tree;
  }
}
