/**
 * Answers storage challenges on chain by itself. It follows ChallengeOpened for this custodian,
 * waits until the seed block is mined (the segment index is unknown before), rebuilds the storage
 * tree of the challenged version from the pinned ciphertext (cached per manifest: 32 bytes per
 * 2 KiB of model), and sends respond(segment, proof) well before the deadline.
 */
import type { Address, Hex } from "viem";
import type { ChainClient, EventFollower } from "../chain/index.js";
import { ChainRevertError } from "../chain/index.js";
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
  /** How often to look for the seed block while waiting. */
  pollMs?: number;
}

const MAX_CACHED_TREES = 8;

export class ChallengeResponder {
  readonly #options: ChallengeResponderOptions;
  readonly #trees = new Map<string, Promise<StorageTree>>();
  readonly #pending = new Set<Promise<void>>();
  #follower: EventFollower | undefined;
  #stopped = false;

  constructor(options: ChallengeResponderOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    const { chain } = this.#options;
    const me = chain.address as Address;
    const fromBlock = this.#options.fromBlock ?? (await chain.publicClient.getBlockNumber());
    this.#follower = chain.followEvents({
      contract: "challenges",
      eventName: "ChallengeOpened",
      args: { custodian: me },
      fromBlock,
      onError: this.#options.onError,
      onLogs: (logs) => {
        for (const log of logs) {
          const { challengeId, modelId, version } = log.args as { challengeId: bigint; modelId: bigint; version: number };
          const answering = this.answer(challengeId, modelId, version)
            .then((segmentIndex) => this.#options.onAnswered?.({ challengeId, segmentIndex }))
            .catch((error: Error) => this.#options.onError?.(error))
            .finally(() => this.#pending.delete(answering));
          this.#pending.add(answering);
        }
      },
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#follower?.stop();
    await Promise.allSettled([...this.#pending]);
  }

  /** Answers one challenge; resolves to the segment index it proved. */
  async answer(challengeId: bigint, modelId: bigint, version: number): Promise<bigint> {
    const { chain, peer } = this.#options;
    const v = await chain.version(modelId, version);
    if (v === null) throw new Error(`challenge ${challengeId}: model ${modelId} has no version ${version}`);
    const treeReady = this.#tree(v.manifestCid);
    const index = await this.#segmentIndex(challengeId);
    const tree = await treeReady;
    if (tree.segmentCount !== v.segmentCount) throw new Error(`challenge ${challengeId}: stored content has ${tree.segmentCount} segments, chain says ${v.segmentCount}`);
    const { manifest } = await readManifest(peer, v.manifestCid);
    const offset = Number(index) * STORAGE_SEGMENT_SIZE;
    const end = Math.min(offset + STORAGE_SEGMENT_SIZE, manifest.sealedSize);
    const parts: Uint8Array[] = [];
    const session = peer.session();
    try {
      for await (const chunk of readSealedSpan(session, manifest, offset, end, AbortSignal.timeout(30_000))) parts.push(chunk);
    } finally {
      session.close();
    }
    const segment = Buffer.concat(parts);
    const proof: Hex[] = tree.proof(Number(index));
    const answered = await chain.respondChallenge(challengeId, segment, proof);
    return answered.segmentIndex;
  }

  /** Polls until the seed block is mined and the index is known. */
  async #segmentIndex(challengeId: bigint): Promise<bigint> {
    for (;;) {
      try {
        return await this.#options.chain.segmentIndex(challengeId);
      } catch (error) {
        if (!(error instanceof ChainRevertError && error.errorName === "SeedNotReady") || this.#stopped) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, this.#options.pollMs ?? 500));
    }
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
