/**
 * Directory models (manifest format 2): the rules a file path must follow, and the per-file key
 * each file is sealed under, derived from the version's content key with the path bound in.
 * No Node built-ins: the SDK uses this module in browsers. docs/FORMAT.md is the spec.
 */
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { InvalidArgumentError, ModelvaultCryptoError } from "./errors.js";

/** Most files one directory model may hold (its manifest stays well under a 2 MiB block). */
export const MAX_DIRECTORY_FILES = 4096;
/** Longest path, and longest path component, in UTF-8 bytes. */
export const MAX_PATH_BYTES = 1024;
export const MAX_NAME_BYTES = 255;

/** A path that a directory model may not hold, or two that clash; `path` is the offending one. */
export class InvalidPathError extends ModelvaultCryptoError {
  readonly path: string;
  constructor(path: string, reason: string) {
    super("INVALID_PATH", `${JSON.stringify(path.slice(0, 200))}: ${reason}`);
    this.path = path;
  }
}

const encoder = new TextEncoder();
// C0 and C1 controls, DEL, and the characters Windows refuses in names (so a fetch can write
// every path on every common filesystem).
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\\:*?"<>|]/u;

/**
 * Checks one path: relative, "/"-separated, NFC-normalized, no empty, "." or ".." component, no
 * control or Windows-reserved character, no component ending in "." or " ", lengths within bounds.
 * Returns the path unchanged; throws InvalidPathError naming what is wrong.
 */
export function checkModelPath(path: string): string {
  if (typeof path !== "string" || path.length === 0) throw new InvalidPathError(String(path), "empty path");
  if (path.normalize("NFC") !== path) throw new InvalidPathError(path, "not in Unicode NFC form");
  if (encoder.encode(path).length > MAX_PATH_BYTES) throw new InvalidPathError(path, `longer than ${MAX_PATH_BYTES} bytes`);
  if (path.startsWith("/")) throw new InvalidPathError(path, "absolute path (paths are relative to the model's root)");
  const match = FORBIDDEN.exec(path);
  if (match !== null) throw new InvalidPathError(path, `contains ${JSON.stringify(match[0])} (control characters, \\ : * ? " < > | are not allowed)`);
  for (const name of path.split("/")) {
    if (name === "") throw new InvalidPathError(path, "empty path component (a leading, doubled or trailing /)");
    if (name === "." || name === "..") throw new InvalidPathError(path, `"${name}" component`);
    if (name.endsWith(".") || name.endsWith(" ")) throw new InvalidPathError(path, "a component ends in a dot or a space");
    if (encoder.encode(name).length > MAX_NAME_BYTES) throw new InvalidPathError(path, `a component is longer than ${MAX_NAME_BYTES} bytes`);
  }
  return path;
}

/** The form two paths must not share: they would be one file on a case-insensitive filesystem. */
const foldedPath = (path: string) => path.normalize("NFC").toLowerCase();

/**
 * The paths of one directory model, checked as they are added (a publish adds them as files
 * arrive): each valid, at most MAX_DIRECTORY_FILES, none equal to another after case folding,
 * and no file where another path needs a directory ("a" and "a/b"). Each add costs the path's
 * depth, not the number of paths before it.
 */
export class ModelPathSet {
  /** Folded path -> the path as given. */
  readonly #files = new Map<string, string>();
  /** Folded directory -> the first path under it. */
  readonly #directories = new Map<string, string>();

  get size(): number {
    return this.#files.size;
  }

  /** Adds `path`; returns it unchanged, or throws InvalidPathError (InvalidArgumentError past the limit). */
  add(path: string): string {
    checkModelPath(path);
    if (this.#files.size >= MAX_DIRECTORY_FILES) throw new InvalidArgumentError(`a directory model holds at most ${MAX_DIRECTORY_FILES} files`);
    const folded = foldedPath(path);
    const other = this.#files.get(folded);
    if (other !== undefined) throw new InvalidPathError(path, other === path ? "listed twice" : `clashes with ${JSON.stringify(other)} (same name ignoring case)`);
    const inside = this.#directories.get(folded);
    if (inside !== undefined) throw new InvalidPathError(inside, `is inside ${JSON.stringify(path)}, which is a file`);
    const parts = folded.split("/");
    for (let i = 1; i < parts.length; i++) {
      const parent = this.#files.get(parts.slice(0, i).join("/"));
      if (parent !== undefined) throw new InvalidPathError(path, `is inside ${JSON.stringify(parent)}, which is a file`);
    }
    for (let i = 1; i < parts.length; i++) {
      const directory = parts.slice(0, i).join("/");
      if (!this.#directories.has(directory)) this.#directories.set(directory, path);
    }
    this.#files.set(folded, path);
    return path;
  }
}

/** Checks a directory's paths all at once: the rules of ModelPathSet. */
export function checkModelPaths(paths: readonly string[]): void {
  if (paths.length > MAX_DIRECTORY_FILES) throw new InvalidArgumentError(`a directory model holds at most ${MAX_DIRECTORY_FILES} files, not ${paths.length}`);
  const set = new ModelPathSet();
  for (const path of paths) set.add(path);
}

/**
 * The key file `path` of a directory model is sealed under:
 * HKDF-SHA256(ikm = content key, salt = empty, info = "modelvault/v1/file-key/" ‖ UTF-8(path)), 32 bytes.
 * Binding the path means a sealed file moved to another path does not open there.
 */
export function fileKey(contentKey: Uint8Array, path: string): Uint8Array {
  if (!(contentKey instanceof Uint8Array) || contentKey.length !== 32) throw new InvalidArgumentError("content key must be 32 bytes");
  checkModelPath(path);
  return hkdf(sha256, contentKey, new Uint8Array(0), encoder.encode(`modelvault/v1/file-key/${path}`), 32);
}
