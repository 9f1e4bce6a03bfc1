/**
 * What a sealed-stream reader makes of each frame (docs/FORMAT.md, "Reading a stream"): where the
 * frame stands in the input, which final flag it must open with there, and what it means when it
 * opens with the other flag or with neither. Pure and error-agnostic, so the streaming and the
 * random-access readers (stream.ts, random-access.ts) report alike.
 */
import type { SealedLayout } from "./format.js";

/** Each reader's own errors: crypto/errors.ts on the node, SdkError in the SDK. */
export interface SealedErrors {
  invalidArgument(message: string): Error;
  truncated(message?: string): Error;
  malformed(message: string): Error;
  trailing(): Error;
  segment(index: number): Error;
}

/**
 * Where a frame stands:
 * - "inner": more bytes follow it (in a stream), or more frames (at a known length): it must be
 *   non-final; if it is an authentic final frame, what follows is trailing data.
 * - "last": nothing follows it: it must be final; if it is an authentic non-final frame (of any
 *   length), the stream was cut after it.
 * - "cut" (known length only): only a stub follows it, too short to be a final frame, so the
 *   stream ends early whatever this frame is; an authentic final frame makes the stub trailing data.
 */
export type FramePosition = "inner" | "last" | "cut";

/** The position of segment `index` in a stream of known length. */
export function framePosition(layout: SealedLayout, index: number): FramePosition {
  if (index < layout.segmentCount - 1) return "inner";
  return layout.stubLength > 0 ? "cut" : "last";
}

/** The final flag to try first at `position`: the one a valid stream has there. */
export function expectedFinal(position: FramePosition): boolean {
  return position !== "inner";
}

/**
 * The verdict on a frame at `position`: undefined to release its plaintext, else the error to
 * throw. `final` is the flag it authenticated with, undefined when it authenticated with neither.
 */
export function frameVerdict(position: FramePosition, index: number, final: boolean | undefined, errors: SealedErrors): Error | undefined {
  if (final === undefined) return errors.segment(index);
  if (final) return position === "last" ? undefined : errors.trailing();
  return position === "inner" ? undefined : errors.truncated();
}
