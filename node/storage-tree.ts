/**
 * The storage-challenge Merkle tree over a sealed model, computed while it streams past.
 * Shape (contracts/StorageChallenges.sol, OpenZeppelin SimpleMerkleTree):
 *   segment i = bytes [1024 i, 1024 (i+1)) of the sealed stream (the last may be shorter)
 *   leaf i    = keccak256(keccak256(abi.encode(uint256 i, bytes segment_i)))
 *   tree      = OpenZeppelin's heap layout: 2n-1 nodes, leaf i at index 2n-2-i, node k =
 *               keccak256(sorted(node 2k+1, node 2k+2)); the root is node 0.
 * keccak runs in WebAssembly (hash-wasm): @noble/hashes' keccak is ~8x slower here, and a
 * 1 GiB model has a million leaves.
 */
import { createKeccak, type IHasher } from "hash-wasm";
import { bytesToHex, type Hex } from "viem";

export const STORAGE_SEGMENT_SIZE = 1024;

export class StorageTreeBuilder {
  readonly #keccak: IHasher;
  readonly #pending = new Uint8Array(STORAGE_SEGMENT_SIZE);
  #pendingLength = 0;
  #leaves: Uint8Array[] = [];
  // One reusable abi.encode(uint256 i, bytes segment) buffer: index, offset 0x40, length, data.
  readonly #encoded = new Uint8Array(96 + STORAGE_SEGMENT_SIZE);

  private constructor(keccak: IHasher) {
    this.#keccak = keccak;
    this.#encoded[63] = 0x40;
  }

  static async create(): Promise<StorageTreeBuilder> {
    return new StorageTreeBuilder(await createKeccak(256));
  }

  #hash(...parts: Uint8Array[]): Uint8Array {
    this.#keccak.init();
    for (const part of parts) this.#keccak.update(part);
    return this.#keccak.digest("binary");
  }

  #leaf(segment: Uint8Array): void {
    const index = this.#leaves.length;
    const view = new DataView(this.#encoded.buffer);
    view.setBigUint64(24, BigInt(index)); // uint256 index (well below 2^64)
    view.setUint32(92, segment.length); // bytes length
    this.#encoded.set(segment, 96);
    const padded = 96 + Math.ceil(segment.length / 32) * 32;
    this.#encoded.fill(0, 96 + segment.length, padded);
    this.#leaves.push(this.#hash(this.#hash(this.#encoded.subarray(0, padded))));
  }

  /** Feeds the next bytes of the sealed stream. */
  update(chunk: Uint8Array): void {
    let offset = 0;
    if (this.#pendingLength > 0) {
      const take = Math.min(STORAGE_SEGMENT_SIZE - this.#pendingLength, chunk.length);
      this.#pending.set(chunk.subarray(0, take), this.#pendingLength);
      this.#pendingLength += take;
      offset = take;
      if (this.#pendingLength < STORAGE_SEGMENT_SIZE) return;
      this.#leaf(this.#pending);
      this.#pendingLength = 0;
    }
    for (; offset + STORAGE_SEGMENT_SIZE <= chunk.length; offset += STORAGE_SEGMENT_SIZE) {
      this.#leaf(chunk.subarray(offset, offset + STORAGE_SEGMENT_SIZE));
    }
    this.#pending.set(chunk.subarray(offset), 0);
    this.#pendingLength = chunk.length - offset;
  }

  /** The root over everything fed so far; the builder is finished after this. */
  root(): { root: Hex; segmentCount: number } {
    if (this.#pendingLength > 0) this.#leaf(this.#pending.subarray(0, this.#pendingLength));
    const n = this.#leaves.length;
    if (n === 0) throw new Error("storage tree over an empty stream");
    const tree: Uint8Array[] = new Array(2 * n - 1);
    this.#leaves.forEach((leaf, i) => (tree[tree.length - 1 - i] = leaf));
    for (let k = tree.length - 1 - n; k >= 0; k--) {
      const a = tree[2 * k + 1]!;
      const b = tree[2 * k + 2]!;
      tree[k] = Buffer.compare(a, b) <= 0 ? this.#hash(a, b) : this.#hash(b, a);
    }
    this.#leaves = [];
    return { root: bytesToHex(tree[0]!), segmentCount: n };
  }
}
