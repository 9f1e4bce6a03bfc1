/**
 * A directory model uploaded as a tar archive (POST /v1/models, Content-Type: application/x-tar).
 * The archive is parsed as it streams in (tar-stream): each regular file becomes one
 * DirectoryEntry whose bytes are the entry's own stream, so the node holds no more than a few
 * chunks whatever the sizes. publishDirectory consumes the entries one after the other; an entry
 * is drained before the next header is read, and a failure anywhere (a bad entry, the body
 * limit, the client going away) destroys the parser and reaches the consumer.
 */
import { extract as tarExtract, type Extract } from "tar-stream";
import { ModelvaultCryptoError } from "../../crypto/index.js";
import { checkModelPath, InvalidPathError, MAX_DIRECTORY_FILES } from "../../crypto/directory.js";
import { NodeError } from "../errors.js";
import type { DirectoryEntry } from "../models/publish-directory.js";
import { ApiError } from "./errors.js";

/** One entry of the archive: its header and a readable of its bytes. */
type Entry = Extract extends AsyncIterable<infer E> ? E : never;

export const TAR_CONTENT_TYPE = "application/x-tar";

/** Entry types that are file content; directories are skipped; anything else is refused. */
const FILE_TYPES = new Set(["file", "contiguous-file"]);

const quoted = (name: string) => JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}…` : name);

/** An archive that tar-stream could not read (bad checksum, unknown format, cut short). */
function invalidTar(error: unknown): Error {
  if (error instanceof NodeError || error instanceof ModelvaultCryptoError) return error;
  const reason = error instanceof Error ? error.message.slice(0, 200) : "unreadable";
  return new ApiError(400, "INVALID_TAR", `the body is not a valid tar archive: ${reason}`, { cause: error });
}

/**
 * The model path of an entry name: one leading "./" dropped (what `tar -C DIR -cf - .` writes),
 * Unicode NFC (names written on macOS arrive decomposed), then the model path rules.
 */
function modelPathOf(name: string): string {
  return checkModelPath((name.startsWith("./") ? name.slice(2) : name).normalize("NFC"));
}

/** Resolves when `stream` may take more (drain), or is gone (close). */
function writable(stream: Extract): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}

/** Reads an entry to its end (a directory, or what a consumer left). */
async function drain(entry: Entry): Promise<void> {
  for await (const _ of entry) {
    // discarded
  }
}

/**
 * The regular files of the tar archive `body`, in archive order. Refuses (400): links, devices
 * and FIFOs (UNSUPPORTED_TAR_ENTRY), bad or clashing paths (INVALID_PATH), more than
 * MAX_DIRECTORY_FILES files (TOO_MANY_FILES), a malformed archive (INVALID_TAR), and an archive
 * without a file (EMPTY_BODY). Errors of `body` itself (e.g. 413 from the body limit) pass as they are.
 */
export async function* tarEntries(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<DirectoryEntry, void, undefined> {
  const extract = tarExtract();
  let failure: unknown; // of the body: wins over what the parser makes of it

  const feeding = (async () => {
    for await (const chunk of body) {
      if (extract.destroyed) return;
      if (!extract.write(chunk)) await writable(extract);
    }
    extract.end(undefined);
  })().catch((error: unknown) => {
    failure = error;
    extract.destroy(error as Error);
  });

  async function* bytesOf(entry: Entry): AsyncGenerator<Uint8Array, void, undefined> {
    try {
      for await (const chunk of entry) yield chunk as Uint8Array;
    } catch (error) {
      throw failure ?? invalidTar(error);
    }
  }

  const entries = extract[Symbol.asyncIterator]();
  const seen = new Map<string, string>(); // case-folded path -> the name it came from
  let files = 0;
  let finished = false;
  try {
    for (;;) {
      let next: IteratorResult<Entry>;
      try {
        next = await entries.next();
      } catch (error) {
        throw failure ?? invalidTar(error);
      }
      if (next.done) break;
      const entry = next.value;
      const { name, type } = entry.header;
      if (type === "directory") {
        await drain(entry);
        continue;
      }
      if (type == null || !FILE_TYPES.has(type)) {
        const what = type === "link" ? "a hard link" : type === "symlink" ? "a symbolic link" : type == null ? "of an unknown type" : `a ${type}`;
        throw new ApiError(400, "UNSUPPORTED_TAR_ENTRY", `tar entry ${quoted(name)} is ${what}: a directory model holds regular files only`);
      }
      if (++files > MAX_DIRECTORY_FILES) {
        throw new ApiError(400, "TOO_MANY_FILES", `a directory model holds at most ${MAX_DIRECTORY_FILES} files; the archive has more`);
      }
      const path = modelPathOf(name);
      const folded = path.toLowerCase();
      const other = seen.get(folded);
      if (other !== undefined) {
        const why = other === name ? "is in the archive twice" : `clashes with ${quoted(other)} (the same path after Unicode normalization and case folding)`;
        throw new InvalidPathError(name, why);
      }
      seen.set(folded, name);
      yield { path, source: bytesOf(entry) };
      await drain(entry); // normally consumed already; the next header comes only after it
    }
    await feeding;
    if (failure !== undefined) throw failure;
    if (files === 0) throw new ApiError(400, "EMPTY_BODY", "the archive holds no file");
    finished = true;
  } finally {
    // Refused, failed or abandoned: stop parsing; the feeder stops at its next chunk.
    if (!finished) extract.destroy();
  }
}
