/**
 * `modelvault publish DIR`: what a directory model is made of, read from disk. The walk finds
 * the regular files under DIR (relative "/" paths in Unicode NFC, sorted bytewise by UTF-8),
 * skips `.git`, follows a symbolic link only to a regular file inside DIR, and checks every path
 * with the model path rules before a byte is sent. The upload is a tar stream built as it is
 * sent (tar-stream pack): one file open at a time, each file's size fixed by the walk, so a file
 * that changes while it is read fails the publish instead of publishing other bytes.
 */
import { createHash } from "node:crypto";
import { createReadStream, type Stats } from "node:fs";
import { lstat, readdir, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import { Readable } from "node:stream";
import { pack as tarPack, type Pack } from "tar-stream";
import { InvalidArgumentError } from "../../crypto/index.js";
import { checkModelPaths, InvalidPathError, MAX_DIRECTORY_FILES } from "../../crypto/directory.js";
import { NodeError } from "../errors.js";
import { UsageError } from "./usage-error.js";

/** Names never published: a repository's own history is not part of the model. */
const SKIPPED_NAMES = new Set([".git"]);

export interface WalkedFile {
  /** The model path: relative to DIR, "/"-separated, NFC. */
  path: string;
  /** Where its bytes are read (a followed link's target). */
  absolute: string;
  size: number;
  mtime: Date;
}

export interface DirectoryWalk {
  files: WalkedFile[];
  /** Relative paths left out (`.git`). */
  skipped: string[];
  totalBytes: number;
}

/** A file whose size is not what the walk saw: it changed while being published. */
export class FileChangedError extends NodeError {
  constructor(path: string, expected: number, read: string) {
    super("FILE_CHANGED", `${JSON.stringify(path)} changed while it was being published (${expected} bytes when listed, ${read} now): nothing was published`);
  }
}

const utf8Order = (a: WalkedFile, b: WalkedFile) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path));

/** Whether `target` (a real path) is inside `root` (a real path). */
function inside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
}

/** The file a symbolic link names, if it is a regular file inside the root; a UsageError otherwise. */
async function linkTarget(root: string, absolute: string, shown: string): Promise<{ target: string; info: Stats }> {
  let target: string;
  try {
    target = await realpath(absolute);
  } catch {
    throw new UsageError(`${shown} is a symbolic link to nothing (a broken link): remove it or replace it with the file`);
  }
  if (!inside(root, target)) {
    throw new UsageError(`${shown} is a symbolic link to ${target}, outside the model directory: only links to files inside it are followed`);
  }
  const info = await stat(target);
  if (!info.isFile()) throw new UsageError(`${shown} is a symbolic link to something that is not a regular file: only links to files are followed`);
  return { target, info };
}

/**
 * Lists the model's files under `dir`. Throws UsageError for what cannot be published (links
 * out of DIR, sockets, FIFOs, devices, no file at all) and InvalidPathError for paths the model
 * rules refuse or that clash (case, Unicode normalization), before anything is uploaded.
 */
export async function walkModelDirectory(dir: string): Promise<DirectoryWalk> {
  const root = await realpath(dir);
  const files: WalkedFile[] = [];
  const skipped: string[] = [];
  const byNfc = new Map<string, string>(); // NFC path -> the name on disk

  async function visit(absoluteDir: string, prefix: string): Promise<void> {
    const entries = await readdir(absoluteDir, { withFileTypes: true });
    for (const entry of entries) {
      const onDisk = prefix + entry.name;
      const absolute = join(absoluteDir, entry.name);
      const shown = JSON.stringify(onDisk);
      if (SKIPPED_NAMES.has(entry.name)) {
        skipped.push(onDisk);
        continue;
      }
      if (entry.isDirectory()) {
        await visit(absolute, `${onDisk}/`);
        continue;
      }
      let info: Stats;
      let source = absolute;
      if (entry.isSymbolicLink()) ({ target: source, info } = await linkTarget(root, absolute, shown));
      else if (entry.isFile()) info = await lstat(absolute);
      else throw new UsageError(`${shown} is not a regular file (a socket, FIFO or device): a model directory holds files only`);

      const path = onDisk.normalize("NFC");
      const other = byNfc.get(path);
      if (other !== undefined) throw new InvalidPathError(onDisk, `clashes with ${JSON.stringify(other)} (the same name after Unicode normalization)`);
      byNfc.set(path, onDisk);
      files.push({ path, absolute: source, size: info.size, mtime: info.mtime });
      if (files.length > MAX_DIRECTORY_FILES) throw new InvalidArgumentError(`a directory model holds at most ${MAX_DIRECTORY_FILES} files; ${dir} has more`);
    }
  }

  await visit(root, "");
  if (files.length === 0) throw new UsageError(`${dir} holds no file to publish`);
  files.sort(utf8Order);
  checkModelPaths(files.map((f) => f.path)); // bad names, case clashes, a file where a directory is needed
  return { files, skipped: skipped.sort(), totalBytes: files.reduce((n, f) => n + f.size, 0) };
}

/**
 * sha256 over every path, size and file's bytes, and the parameters that shape the publish:
 * the Idempotency-Key of a registering publish, so the same command run again after a crash or
 * a lost answer returns the registered model, never a second one.
 */
export async function directoryIdempotencyKey(walk: DirectoryWalk, parameters: unknown): Promise<string> {
  const hash = createHash("sha256").update("modelvault publish directory v1\n");
  for (const file of walk.files) {
    const fileHash = createHash("sha256");
    for await (const chunk of createReadStream(file.absolute, { highWaterMark: 1 << 20 })) fileHash.update(chunk as Buffer);
    hash.update(`${JSON.stringify(file.path)} ${file.size} ${fileHash.digest("hex")}\n`);
  }
  hash.update(JSON.stringify(parameters));
  return `publish-dir-v1-${hash.digest("hex")}`;
}

export interface TarUpload {
  /** The archive, produced as it is read. */
  body: Readable;
  /** Why producing it failed (a file changed or could not be read); undefined otherwise. */
  failure(): Error | undefined;
}

type Sink = ReturnType<Pack["entry"]>;

/** Resolves once `sink` takes more, or is gone. */
function writable(sink: Sink): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      sink.off("drain", done);
      sink.off("close", done);
      resolve();
    };
    sink.on("drain", done);
    sink.on("close", done);
  });
}

/** One file into the archive, read in chunks; its size must be what the walk saw. */
async function addFile(archive: Pack, file: WalkedFile, onBytes: (n: number) => void): Promise<void> {
  let sink!: Sink;
  const written = new Promise<void>((resolve, reject) => {
    sink = archive.entry({ name: file.path, size: file.size, type: "file", mode: 0o644, mtime: file.mtime }, (error) => (error ? reject(error) : resolve()));
  });
  written.catch(() => {}); // awaited below unless reading failed first
  sink.on("error", () => {}); // reported through `written` and the pack instead
  let read = 0;
  const input = createReadStream(file.absolute, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      read += chunk.length;
      if (read > file.size) throw new FileChangedError(file.path, file.size, `at least ${read}`);
      if (sink.destroyed) break;
      if (!sink.write(chunk)) await writable(sink);
      onBytes(chunk.length);
    }
  } catch (error) {
    sink.destroy(error as Error);
    throw error;
  } finally {
    input.destroy();
  }
  if (!sink.destroyed) {
    if (read !== file.size) {
      const error = new FileChangedError(file.path, file.size, String(read));
      sink.destroy(error);
      throw error;
    }
    sink.end(undefined);
  }
  await written;
}

/** The tar archive of `walk`, one file after the other; `onBytes` counts file bytes as they go out. */
export function tarUpload(walk: DirectoryWalk, onBytes: (done: number, file: string) => void): TarUpload {
  const archive = tarPack();
  let failure: Error | undefined;
  let done = 0;
  void (async () => {
    try {
      for (const file of walk.files) {
        if (archive.destroyed) return;
        await addFile(archive, file, (n) => onBytes((done += n), file.path));
      }
      archive.finalize();
    } catch (error) {
      // The reader went away (the request failed or finished): not a failure of ours.
      if (archive.destroyed && !(error instanceof FileChangedError) && (error as NodeJS.ErrnoException).syscall === undefined) return;
      failure = error as Error;
      archive.destroy(failure);
    }
  })();
  const body = Readable.from(archive as AsyncIterable<Buffer>, { objectMode: false });
  return { body, failure: () => failure };
}
