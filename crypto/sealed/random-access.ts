/**
 * Random access into a sealed stream: decrypt segment i, or a plaintext byte range, from the
 * header and only the frames that hold it (e.g. byte ranges of a UnixFS file on IPFS).
 */
import { InvalidArgumentError, SegmentAuthenticationError, TruncatedStreamError } from "../errors.js";
import { joinPieces } from "./chunk-queue.js";
import { frameRange, sealedLayout, type SealedLayout } from "./format.js";
import { openHeader, type OpenedHeader } from "./header.js";
import { openSegment } from "./stream.js";

/** Reads bytes [start, end) of the sealed stream (a local file, an HTTP range, a UnixFS cat). */
export type ReadSealedRange = (start: number, end: number) => Promise<Uint8Array>;

export interface SealedReaderOptions {
  key: Uint8Array;
  /** The stream's first 112 bytes. */
  header: Uint8Array;
  /** Total length of the sealed stream. A wrong length makes the final-segment check fail. */
  sealedLength: number;
  read: ReadSealedRange;
  modelId?: Uint8Array;
}

export class SealedReader {
  readonly layout: SealedLayout;
  readonly #opened: OpenedHeader;
  readonly #read: ReadSealedRange;

  constructor(options: SealedReaderOptions) {
    this.#opened = openHeader(options.header, options.key, options.modelId);
    this.layout = sealedLayout(this.#opened.header.segmentSize, options.sealedLength);
    this.#read = options.read;
  }

  /** Plaintext length of the whole model. */
  get plaintextLength(): number {
    return this.layout.plaintextLength;
  }

  /** Decrypts and authenticates segment `index` alone. */
  async segment(index: number): Promise<Uint8Array> {
    const { start, end } = frameRange(this.layout, index);
    const frame = await this.#read(start, end);
    if (frame.length !== end - start) throw new TruncatedStreamError(`segment ${index}: short read`);
    const final = index === this.layout.segmentCount - 1;
    const plain = openSegment(this.#opened, index, final, [frame], frame.length);
    if (plain === null) throw new SegmentAuthenticationError(index);
    return joinPieces(plain);
  }

  /** Yields plaintext bytes [start, end), decrypting only the segments that overlap it. */
  async *range(start: number, end = this.plaintextLength): AsyncGenerator<Uint8Array, void, undefined> {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > this.plaintextLength) {
      throw new InvalidArgumentError(`range [${start}, ${end}) outside the plaintext [0, ${this.plaintextLength})`);
    }
    if (start === end) return;
    const size = this.layout.segmentSize;
    for (let i = Math.floor(start / size); i * size < end; i++) {
      const plain = await this.segment(i);
      const from = Math.max(start - i * size, 0);
      yield plain.subarray(from, Math.min(end - i * size, plain.length));
    }
  }
}
