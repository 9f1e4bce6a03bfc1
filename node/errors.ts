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
