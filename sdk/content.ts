/**
 * Manifests and content from the node (which is not trusted): the manifest block checked here,
 * the sealed content checked and decrypted here, whole or as a stream.
 */
import { hexToBytes, type Address } from "viem";
import { fileKey } from "../crypto/directory.js";
import type { CID } from "multiformats/cid";
import { constantTimeEqual } from "../crypto/bytes.js";
import type { FetchModelOptions } from "./client-types.js";
import type { ClientRef, SdkContext } from "./context.js";
import { keyCommitment } from "./derive.js";
import { abortedError, SdkError } from "./errors.js";
import { checkManifestBlock, decodeSignedManifest, isDirectoryManifest, parseCid, type Manifest, type SignedManifest } from "./manifest.js";
import { request, requestBytes } from "./node-api.js";
import { iterateStream, openSealed } from "./sealed.js";

export function contentCalls(ctx: SdkContext, client: ClientRef) {
  const { fetchFn, nodeUrl } = ctx;
  return {
    /** The manifest block from the node, checked here: hash = CID, schema, owner's signature. */
    async getManifest(manifestCid: string | CID, options: { expectedOwner?: Address; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<SignedManifest> {
      const cid = parseCid(manifestCid);
      const bytes = await requestBytes(fetchFn, nodeUrl, `v1/manifests/${cid}`, {
        query: { format: "dag-json", timeoutMs: options.timeoutMs?.toString() },
        signal: options.signal,
      });
      checkManifestBlock(cid, bytes);
      return decodeSignedManifest(bytes, options.expectedOwner);
    },

    /** Fetches the sealed content through the node, checks and decrypts every segment here. */
    async fetchModel(manifestCid: string | CID, key: Uint8Array, options: FetchModelOptions = {}): Promise<Uint8Array> {
      const signed = await client().getManifest(manifestCid, options);
      return collectPlaintext(await openContent(ctx, signed.manifest, key, options));
    },

    /**
     * As fetchModel, as a ReadableStream of plaintext (constant memory). The manifest, the key
     * and the node's answer are checked before it returns; a failure later errors the stream
     * with an SdkError, and nothing of a failed segment is ever enqueued.
     */
    async fetchModelStream(manifestCid: string | CID, key: Uint8Array, options: FetchModelOptions = {}): Promise<{ manifest: Manifest; stream: ReadableStream<Uint8Array> }> {
      const signed = await client().getManifest(manifestCid, options);
      const { plaintext } = await openContent(ctx, signed.manifest, key, options);
      return { manifest: signed.manifest, stream: toReadableStream(plaintext) };
    },
  };
}

/**
 * Checks the key against the manifest, then opens the content (a one-file model's, or the file
 * `options.file` of a directory model, under its per-file key) and returns its decrypting iterator.
 */
export async function openContent({ fetchFn, nodeUrl }: Pick<SdkContext, "fetchFn" | "nodeUrl">, manifest: Manifest, key: Uint8Array, options: FetchModelOptions): Promise<OpenedContent> {
  if (!(key instanceof Uint8Array) || key.length !== 32) throw new SdkError("INVALID_ARGUMENT", "key must be 32 bytes");
  if (!constantTimeEqual(keyCommitment(key), hexToBytes(manifest.keyCommitment))) {
    throw new SdkError("WRONG_KEY", "the key does not match the manifest's key commitment");
  }
  let stream = { cid: manifest.content, key, total: manifest.plaintextSize };
  if (isDirectoryManifest(manifest)) {
    if (options.file === undefined) throw new SdkError("NOT_A_FILE", "a directory model: name the file to read with `file`");
    const file = manifest.files.find((f) => f.path === options.file);
    if (file === undefined) throw new SdkError("INVALID_ARGUMENT", `the model has no file ${JSON.stringify(options.file.slice(0, 200))}`);
    stream = { cid: file.cid, key: fileKey(key, file.path), total: file.plaintextSize };
  } else if (options.file !== undefined) {
    throw new SdkError("INVALID_ARGUMENT", "a one-file model has no files: leave `file` out");
  }
  const response = await request(fetchFn, nodeUrl, `v1/content/${stream.cid}`, {
    query: { timeoutMs: options.timeoutMs?.toString() },
    signal: options.signal,
  });
  if (response.body === null) throw new SdkError("CONTENT_MISMATCH", "the node answered without a body");
  const origin = new URL(nodeUrl).origin;
  const plaintext = decryptBody(response.body, origin, manifest, stream.key, stream.total, options);
  return { total: stream.total, plaintext: stream.key === key ? plaintext : forgetKeyAfter(plaintext, stream.key) };
}

/** Network chunks, with a broken connection reported as such (not as a crypto failure). */
async function* networkChunks(body: ReadableStream<Uint8Array>, origin: string, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array, void, undefined> {
  const chunks = iterateStream(body);
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array, void>;
      try {
        next = await chunks.next();
      } catch (error) {
        if (signal?.aborted) throw abortedError(signal);
        throw new SdkError("NODE_UNAVAILABLE", `${origin}: the content stream broke off`, {}, { cause: error });
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await chunks.return(undefined).catch(() => {}); // cancels the body when decryption stopped early
  }
}

/** Zeroes a derived key once the stream it opens ends, fails or is abandoned. */
async function* forgetKeyAfter(plaintext: AsyncGenerator<Uint8Array, void, undefined>, key: Uint8Array): AsyncGenerator<Uint8Array, void, undefined> {
  try {
    yield* plaintext;
  } finally {
    key.fill(0);
  }
}

/** A sealed stream being read: its plaintext size and its decrypted pieces. */
export interface OpenedContent {
  total: number;
  plaintext: AsyncGenerator<Uint8Array, void, undefined>;
}

async function* decryptBody(
  body: ReadableStream<Uint8Array>,
  origin: string,
  manifest: Manifest,
  key: Uint8Array,
  total: number,
  options: FetchModelOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  let received = 0;
  for await (const plain of openSealed(networkChunks(body, origin, options.signal), { key, modelId: hexToBytes(manifest.modelId), signal: options.signal })) {
    received += plain.length;
    if (received > total) throw new SdkError("CONTENT_MISMATCH", "content is longer than the manifest says");
    options.onProgress?.({ plaintextBytes: received, totalBytes: total });
    yield plain;
  }
  if (received !== total) throw new SdkError("CONTENT_MISMATCH", `content has ${received} bytes, manifest says ${total}`);
}

export async function collectPlaintext({ total, plaintext }: OpenedContent): Promise<Uint8Array> {
  const out = new Uint8Array(total);
  let offset = 0;
  for await (const piece of plaintext) {
    out.set(piece, offset); // decryptBody guarantees offset + piece.length <= plaintextSize
    offset += piece.length;
  }
  return out;
}

function toReadableStream(source: AsyncGenerator<Uint8Array, void, undefined>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await source.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        } catch (error) {
          controller.error(error);
        }
      },
      async cancel() {
        await source.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}
