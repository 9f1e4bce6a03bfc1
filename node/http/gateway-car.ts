/**
 * A CAR v1 stream (@helia/car over @ipld/car's CarWriter) that a client may abandon at any point.
 *
 * car().export() runs its walk (`_export`) as a detached promise that writes into a CarWriter,
 * and CarWriter.put() resolves only once its bytes have been read from the writer's output.
 * A consumer that simply stops reading (return() on the export generator) leaves `_export`
 * awaiting put() forever, holding its walk. So when our consumer leaves early we abort the
 * walk's signal and keep reading the export (discarding the bytes) until it ends: the pending
 * put() resolves, the walk meets the aborted signal at its next block and throws, `_export`
 * rejects into car()'s own catch, and the export generator ends with that error, which we drop.
 */
import { car, type CarComponents, type ExportStrategy, type TraversalStrategy } from "@helia/car";
import type { CID } from "multiformats/cid";

let inFlight = 0;

/**
 * CAR exports whose car().export() generator has not ended yet. That generator ends (done, or
 * the walk's error) only once `_export` has settled, so an export left stuck stays counted.
 */
export function carExportsInFlight(): number {
  return inFlight;
}

/** Exact set of the blocks already written, for dups=n (a probabilistic filter could drop a block). */
class SeenBlocks {
  readonly #seen = new Set<string>();
  #key(item: Uint8Array | string): string {
    return typeof item === "string" ? item : Buffer.from(item.buffer, item.byteOffset, item.byteLength).toString("latin1");
  }
  add(item: Uint8Array | string): void {
    this.#seen.add(this.#key(item));
  }
  has(item: Uint8Array | string): boolean {
    return this.#seen.has(this.#key(item));
  }
}

export interface CarStreamOptions {
  exporter: ExportStrategy;
  traversal?: TraversalStrategy | undefined;
  /** "n": each block once; "y": at every occurrence in the walk. */
  dups: "y" | "n";
  /** Aborts the walk (the client went away). */
  signal: AbortSignal;
}

/** The CAR bytes of `root`'s export; ending early (return or throw) winds the export down first. */
export async function* carStream(components: CarComponents, root: CID, options: CarStreamOptions): AsyncGenerator<Uint8Array, void, undefined> {
  const stop = new AbortController();
  const out = car(components).export(root, {
    exporter: options.exporter,
    traversal: options.traversal,
    blockFilter: options.dups === "n" ? new SeenBlocks() : undefined,
    signal: AbortSignal.any([options.signal, stop.signal]),
  });
  inFlight++;
  let settled = false;
  const settle = () => {
    if (!settled) inFlight--;
    settled = true;
  };
  /** The export's next chunk; settles on its end or its error (then `_export` has settled). */
  const next = async (): Promise<IteratorResult<Uint8Array, void>> => {
    try {
      const result = await out.next();
      if (result.done === true) settle();
      return result;
    } catch (error) {
      settle();
      throw error;
    }
  };
  try {
    for (let chunk = await next(); chunk.done !== true; chunk = await next()) yield chunk.value;
  } finally {
    if (!settled) {
      stop.abort(new Error("the CAR consumer went away"));
      try {
        while ((await next()).done !== true) {
          // discard: only unblocking the writer
        }
      } catch {
        // the abort we asked for
      }
    }
  }
}
