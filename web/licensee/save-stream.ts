/**
 * One file of an opened model, from the node to where the user saves it: the SDK's verified
 * plaintext stream piped into a SaveTarget, with progress (bytes, MB/s) and cancel. Nothing of a
 * segment that failed authentication is written, and a failed or cancelled save is discarded.
 */
import type { ModelvaultClient } from "../../sdk/index.js";
import { formatBytes } from "../ui/format.js";
import type { ProgressBar } from "../ui/progress.js";
import type { SaveTarget } from "./save-file.js";

export interface SavedFile {
  bytes: number;
  seconds: number;
  mbPerSecond: number;
}

export function rateLabel(done: number, total: number, seconds: number): string {
  const rate = seconds > 0 ? done / 1e6 / seconds : 0;
  return `${formatBytes(done)} of ${formatBytes(total)} · ${rate.toFixed(1)} MB/s`;
}

export async function saveStream(params: {
  sdk: ModelvaultClient;
  manifestCid: string;
  key: Uint8Array;
  file?: string;
  total: number;
  target: SaveTarget;
  progress: ProgressBar;
  signal: AbortSignal;
}): Promise<SavedFile> {
  const { sdk, manifestCid, key, file, total, target, progress, signal } = params;
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  let done = 0;
  let stream: ReadableStream<Uint8Array>;
  try {
    ({ stream } = await sdk.fetchModelStream(manifestCid, key, {
      signal,
      ...(file === undefined ? {} : { file }),
      onProgress: ({ plaintextBytes }) => {
        done = plaintextBytes;
        progress.update(done, total, rateLabel(done, total, elapsed()));
      },
    }));
  } catch (error) {
    await target.writable.abort(error).catch(() => undefined);
    throw error;
  }
  // pipeTo aborts the writable on a stream error or on `signal`: the partial file is discarded.
  await stream.pipeTo(target.writable, { signal });
  const seconds = elapsed();
  progress.update(total, total, rateLabel(total, total, seconds));
  return { bytes: done, seconds, mbPerSecond: seconds > 0 ? done / 1e6 / seconds : 0 };
}
