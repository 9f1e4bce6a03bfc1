/**
 * Fetch: manifest CID -> signed manifest checked (signer = owner, or the owner the chain
 * names) -> key checked against the manifest's commitment -> content leaf by leaf from the
 * local blockstore or from many sources at once (connected peers over bitswap, trustless
 * gateways), under an idle timeout -> every segment authenticated and decrypted. Also byte
 * ranges that fetch and decrypt only the segments they need.
 */
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import type { CID } from "multiformats/cid";
import { hexToBytes, type Address } from "viem";
import { constantTimeEqual, keyCommitment, open, SealedReader, WrongKeyError, type ParallelReadOptions, type ReadSealedRange } from "../../crypto/index.js";
import { ContentMismatchError, ContentNotFoundError, NotAFileError } from "../errors.js";
import { withIdleTimeout } from "../idle-timeout.js";
import type { FetchSession, FetchStats } from "../storage/block-fetcher.js";
import { readContent } from "../storage/content-reader.js";
import { fileKey } from "../../crypto/directory.js";
import { decodeSignedManifest, fileModel, isDirectoryManifest, type FileManifest, type SignedManifest } from "./manifest.js";
import { parseCid } from "../storage/pins.js";
import type { StoragePeer } from "../storage/storage-peer.js";

export const DEFAULT_FETCH_TIMEOUT_MS = 30_000;

export interface ManifestReadOptions {
  /** The owner the registry names; the manifest must be signed by it. */
  expectedOwner?: Address;
  /** Idle timeout for network reads. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Trustless gateways to fetch from for this read, besides the peer's own sources. */
  gateways?: readonly string[];
  /** Reuse a session (its sources' health and its stats) instead of a fresh one per call. */
  session?: FetchSession;
}

export interface FetchOptions extends ManifestReadOptions {
  key: Uint8Array;
  /** Leaves in flight ahead of the consumer. */
  readAhead?: number;
  onProgress?: (progress: { plaintextBytes: number; totalBytes: number }) => void;
}

const toCid = (value: CID | string): CID => (typeof value === "string" ? parseCid(value) : value);

/** Runs `use` with the caller's session, or a fresh one that is closed afterwards. */
async function withSession<T>(peer: StoragePeer, options: ManifestReadOptions, use: (session: FetchSession) => Promise<T>): Promise<T> {
  if (options.session !== undefined) return use(options.session);
  const session = peer.session({ gateways: options.gateways });
  try {
    return await use(session);
  } finally {
    session.close();
  }
}

async function* sessionOf(peer: StoragePeer, options: ManifestReadOptions): AsyncGenerator<FetchSession, void, undefined> {
  const session = options.session ?? peer.session({ gateways: options.gateways });
  try {
    yield session;
  } finally {
    if (options.session === undefined) session.close();
  }
}

export async function readManifest(peer: StoragePeer, manifestCid: CID | string, options: ManifestReadOptions = {}): Promise<SignedManifest> {
  const cid = toCid(manifestCid);
  const ms = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const bytes = await withSession(peer, options, async (session) => {
    for await (const block of withIdleTimeout(
      async function* (signal) {
        yield await session.get(cid, signal);
      },
      ms,
      () => new ContentNotFoundError(cid.toString(), ms),
      options.signal,
    )) {
      return block;
    }
    throw new ContentNotFoundError(cid.toString(), ms);
  });
  return decodeSignedManifest(bytes, options.expectedOwner);
}

function checkKey(signed: SignedManifest, key: Uint8Array): void {
  if (!constantTimeEqual(keyCommitment(key), hexToBytes(signed.manifest.keyCommitment))) throw new WrongKeyError();
}

/** One sealed stream of a model: the content of a format-1 manifest, or one file of a format-2 one. */
interface SealedStream {
  cid: CID;
  sealedSize: number;
  plaintextSize: number;
}

/** Bytes [start, end) of a sealed stream, from wherever they are, under the idle timeout. */
function readSealed(session: FetchSession, stream: SealedStream, options: FetchOptions | ManifestReadOptions, start = 0, end?: number) {
  const ms = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const readAhead = "readAhead" in options ? options.readAhead : undefined;
  return withIdleTimeout(
    (signal) => readContent(session, stream.cid, { offset: start, length: (end ?? stream.sealedSize) - start, readAhead, signal }),
    ms,
    () => new ContentNotFoundError(stream.cid.toString(), ms),
    options.signal,
  );
}

/** Decrypts a sealed stream segment by segment, under `key`, checking its size. */
async function* decrypt(session: FetchSession, stream: SealedStream, key: Uint8Array, modelId: Uint8Array, options: FetchOptions): AsyncGenerator<Uint8Array, void, undefined> {
  const { plaintextSize } = stream;
  let received = 0;
  for await (const plain of open(readSealed(session, stream, options), { key, modelId })) {
    received += plain.length;
    if (received > plaintextSize) throw new ContentMismatchError("content is longer than the manifest says");
    options.onProgress?.({ plaintextBytes: received, totalBytes: plaintextSize });
    yield plain;
  }
  if (received !== plaintextSize) throw new ContentMismatchError(`content has ${received} bytes, manifest says ${plaintextSize}`);
}

const contentOf = (manifest: FileManifest): SealedStream => ({ cid: manifest.content, sealedSize: manifest.sealedSize, plaintextSize: manifest.plaintextSize });

/**
 * Streams one file of a directory model, decrypted with fileKey(content key, path). `options.key`
 * is the version's content key. Throws before yielding anything when the key is wrong.
 */
export async function* fetchDirectoryFile(
  peer: StoragePeer,
  model: CID | string | SignedManifest,
  path: string,
  options: FetchOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const session of sessionOf(peer, options)) {
    const signed = typeof model === "object" && "manifest" in model ? model : await readManifest(peer, model, { ...options, session });
    checkKey(signed, options.key);
    if (!isDirectoryManifest(signed.manifest)) throw new NotAFileError("a one-file model has no paths: fetch the model itself");
    const file = signed.manifest.files.find((f) => f.path === path);
    if (file === undefined) throw new ContentMismatchError(`the model has no file ${JSON.stringify(path)}`);
    const key = fileKey(options.key, path);
    try {
      yield* decrypt(session, file, key, hexToBytes(signed.manifest.modelId), options);
    } finally {
      key.fill(0);
    }
  }
}

/** Streams the decrypted model. Throws before yielding anything when the key is wrong. */
export async function* fetchModel(peer: StoragePeer, manifestCid: CID | string, options: FetchOptions): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const session of sessionOf(peer, options)) {
    const signed = fileModel(await readManifest(peer, manifestCid, { ...options, session }));
    checkKey(signed, options.key);
    yield* decrypt(session, contentOf(signed.manifest), options.key, hexToBytes(signed.manifest.modelId), options);
  }
}

export interface FetchResult {
  signed: SignedManifest;
  /** Where the blocks came from: already local, or which sources sent how much. */
  stats: FetchStats;
}

/**
 * Fetches to a file. The bytes go to `<path>.partial` and the file appears (by rename) only once
 * every segment checked out. Every leaf fetched is kept in the blockstore as it arrives, so a
 * fetch that was interrupted (even by kill -9) and is started again transfers only what is missing.
 */
export async function fetchModelToFile(peer: StoragePeer, manifestCid: CID | string, path: string, options: FetchOptions): Promise<FetchResult> {
  return withSession(peer, options, async (session) => {
    const signed = fileModel(await readManifest(peer, manifestCid, { ...options, session }));
    checkKey(signed, options.key);
    const temp = `${path}.partial`;
    try {
      await pipeline(decrypt(session, contentOf(signed.manifest), options.key, hexToBytes(signed.manifest.modelId), options), createWriteStream(temp, { mode: 0o600 }));
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { signed, stats: session.stats };
  });
}

/** Random access to a sealed stream through a session: bytes [start, end) collected, under the idle timeout. */
export function sealedRangeReader(session: FetchSession, stream: { cid: CID; sealedSize: number }, options: ManifestReadOptions): ReadSealedRange {
  return async (start, end, signal) => {
    const signals = [options.signal, signal].filter((s): s is AbortSignal => s !== undefined);
    const scoped = { ...options, signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0] };
    const parts: Uint8Array[] = [];
    for await (const part of readSealed(session, { ...stream, plaintextSize: 0 }, scoped, start, end)) parts.push(part);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  };
}

/**
 * Plaintext bytes [start, end) of a model. Only the frames that hold the range are fetched, as a
 * few spans at once (`concurrency`, each at most `maxReadBytes`; every span's leaves come from
 * every source in parallel), decrypted and checked here as each span arrives, yielded in order.
 */
export async function* fetchRange(
  peer: StoragePeer,
  manifestCid: CID | string,
  start: number,
  end: number | undefined,
  options: FetchOptions & ParallelReadOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const session of sessionOf(peer, options)) {
    const signed = fileModel(await readManifest(peer, manifestCid, { ...options, session }));
    checkKey(signed, options.key);
    const { segmentSize, sealedSize } = signed.manifest;
    const reader = await SealedReader.open({
      key: options.key,
      modelId: hexToBytes(signed.manifest.modelId),
      sealedLength: sealedSize,
      read: sealedRangeReader(session, contentOf(signed.manifest), options),
      // A range from the first segment gets it with the header, in one read.
      ...(start < segmentSize ? { segmentSize } : {}),
    });
    yield* reader.range(start, end, options);
  }
}
