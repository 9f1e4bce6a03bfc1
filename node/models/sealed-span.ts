/**
 * A model's sealed bytes as one stream, the one its storage tree is built over: format 1 its
 * sealed file, format 2 its sealed files concatenated in manifest order. Byte ranges of it map
 * to ranges of the files, read through a FetchSession (local or from any source).
 */
import { isDirectoryManifest, type Manifest } from "../../crypto/manifest-schema.js";
import type { FetchSession } from "../storage/block-fetcher.js";
import { readContent } from "../storage/content-reader.js";

/** Yields bytes [start, end) of the model's sealed stream. */
export async function* readSealedSpan(session: FetchSession, manifest: Manifest, start: number, end: number, signal: AbortSignal): AsyncGenerator<Uint8Array, void, undefined> {
  const files = isDirectoryManifest(manifest) ? manifest.files : [{ cid: manifest.content, sealedSize: manifest.sealedSize }];
  let offset = 0;
  for (const file of files) {
    const from = Math.max(start, offset);
    const to = Math.min(end, offset + file.sealedSize);
    if (from < to) yield* readContent(session, file.cid, { offset: from - offset, length: to - from, signal });
    offset += file.sealedSize;
    if (offset >= end) return;
  }
}
