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
import type { Hex } from "viem"; // the type only: the hashing worker loads no viem (tens of MiB)

export const STORAGE_SEGMENT_SIZE = 4096;
const HASH = 32;

export class StorageTreeInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StorageTreeInputError";
  }
}

const sha256 = (bytes: Uint8Array): Buffer => hash("sha256", bytes, "buffer");

/**
 * Hashes segments into leaves. One reusable uint256 index ‖ segment buffer: a copy per segment
 * is cheaper than a hash object per segment.
 */
class LeafHashing {
  readonly input = Buffer.alloc(HASH + STORAGE_SEGMENT_SIZE);

  /** Leaf `index` over the `length` segment bytes already in input[32..]. */
  leaf(index: number, length: number, out: Uint8Array, outOffset: number): void {
    this.input.writeUInt32BE(index, HASH - 4); // uint256 index, well below 2^32
    const bytes = length === STORAGE_SEGMENT_SIZE ? this.input : this.input.subarray(0, HASH + length);
    out.set(sha256(sha256(bytes)), outOffset);
  }
}

/**
 * The leaves of whole segments `firstIndex`, `firstIndex` + 1, ... laid out back to back in
 * `bytes` (a multiple of the segment size): 32 bytes each. Lets a worker hash its own part of a
 * stream; StorageLeafHasher.appendLeaves takes the result.
 */
export function hashSegments(bytes: Uint8Array, firstIndex: number): Uint8Array {
  if (bytes.length % STORAGE_SEGMENT_SIZE !== 0) throw new StorageTreeInputError("hashSegments takes whole segments");
  const count = bytes.length / STORAGE_SEGMENT_SIZE;
  const hashing = new LeafHashing();
  const leaves = new Uint8Array(count * HASH); // its own ArrayBuffer: transferable
  for (let i = 0; i < count; i++) {
    hashing.input.set(bytes.subarray(i * STORAGE_SEGMENT_SIZE, (i + 1) * STORAGE_SEGMENT_SIZE), HASH);
    hashing.leaf(firstIndex + i, STORAGE_SEGMENT_SIZE, leaves, i * HASH);
  }
  return leaves;
}

/** Cuts a byte stream into segments and hashes each into its leaf; keeps only the leaves. */
export class StorageLeafHasher {
  readonly #hashing = new LeafHashing();
  #pendingLength = 0;
  // Leaves packed 32 bytes apiece in one growing buffer (a small array each would cost ~40x).
  #leaves = Buffer.alloc(HASH * 1024);
  #count = 0;

  #room(leaves: number): void {
    let size = this.#leaves.length;
    while ((this.#count + leaves) * HASH > size) size *= 2;
    if (size === this.#leaves.length) return;
    const grown = Buffer.alloc(size);
    this.#leaves.copy(grown, 0, 0, this.#count * HASH);
    this.#leaves = grown;
  }

  #leaf(length: number): void {
    this.#room(1);
    this.#hashing.leaf(this.#count, length, this.#leaves, this.#count * HASH);
    this.#count++;
  }

  /** Feeds the next bytes of the sealed stream. */
  update(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(STORAGE_SEGMENT_SIZE - this.#pendingLength, chunk.length - offset);
      this.#hashing.input.set(chunk.subarray(offset, offset + take), HASH + this.#pendingLength);
      this.#pendingLength += take;
      offset += take;
      if (this.#pendingLength === STORAGE_SEGMENT_SIZE) {
        this.#leaf(STORAGE_SEGMENT_SIZE);
        this.#pendingLength = 0;
      }
    }
  }

  /**
   * Takes the leaves of the next whole segments, hashed elsewhere (hashSegments), instead of
   * their bytes. Only at a segment boundary, and `firstIndex` must be the next segment's.
   */
  appendLeaves(leaves: Uint8Array, firstIndex: number): void {
    if (this.#pendingLength !== 0 || firstIndex !== this.#count || leaves.length % HASH !== 0) {
      throw new StorageTreeInputError(`leaves from segment ${firstIndex} do not continue the stream at segment ${this.#count}`);
    }
    this.#room(leaves.length / HASH);
    this.#leaves.set(leaves, this.#count * HASH);
    this.#count += leaves.length / HASH;
  }

  /** The packed leaves of everything fed so far, the last segment's too; the hasher is spent. */
  finishLeaves(): Uint8Array {
    if (this.#pendingLength > 0) this.#leaf(this.#pendingLength);
    this.#pendingLength = 0;
    const leaves = this.#leaves.subarray(0, this.#count * HASH);
    this.#leaves = Buffer.alloc(0);
    return leaves;
  }

  /** The tree over everything fed so far; the hasher is spent after this. */
  finish(): StorageTree {
    return StorageTree.fromLeaves(this.finishLeaves());
  }
}

/** out[at..] = sha256 of the 32-byte nodes at `a` and `b` in `from`, the lower one first. */
function hashPair(from: Buffer, a: number, b: number, pair: Buffer, out: Uint8Array, at: number): void {
  const aFirst = from.compare(from, b, b + HASH, a, a + HASH) <= 0;
  from.copy(pair, aFirst ? 0 : HASH, a, a + HASH);
  from.copy(pair, aFirst ? HASH : 0, b, b + HASH);
  out.set(sha256(pair), at);
}

/**
 * Node k of the tree over packed leaves (StorageTree's heap numbering), from its own subtree
 * alone: two threads build nodes 1 and 2 at once, and the root is their pair.
 */
export function storageNode(leaves: Uint8Array, k: number): Uint8Array {
  const n = leaves.length / HASH;
  const last = 2 * n - 2;
  if (n === 0 || !Number.isInteger(n) || !Number.isInteger(k) || k < 0 || k > last) {
    throw new StorageTreeInputError(`no node ${k} in a tree over ${leaves.length} bytes of leaves`);
  }
  const packed = Buffer.from(leaves.buffer, leaves.byteOffset, leaves.byteLength);
  const pair = Buffer.alloc(2 * HASH);
  // Level d of k's subtree is the node range [(k+1)·2^d − 1, (k+2)·2^d − 2], built bottom-up in
  // one buffer: node i of a level reads nodes 2i and 2i+1 of the level below, never one it wrote.
  let depth = 0;
  while ((k + 1) * 2 ** (depth + 1) - 1 <= last) depth++;
  const levelSize = (d: number) => Math.min((k + 2) * 2 ** d - 2, last) - ((k + 1) * 2 ** d - 1) + 1;
  const nodes = Buffer.alloc(Math.max(levelSize(depth), depth > 0 ? levelSize(depth - 1) : 0) * HASH);
  for (let d = depth; d >= 0; d--) {
    const start = (k + 1) * 2 ** d - 1;
    for (let i = 0; i < levelSize(d); i++) {
      const node = start + i;
      if (node >= n - 1) packed.copy(nodes, i * HASH, (last - node) * HASH, (last - node + 1) * HASH);
      else hashPair(nodes, 2 * i * HASH, (2 * i + 1) * HASH, pair, nodes, i * HASH);
    }
  }
  return new Uint8Array(nodes.subarray(0, HASH));
}

/** The root over two sibling nodes (storageNode 1 and 2). */
export function storageParent(a: Uint8Array, b: Uint8Array): Hex {
  const both = Buffer.concat([a, b]);
  const out = Buffer.alloc(HASH);
  hashPair(both, 0, HASH, Buffer.alloc(2 * HASH), out, 0);
  return `0x${out.toString("hex")}`;
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
    for (let k = n - 2; k >= 0; k--) hashPair(nodes, (2 * k + 1) * HASH, (2 * k + 2) * HASH, pair, nodes, k * HASH);
    return new StorageTree(nodes, n);
  }

  #node(k: number): Hex {
    return `0x${this.#nodes.toString("hex", k * HASH, (k + 1) * HASH)}`;
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
