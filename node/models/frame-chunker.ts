/**
 * A UnixFS chunker that cuts a sealed stream at its own boundaries: the 112-byte header as
 * the first leaf, then exactly one ciphertext frame per raw leaf. So segment i of the model
 * is leaf i + 1 of the file, fetchable and decryptable on its own.
 */
import type { AddOptions } from "@helia/unixfs";
import { ChunkQueue, HEADER_LENGTH, joinPieces, TAG_LENGTH } from "../../crypto/index.js";

type Chunker = NonNullable<AddOptions["chunker"]>;

export function frameChunker(segmentSize: number): Chunker {
  const frameLength = segmentSize + TAG_LENGTH;
  return async function* (source) {
    const queue = new ChunkQueue();
    let next = HEADER_LENGTH;
    for await (const chunk of source) {
      queue.push(chunk);
      while (queue.length >= next) {
        yield joinPieces(queue.take(next));
        next = frameLength;
      }
    }
    if (queue.length > 0) yield joinPieces(queue.take(queue.length));
  };
}
