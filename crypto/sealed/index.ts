export { seal, open, sealSegment, openSegment, type ByteSource, type SealOptions, type OpenOptions } from "./stream.js";
export { ChunkQueue, joinPieces } from "./chunk-queue.js";
export { SealedReader, type SealedReaderOptions } from "./random-access.js";
export {
  coveringSegments,
  DEFAULT_MAX_READ_BYTES,
  DEFAULT_MIN_READ_BYTES,
  DEFAULT_READ_CONCURRENCY,
  type ParallelReadOptions,
  type PlainRange,
  type ReadSealedRange,
} from "./range-plan.js";
export { createHeader, openHeader, type OpenedHeader } from "./header.js";
export { expectedFinal, framePosition, frameVerdict, type FramePosition, type SealedErrors } from "./reader-rules.js";
export {
  canBeFinalFrame,
  DEFAULT_FRAME_LENGTH,
  DEFAULT_SEGMENT_SIZE,
  FORMAT_VERSION,
  HEADER_LENGTH,
  MAX_SEGMENT_SIZE,
  TAG_LENGTH,
  frameRange,
  parseHeader,
  sealedLayout,
  sealedLength,
  type SealedHeader,
  type SealedLayout,
} from "./format.js";
export { gcmOpen, gcmSeal, segmentNonce } from "./segment.js";
