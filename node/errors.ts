/** Typed errors of the node layer, each with a stable code (also used by the HTTP API). */
export class NodeError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** No local block and no peer delivered it before the deadline. */
export class ContentNotFoundError extends NodeError {
  readonly cid: string;
  constructor(cid: string, timeoutMs: number, options?: ErrorOptions) {
    super("CONTENT_NOT_FOUND", `no peer provided ${cid} within ${timeoutMs} ms`, options);
    this.cid = cid;
  }
}

/** A transfer that had started stopped before its end (the node's sources went quiet, or the node went away). */
export class ContentInterruptedError extends NodeError {
  constructor(cid: string, received: number, total: number, options?: ErrorOptions) {
    super(
      "CONTENT_INTERRUPTED",
      `the node stopped sending ${cid} after ${received} of ${total} bytes: no source sent data within its idle timeout, or the node went away`,
      options,
    );
  }
}

/** An offline read met a block that is not in the local blockstore. */
export class BlockNotLocalError extends NodeError {
  readonly cid: string;
  constructor(cid: string) {
    super("NOT_FOUND", `${cid} is not in the local blockstore`);
    this.cid = cid;
  }
}

/** A manifest is malformed, of an unknown version, or its signature does not hold. */
export class InvalidManifestError extends NodeError {
  constructor(message: string, options?: ErrorOptions) {
    super("INVALID_MANIFEST", message, options);
  }
}

/** The CID is not a UnixFS file: another codec (a manifest, say), or a directory. */
export class NotAFileError extends NodeError {
  constructor(message: string) {
    super("NOT_A_FILE", message);
  }
}

/** The fetched content does not match what the manifest says (size, layout, key). */
export class ContentMismatchError extends NodeError {
  constructor(message: string) {
    super("CONTENT_MISMATCH", message);
  }
}

/** Configuration is invalid. */
export class ConfigError extends NodeError {
  constructor(message: string) {
    super("CONFIG_INVALID", message);
  }
}

/**
 * A fetch cannot write its output as asked (`-o`, `--include`/`--exclude`, `--force`). Always
 * found before any content is requested, except a path made unsafe while the fetch runs.
 */
export class OutputError extends NodeError {
  /** The offending path (the output, or a file inside it). */
  readonly path: string;
  constructor(code: string, path: string, message: string) {
    super(code, message);
    this.path = path;
  }
}

/** Files (or a one-file output) exist and --force was not given. `paths` lists them (at most 20). */
export class OutputExistsError extends OutputError {
  readonly paths: readonly string[];
  constructor(paths: readonly string[], total = paths.length) {
    const more = total > paths.length ? ` and ${total - paths.length} more` : "";
    super("OUTPUT_EXISTS", paths[0] ?? "", `${paths.map((p) => JSON.stringify(p)).join(", ")}${more} already exist${total === 1 ? "s" : ""}: pass --force (force: true) to overwrite`);
    this.paths = paths;
  }
}

/** A directory model's output (or a directory it needs inside it) is something other than a directory. */
export class OutputNotADirectoryError extends OutputError {
  constructor(path: string, what = "a directory model is written to a directory") {
    super("OUTPUT_NOT_A_DIRECTORY", path, `${JSON.stringify(path)} exists and is not a directory (${what})`);
  }
}

/** A one-file model's output names a directory (or ends in "/"), or a file's target is a directory. */
export class OutputIsADirectoryError extends OutputError {
  constructor(path: string, what = "a one-file model is written to a file: name the file") {
    super("OUTPUT_IS_A_DIRECTORY", path, `${JSON.stringify(path)} is a directory (${what})`);
  }
}

/** A one-file model's output is in a directory that does not exist. */
export class OutputParentMissingError extends OutputError {
  constructor(path: string, parent: string) {
    super("OUTPUT_PARENT_MISSING", path, `cannot write ${JSON.stringify(path)}: ${JSON.stringify(parent)} is not an existing directory`);
  }
}

/** Writing a path would leave the output directory, or go through a symbolic link (or onto a special file) inside it. */
export class UnsafeOutputPathError extends OutputError {
  constructor(path: string, reason: string) {
    super("OUTPUT_UNSAFE_PATH", path, `refusing to write ${JSON.stringify(path)}: ${reason}`);
  }
}

/** --include/--exclude left no file of the directory model, or a pattern is empty. `paths` lists the model's files. */
export class NoFilesSelectedError extends OutputError {
  readonly paths: readonly string[];
  constructor(message: string, paths: readonly string[]) {
    const shown = paths.slice(0, 50).join(", ");
    super("NO_FILES_SELECTED", "", `${message}; the model's files: ${shown}${paths.length > 50 ? `, and ${paths.length - 50} more` : ""}`);
    this.paths = paths;
  }
}

/** A directory read (fetchDirectory) of a one-file model. */
export class NotADirectoryModelError extends NodeError {
  constructor(message: string) {
    super("NOT_A_DIRECTORY", message);
  }
}
