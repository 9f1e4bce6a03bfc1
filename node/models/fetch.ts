/**
 * Fetch: manifest CID -> signed manifest checked (signer = owner, or the owner the chain
 * names) -> key checked against the manifest's commitment -> content from the local blockstore
 * or from peers over bitswap, under an idle timeout -> every segment authenticated and
 * decrypted. Also byte ranges that fetch and decrypt only the segments they need.
 */
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import type { CID } from "multiformats/cid";
import { hexToBytes, type Address } from "viem";
import { constantTimeEqual, HEADER_LENGTH, keyCommitment, open, SealedReader, WrongKeyError } from "../../crypto/index.js";
import { ContentMismatchError, ContentNotFoundError } from "../errors.js";
import { collectWithin, withIdleTimeout } from "../idle-timeout.js";
import { readLeaves } from "../storage/leaf-reader.js";
import { decodeSignedManifest, type SignedManifest } from "./manifest.js";
import { parseCid } from "../storage/pins.js";
import type { StoragePeer } from "../storage/storage-peer.js";

export const DEFAULT_FETCH_TIMEOUT_MS = 30_000;
/** Leaves (1 MiB frames) read ahead of the consumer while streaming a whole local model. */
export const READ_AHEAD_BLOCKS = 16;

export interface ManifestReadOptions {
  /** The owner the registry names; the manifest must be signed by it. */
  expectedOwner?: Address;
  /** Idle timeout for network reads. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface FetchOptions extends ManifestReadOptions {
  key: Uint8Array;
  onProgress?: (progress: { plaintextBytes: number; totalBytes: number }) => void;
}

const toCid = (value: CID | string): CID => (typeof value === "string" ? parseCid(value) : value);

export async function readManifest(peer: StoragePeer, manifestCid: CID | string, options: ManifestReadOptions = {}): Promise<SignedManifest> {
  const cid = toCid(manifestCid);
  const ms = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const bytes = await collectWithin(
    async function* (signal) {
      yield* peer.helia.blockstore.get(cid, { signal });
    },
    ms,
    () => new ContentNotFoundError(cid.toString(), ms),
    options.signal,
  );
  return decodeSignedManifest(bytes, options.expectedOwner);
}

function checkKey(signed: SignedManifest, key: Uint8Array): void {
  if (!constantTimeEqual(keyCommitment(key), hexToBytes(signed.manifest.keyCommitment))) throw new WrongKeyError();
}

/**
 * The sealed bytes [start, end) of a manifest's content, from wherever they are. Whole reads
 * of content this peer holds (pinned: every block is local) stream leaf by leaf with bounded
 * read-ahead. Content from peers goes through the stock exporter, which asks bitswap for all
 * leaves at once: windowed wants stalled intermittently between processes (Helia bitswap 4),
 * and blocks from the network arrive slower than they decrypt, so its queue stays short.
 */
function readSealed(peer: StoragePeer, signed: SignedManifest, local: boolean, options: ManifestReadOptions, start = 0, end?: number) {
  const { content, sealedSize } = signed.manifest;
  const ms = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const whole = start === 0 && (end === undefined || end === sealedSize);
  return withIdleTimeout(
    (signal) =>
      whole && local
        ? readLeaves(peer, content, READ_AHEAD_BLOCKS, signal)
        : peer.fs.cat(content, { signal, offset: start, length: (end ?? sealedSize) - start }),
    ms,
    () => new ContentNotFoundError(content.toString(), ms),
    options.signal,
  );
}

/** Decrypts the content of a checked manifest, segment by segment. */
async function* decrypt(peer: StoragePeer, cid: CID, signed: SignedManifest, options: FetchOptions): AsyncGenerator<Uint8Array, void, undefined> {
  const { modelId, plaintextSize } = signed.manifest;
  const local = await peer.helia.pins.isPinned(cid);
  let received = 0;
  for await (const plain of open(readSealed(peer, signed, local, options), { key: options.key, modelId: hexToBytes(modelId) })) {
    received += plain.length;
    if (received > plaintextSize) throw new ContentMismatchError("content is longer than the manifest says");
    options.onProgress?.({ plaintextBytes: received, totalBytes: plaintextSize });
    yield plain;
  }
  if (received !== plaintextSize) throw new ContentMismatchError(`content has ${received} bytes, manifest says ${plaintextSize}`);
}

/** Streams the decrypted model. Throws before yielding anything when the key is wrong. */
export async function* fetchModel(
  peer: StoragePeer,
  manifestCid: CID | string,
  options: FetchOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  const cid = toCid(manifestCid);
  const signed = await readManifest(peer, cid, options);
  checkKey(signed, options.key);
  yield* decrypt(peer, cid, signed, options);
}

/** Fetches to a file; the file appears (by rename) only once every segment checked out. */
export async function fetchModelToFile(peer: StoragePeer, manifestCid: CID | string, path: string, options: FetchOptions): Promise<SignedManifest> {
  const cid = toCid(manifestCid);
  const signed = await readManifest(peer, cid, options);
  checkKey(signed, options.key);
  const temp = `${path}.${process.pid}.partial`;
  try {
    await pipeline(decrypt(peer, cid, signed, options), createWriteStream(temp, { mode: 0o600 }));
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return signed;
}

/** Plaintext bytes [start, end) of a model, fetching and decrypting only the frames needed. */
export async function* fetchRange(
  peer: StoragePeer,
  manifestCid: CID | string,
  start: number,
  end: number | undefined,
  options: FetchOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  const signed = await readManifest(peer, manifestCid, options);
  checkKey(signed, options.key);
  const read = async (s: number, e: number) => {
    const parts: Uint8Array[] = [];
    for await (const part of readSealed(peer, signed, false, options, s, e)) parts.push(part);
    return Buffer.concat(parts);
  };
  const reader = new SealedReader({
    key: options.key,
    modelId: hexToBytes(signed.manifest.modelId),
    header: await read(0, HEADER_LENGTH),
    sealedLength: signed.manifest.sealedSize,
    read,
  });
  yield* reader.range(start, end);
}
