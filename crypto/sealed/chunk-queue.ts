/**
 * A FIFO of byte chunks that hands out the first n bytes as views (no copying), so segments
 * can be cut from a stream of arbitrarily sized chunks at constant memory.
 */
import { concatBytes } from "../bytes.js";
import { InvalidArgumentError } from "../errors.js";

export class ChunkQueue {
  #chunks: Uint8Array[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: unknown): void {
    if (!(chunk instanceof Uint8Array)) throw new InvalidArgumentError("stream chunks must be Uint8Array (or Buffer)");
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** Removes and returns the first n bytes as a list of views. */
  take(n: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let need = Math.min(n, this.#length);
    this.#length -= need;
    while (need > 0) {
      const head = this.#chunks[0]!;
      if (head.length <= need) {
        out.push(head);
        this.#chunks.shift();
        need -= head.length;
      } else {
        out.push(head.subarray(0, need));
        this.#chunks[0] = head.subarray(need);
        need = 0;
      }
    }
    return out;
  }
}

/** Copies pieces into one contiguous array (a view when there is a single piece). */
export function joinPieces(pieces: readonly Uint8Array[]): Uint8Array {
  return pieces.length === 1 ? pieces[0]! : concatBytes(pieces);
}
