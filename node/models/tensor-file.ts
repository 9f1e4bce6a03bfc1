/**
 * Writes a safetensors file holding some tensors of a sealed model: the header made here (the
 * tensors back to back in the order given, the source files' __metadata__ kept), then each
 * tensor's bytes decrypted from only the segments that cover it, read in parallel. The file
 * appears (by rename of `<path>.partial`) only once every segment authenticated.
 */
import { createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ParallelReadOptions } from "../../crypto/index.js";
import { encodeSafetensorsHeader } from "../../zkp/safetensors.js";
import { ContentMismatchError, OutputExistsError, OutputIsADirectoryError } from "../errors.js";
import type { OpenedSafetensors, TensorInfo } from "./tensor-listing.js";

export interface TensorWriteProgress {
  /** Tensor bytes written so far, of `totalBytes`. */
  bytes: number;
  totalBytes: number;
  /** The source file being read (null for a one-file model). */
  file: string | null;
}

export interface TensorWriteOptions extends ParallelReadOptions {
  /** Overwrite an existing file. */
  force?: boolean;
  onProgress?: (progress: TensorWriteProgress) => void;
}

/** Refuses a directory, and an existing file without `force`, before anything is read. */
export async function checkTensorOutput(path: string, force = false): Promise<void> {
  const what = "the tensors are written to one safetensors file: name it";
  if (path.endsWith("/")) throw new OutputIsADirectoryError(path, what);
  const existing = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (existing?.isDirectory()) throw new OutputIsADirectoryError(path, what);
  if (existing !== undefined && !force) throw new OutputExistsError([path]);
}

/** `tensors` must come from `opened` and be in listing order (file, then offset). Returns the file's size. */
export async function writeTensorsFile(path: string, opened: readonly OpenedSafetensors[], tensors: readonly TensorInfo[], options: TensorWriteOptions = {}): Promise<number> {
  await checkTensorOutput(path, options.force);
  const groups = opened
    .map((o) => ({ o, tensors: tensors.filter((t) => t.file === o.info.path) }))
    .filter((g) => g.tensors.length > 0);
  const metadata: Record<string, string> = {};
  for (const { o } of groups) for (const [k, v] of Object.entries(o.info.metadata)) if (!Object.hasOwn(metadata, k)) metadata[k] = v;
  const ordered = groups.flatMap((g) => g.tensors);
  const { header, dataLength } = encodeSafetensorsHeader(ordered, metadata);
  let written = 0;
  async function* body(): AsyncGenerator<Uint8Array> {
    yield header;
    for (const { o, tensors: group } of groups) {
      for await (const { bytes } of o.reader.ranges(group, options)) {
        written += bytes.length;
        options.onProgress?.({ bytes: written, totalBytes: dataLength, file: o.info.path });
        yield bytes;
      }
    }
    if (written !== dataLength) throw new ContentMismatchError(`wrote ${written} tensor bytes, the headers say ${dataLength}`);
  }
  const temp = `${path}.partial`;
  try {
    await pipeline(Readable.from(body(), { objectMode: false }), createWriteStream(temp, { mode: 0o600 }));
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return header.length + dataLength;
}
