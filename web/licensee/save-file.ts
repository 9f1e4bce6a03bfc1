/**
 * Where a decrypted file goes: streamed to disk through the File System Access API
 * (showSaveFilePicker -> createWritable), each verified chunk written as it comes, so memory holds
 * about one segment whatever the model's size. Without that API, a bounded fallback: the file is
 * assembled in memory and offered as a download, only up to MEMORY_FALLBACK_LIMIT bytes.
 */

/** The largest file the in-memory fallback assembles (a browser tab's memory is the limit). */
export const MEMORY_FALLBACK_LIMIT = 512 * 1024 * 1024;

import { AppError } from "../messages.js";

/** The part of the File System Access API the app uses (not in TypeScript's DOM lib yet). */
interface SaveFilePicker {
  showSaveFilePicker?: (options: { suggestedName?: string }) => Promise<FileSystemFileHandle>;
  showDirectoryPicker?: (options: { mode?: "readwrite" }) => Promise<FileSystemDirectoryHandle>;
}

const picker = (): SaveFilePicker => window as unknown as SaveFilePicker;

export function canStreamToDisk(): boolean {
  return typeof picker().showSaveFilePicker === "function";
}

export function canPickDirectory(): boolean {
  return typeof picker().showDirectoryPicker === "function";
}

/** A place to write one file to; `abort` discards what was written (nothing half-saved remains). */
export interface SaveTarget {
  /** "disk": streamed through the File System Access API; "memory": the bounded fallback. */
  kind: "disk" | "memory";
  writable: WritableStream<Uint8Array>;
  /** After the stream closed: the memory fallback's download link (disk: nothing to do). */
  finish(): HTMLAnchorElement | undefined;
}

/** Asks where to save `name` (a user gesture must precede this call for the real picker). */
export async function chooseSaveTarget(name: string, size: number): Promise<SaveTarget> {
  const showSaveFilePicker = picker().showSaveFilePicker;
  if (showSaveFilePicker !== undefined) {
    let handle: FileSystemFileHandle;
    try {
      handle = await showSaveFilePicker.call(window, { suggestedName: name });
    } catch (error) {
      if ((error as Error | null)?.name === "AbortError") throw new AppError("SAVE_CANCELLED");
      throw error;
    }
    return { kind: "disk", writable: await handle.createWritable(), finish: () => undefined };
  }
  return memoryTarget(name, size);
}

/** A file of a directory model, under a folder the user picked (the folder handle is reused). */
export async function fileInDirectory(directory: FileSystemDirectoryHandle, path: string): Promise<SaveTarget> {
  const parts = path.split("/");
  let folder = directory;
  for (const part of parts.slice(0, -1)) folder = await folder.getDirectoryHandle(part, { create: true });
  const handle = await folder.getFileHandle(parts.at(-1)!, { create: true });
  return { kind: "disk", writable: await handle.createWritable(), finish: () => undefined };
}

export async function chooseDirectory(): Promise<FileSystemDirectoryHandle> {
  try {
    return await picker().showDirectoryPicker!.call(window, { mode: "readwrite" });
  } catch (error) {
    if ((error as Error | null)?.name === "AbortError") throw new AppError("SAVE_CANCELLED");
    throw error;
  }
}

function memoryTarget(name: string, size: number): SaveTarget {
  if (size > MEMORY_FALLBACK_LIMIT) {
    throw new AppError("TOO_LARGE_FOR_MEMORY", `This browser cannot stream to disk (no File System Access API), and the file is larger than the ${MEMORY_FALLBACK_LIMIT / 2 ** 20} MiB it may assemble in memory. Open it in a Chromium-based browser, or with the modelvault CLI.`);
  }
  const parts: Uint8Array[] = [];
  let blob: Blob | undefined;
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      parts.push(chunk);
    },
    close() {
      blob = new Blob(parts as BlobPart[], { type: "application/octet-stream" });
      parts.length = 0;
    },
    abort() {
      parts.length = 0;
    },
  });
  return {
    kind: "memory",
    writable,
    finish() {
      if (blob === undefined) return undefined;
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = name.split("/").at(-1) ?? "model.bin";
      link.textContent = `Download ${link.download}`;
      link.dataset.download = "";
      return link;
    },
  };
}
