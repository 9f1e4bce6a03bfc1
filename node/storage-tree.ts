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
  // Leaf hashes packed 32 bytes apiece in one growing buffer: a million small arrays per GiB
  // would cost ~40x the memory.
  #leaves = Buffer.alloc(32 * 1024);
  #count = 0;
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
    const index = this.#count;
    const view = new DataView(this.#encoded.buffer);
    view.setBigUint64(24, BigInt(index)); // uint256 index (well below 2^64)
    view.setUint32(92, segment.length); // bytes length
    this.#encoded.set(segment, 96);
    const padded = 96 + Math.ceil(segment.length / 32) * 32;
    this.#encoded.fill(0, 96 + segment.length, padded);
    if ((index + 1) * 32 > this.#leaves.length) {
      const grown = Buffer.alloc(this.#leaves.length * 2);
      this.#leaves.copy(grown);
      this.#leaves = grown;
    }
    this.#leaves.set(this.#hash(this.#hash(this.#encoded.subarray(0, padded))), index * 32);
    this.#count++;
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
    const n = this.#count;
    if (n === 0) throw new Error("storage tree over an empty stream");
    // The heap of 2n-1 nodes, 32 bytes each, in one buffer.
    const tree = Buffer.alloc((2 * n - 1) * 32);
    const node = (k: number) => tree.subarray(k * 32, k * 32 + 32);
    for (let i = 0; i < n; i++) tree.set(this.#leaves.subarray(i * 32, i * 32 + 32), (2 * n - 2 - i) * 32);
    for (let k = n - 2; k >= 0; k--) {
      const a = node(2 * k + 1);
      const b = node(2 * k + 2);
      tree.set(Buffer.compare(a, b) <= 0 ? this.#hash(a, b) : this.#hash(b, a), k * 32);
    }
    this.#leaves = Buffer.alloc(0);
    this.#count = 0;
    return { root: bytesToHex(node(0)), segmentCount: n };
  }
}
