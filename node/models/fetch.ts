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
import { constantTimeEqual, frameRange, HEADER_LENGTH, keyCommitment, open, SealedReader, sealedLayout, WrongKeyError } from "../../crypto/index.js";
import { ContentMismatchError, ContentNotFoundError } from "../errors.js";
import { withIdleTimeout } from "../idle-timeout.js";
import type { FetchSession, FetchStats } from "../storage/block-fetcher.js";
import { readContent } from "../storage/content-reader.js";
import { decodeSignedManifest, type SignedManifest } from "./manifest.js";
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

/** The sealed bytes [start, end) of a manifest's content, from wherever they are, under the idle timeout. */
function readSealed(session: FetchSession, signed: SignedManifest, options: FetchOptions | ManifestReadOptions, start = 0, end?: number) {
  const { content, sealedSize } = signed.manifest;
  const ms = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const readAhead = "readAhead" in options ? options.readAhead : undefined;
  return withIdleTimeout(
    (signal) => readContent(session, content, { offset: start, length: (end ?? sealedSize) - start, readAhead, signal }),
    ms,
    () => new ContentNotFoundError(content.toString(), ms),
    options.signal,
  );
}

/** Decrypts the content of a checked manifest, segment by segment. */
async function* decrypt(session: FetchSession, signed: SignedManifest, options: FetchOptions): AsyncGenerator<Uint8Array, void, undefined> {
  const { modelId, plaintextSize, sealedSize } = signed.manifest;
  let received = 0;
  for await (const plain of open(readSealed(session, signed, options, 0, sealedSize), { key: options.key, modelId: hexToBytes(modelId) })) {
    received += plain.length;
    if (received > plaintextSize) throw new ContentMismatchError("content is longer than the manifest says");
    options.onProgress?.({ plaintextBytes: received, totalBytes: plaintextSize });
    yield plain;
  }
  if (received !== plaintextSize) throw new ContentMismatchError(`content has ${received} bytes, manifest says ${plaintextSize}`);
}

/** Streams the decrypted model. Throws before yielding anything when the key is wrong. */
export async function* fetchModel(peer: StoragePeer, manifestCid: CID | string, options: FetchOptions): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const session of sessionOf(peer, options)) {
    const signed = await readManifest(peer, manifestCid, { ...options, session });
    checkKey(signed, options.key);
    yield* decrypt(session, signed, options);
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
    const signed = await readManifest(peer, manifestCid, { ...options, session });
    checkKey(signed, options.key);
    const temp = `${path}.partial`;
    try {
      await pipeline(decrypt(session, signed, options), createWriteStream(temp, { mode: 0o600 }));
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { signed, stats: session.stats };
  });
}

/**
 * Plaintext bytes [start, end) of a model. The frames that hold the range are fetched first, in
 * parallel from every source (into the blockstore), then decrypted and checked one by one locally.
 */
export async function* fetchRange(
  peer: StoragePeer,
  manifestCid: CID | string,
  start: number,
  end: number | undefined,
  options: FetchOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const session of sessionOf(peer, options)) {
    const signed = await readManifest(peer, manifestCid, { ...options, session });
    checkKey(signed, options.key);
    const { segmentSize, sealedSize, plaintextSize } = signed.manifest;
    const read = async (s: number, e: number) => {
      const parts: Uint8Array[] = [];
      for await (const part of readSealed(session, signed, options, s, e)) parts.push(part);
      return Buffer.concat(parts);
    };
    const last = Math.min(end ?? plaintextSize, plaintextSize);
    if (last > start && start >= 0) {
      const layout = sealedLayout(segmentSize, sealedSize);
      const from = frameRange(layout, Math.floor(start / segmentSize)).start;
      const to = frameRange(layout, Math.floor((last - 1) / segmentSize)).end;
      for await (const part of readSealed(session, signed, options, from, to)) void part; // warms the blockstore
    }
    const reader = new SealedReader({
      key: options.key,
      modelId: hexToBytes(signed.manifest.modelId),
      header: await read(0, HEADER_LENGTH),
      sealedLength: sealedSize,
      read,
    });
    yield* reader.range(start, end);
  }
}
