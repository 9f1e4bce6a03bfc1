/**
 * The storage-challenge Merkle tree over a sealed model (contracts/StorageChallenges.sol), built
 * from the stream at native SHA-256 speed:
 *   segment i = bytes [4096 i, 4096 (i+1)) of the sealed stream (the last may be shorter)
 *   leaf i    = sha256(sha256(uint256 i ‖ segment_i))
 *   tree      = OpenZeppelin's SimpleMerkleTree heap: 2n-1 nodes, leaf i at index 2n-2-i,
 *               node k = sha256(sorted(node 2k+1, node 2k+2)); the root is node 0.
 * contracts/storage-proof.ts is the slow reference the tests hold this to.
 */
import { hash } from "node:crypto";
import { bytesToHex, type Hex } from "viem";

export const STORAGE_SEGMENT_SIZE = 4096;
const HASH = 32;

export class StorageTreeInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StorageTreeInputError";
  }
}

const sha256 = (bytes: Uint8Array): Buffer => hash("sha256", bytes, "buffer");

/** Cuts a byte stream into segments and hashes each into its leaf; keeps only the leaves. */
export class StorageLeafHasher {
  // One reusable uint256 index ‖ segment buffer: a copy per segment is cheaper than a hash object.
  readonly #input = Buffer.alloc(HASH + STORAGE_SEGMENT_SIZE);
  #pendingLength = 0;
  // Leaves packed 32 bytes apiece in one growing buffer (a small array each would cost ~40x).
  #leaves = Buffer.alloc(HASH * 1024);
  #count = 0;

  #leaf(length: number): void {
    this.#input.writeUInt32BE(this.#count, HASH - 4); // uint256 index, well below 2^32
    if ((this.#count + 1) * HASH > this.#leaves.length) {
      const grown = Buffer.alloc(this.#leaves.length * 2);
      this.#leaves.copy(grown);
      this.#leaves = grown;
    }
    this.#leaves.set(sha256(sha256(this.#input.subarray(0, HASH + length))), this.#count * HASH);
    this.#count++;
  }

  /** Feeds the next bytes of the sealed stream. */
  update(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(STORAGE_SEGMENT_SIZE - this.#pendingLength, chunk.length - offset);
      this.#input.set(chunk.subarray(offset, offset + take), HASH + this.#pendingLength);
      this.#pendingLength += take;
      offset += take;
      if (this.#pendingLength === STORAGE_SEGMENT_SIZE) {
        this.#leaf(STORAGE_SEGMENT_SIZE);
        this.#pendingLength = 0;
      }
    }
  }

  /** The tree over everything fed so far; the hasher is spent after this. */
  finish(): StorageTree {
    if (this.#pendingLength > 0) this.#leaf(this.#pendingLength);
    this.#pendingLength = 0;
    const leaves = this.#leaves.subarray(0, this.#count * HASH);
    this.#leaves = Buffer.alloc(0);
    return StorageTree.fromLeaves(leaves);
  }
}

/** A built tree: its root and the proof for any segment (StorageChallenges.respond). */
export class StorageTree {
  readonly #nodes: Buffer;
  readonly segmentCount: number;

  private constructor(nodes: Buffer, segmentCount: number) {
    this.#nodes = nodes;
    this.segmentCount = segmentCount;
  }

  /** Builds the heap over packed 32-byte leaves, leaf 0 first. */
  static fromLeaves(leaves: Uint8Array): StorageTree {
    const n = leaves.length / HASH;
    if (n === 0 || !Number.isInteger(n)) throw new StorageTreeInputError("a storage tree needs at least one whole leaf");
    const nodes = Buffer.alloc((2 * n - 1) * HASH);
    for (let i = 0; i < n; i++) nodes.set(leaves.subarray(i * HASH, (i + 1) * HASH), (2 * n - 2 - i) * HASH);
    const pair = Buffer.alloc(2 * HASH);
    for (let k = n - 2; k >= 0; k--) {
      const left = nodes.subarray((2 * k + 1) * HASH, (2 * k + 2) * HASH);
      const right = nodes.subarray((2 * k + 2) * HASH, (2 * k + 3) * HASH);
      const [low, high] = Buffer.compare(left, right) <= 0 ? [left, right] : [right, left];
      pair.set(low, 0);
      pair.set(high, HASH);
      nodes.set(sha256(pair), k * HASH);
    }
    return new StorageTree(nodes, n);
  }

  #node(k: number): Hex {
    return bytesToHex(this.#nodes.subarray(k * HASH, (k + 1) * HASH));
  }

  get root(): Hex {
    return this.#node(0);
  }

  /** Sibling hashes from segment `index`'s leaf up to the root. */
  proof(index: number): Hex[] {
    if (!Number.isInteger(index) || index < 0 || index >= this.segmentCount) {
      throw new StorageTreeInputError(`segment index ${index} out of range 0..${this.segmentCount - 1}`);
    }
    const proof: Hex[] = [];
    for (let k = 2 * this.segmentCount - 2 - index; k > 0; k = (k - 1) >> 1) {
      proof.push(this.#node(k % 2 === 1 ? k + 1 : k - 1));
    }
    return proof;
  }
}
