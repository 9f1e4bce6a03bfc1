/** POST /v1/models (streaming publish of a file, or of a directory as a tar) and GET /v1/manifests/:cid. */
import type { FastifyInstance, FastifyReply } from "fastify";
import type { CID } from "multiformats/cid";
import { Readable } from "node:stream";
import { bytesToHex } from "viem";
import type { z } from "zod";
import { decodeSignedManifest, isDirectoryManifest } from "../models/manifest.js";
import { manifestJson } from "./manifest-json.js";
import { isDirectoryContent, publishWithCustody, rotateModel, type ModelContent, type ModelPublishResult, type PublishWithCustodyOptions } from "../custody/owner.js";
import { findRegistration } from "../custody/publish-journal.js";
import { parseCid, removePin } from "../storage/pins.js";
import { publish } from "../models/publish.js";
import { publishDirectory } from "../models/publish-directory.js";
import { FIELD_P } from "../../zkp/field.js";
import type { ChainClient } from "../chain/index.js";
import { clientGone, withDeadline, type ApiContext } from "./context.js";
import { TAR_CONTENT_TYPE, tarEntries } from "./directory-upload.js";
import { ApiError } from "./errors.js";
import { limitedBody, refuseRest } from "./upload-body.js";
import { checkPublishVerifier, setPublishVerifier } from "./publish-verifier.js";
import { openWalletSession } from "./publish-sessions.js";
import { cidParam, manifestQuery, parseInput, publishQuery } from "./schemas.js";

export const KEY_WARNING =
  "The content key is returned once and not kept by the node: store it safely. Anyone with it and the CID can decrypt the model.";

/** The answer to a publish: CIDs, the signed manifest, the files of a directory, and the content key (once). */
function publishedJson(result: ModelPublishResult) {
  const { manifest } = result.signed;
  return {
    manifestCid: result.manifestCid.toString(),
    contentCid: result.contentCid.toString(),
    manifest: manifestJson(result.signed),
    signature: result.signed.signature,
    ...(isDirectoryManifest(manifest)
      ? { files: manifest.files.map((f) => ({ path: f.path, plaintextSize: f.plaintextSize, sealedSize: f.sealedSize, cid: f.cid.toString() })) }
      : {}),
    key: bytesToHex(result.key),
    keyWarning: KEY_WARNING,
  };
}

/** Yields `first`, then the rest of `iterator`: lets us look at the first chunk before publishing. */
async function* prepend(first: Uint8Array, iterator: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield first;
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
}

/** The media type of a request, without parameters, lower case. */
const mediaTypeOf = (header: string | undefined) => (header ?? "").split(";")[0]!.trim().toLowerCase();

export function modelRoutes(app: FastifyInstance, ctx: ApiContext): void {
  // Hands the raw request stream to the route: uploads are never buffered.
  app.addContentTypeParser("application/octet-stream", (_request, payload, done) => done(null, payload));
  app.addContentTypeParser(TAR_CONTENT_TYPE, (_request, payload, done) => done(null, payload));

  app.post("/v1/models", async (request, reply) => {
    const query = parseInput(publishQuery, request.query, "query");
    const declared = Number(request.headers["content-length"] ?? Number.NaN);
    if (declared > ctx.bodyLimit) {
      refuseRest(request.raw);
      throw new ApiError(413, "PAYLOAD_TOO_LARGE", `the upload (${declared} bytes) exceeds the limit of ${ctx.bodyLimit} bytes`);
    }
    if (!(request.body instanceof Readable)) {
      throw new ApiError(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        `send the model as the raw request body: Content-Type: application/octet-stream for a file, ${TAR_CONTENT_TYPE} for a directory`,
      );
    }
    const directory = mediaTypeOf(request.headers["content-type"]) === TAR_CONTENT_TYPE;
    const signal = clientGone(reply);
    const chunks = limitedBody(request.body, ctx.bodyLimit);
    // A replayed registering publish answers without publishing, once the upload is read.
    const readToEnd = async () => {
      for await (const _ of chunks) {
        // discarded
      }
    };
    try {
      let content: ModelContent;
      if (directory) {
        content = { directory: tarEntries(chunks) };
      } else {
        let first = await chunks.next();
        while (!first.done && first.value.length === 0) first = await chunks.next();
        if (first.done) throw new ApiError(400, "EMPTY_BODY", "the upload is empty");
        content = prepend(first.value, chunks);
      }
      const common = {
        owner: ctx.identity.account,
        signal,
        ...(query.name === undefined ? {} : { name: query.name }),
        ...(query.segmentSize === undefined ? {} : { segmentSize: query.segmentSize }),
        ...(query.weightsCommitment === undefined ? {} : { weightsCommitment: query.weightsCommitment }),
      };
      if (query.owner !== undefined) {
        if (query.register) throw new ApiError(400, "VALIDATION_FAILED", "owner=ADDRESS registers from the owner's wallet: leave out register");
        if (request.headers["idempotency-key"] !== undefined) {
          throw new ApiError(400, "VALIDATION_FAILED", "Idempotency-Key is for publishes the node registers; a wallet publish is a session (retry a step with the same signatures)");
        }
        const chain = ctx.chain;
        if (chain === undefined) throw new ApiError(409, "NO_CHAIN", "this node has no chain configured: start it with --rpc-url to publish for a wallet");
        const givenSecret = ownerSecretOf(request.headers["owner-secret"]);
        const ownerSecret = givenSecret ?? (await import("../../zkp/ownership.js")).randomOwnerSecret();
        const session = await openWalletSession(ctx, content, query, await ownerCommitmentFor(chain, query, ownerSecret), signal);
        reply.code(201);
        const { key, keyWarning, ...rest } = session;
        return { ...rest, ...(givenSecret === undefined ? { ownerSecret: ownerSecret.toString(), ownerSecretWarning: OWNER_SECRET_WARNING } : {}), key, keyWarning };
      }
      if (query.register || query.rotate !== undefined) {
        const idempotencyKey = idempotencyKeyOf(request.headers["idempotency-key"]);
        const ownerSecret = ownerSecretOf(request.headers["owner-secret"]);
        return await registered(ctx, content, readToEnd, common, query, reply, idempotencyKey, ownerSecret);
      }
      if (request.headers["owner-secret"] !== undefined) {
        throw new ApiError(400, "VALIDATION_FAILED", "Owner-Secret is for a registering publish (register=true or rotate=ID): the owner commitment is recorded on chain");
      }
      const options = {
        ...common,
        ...(query.custodians === undefined ? {} : { custodians: query.custodians }),
        ...(query.threshold === undefined ? {} : { threshold: query.threshold }),
        ...(query.version === undefined ? {} : { version: query.version }),
      };
      const result = isDirectoryContent(content) ? await publishDirectory(ctx.peer, content.directory, options) : await publish(ctx.peer, content, options);
      reply.code(201);
      return publishedJson(result);
    } catch (error) {
      refuseRest(request.raw); // the client may still be sending: let it read the answer
      throw error;
    }
  });

  app.get("/v1/manifests/:cid", async (request, reply) => {
    const { cid } = parseInput(cidParam, request.params, "path");
    const query = parseInput(manifestQuery, request.query, "query");
    const bytes = await readBlock(ctx, cid, query.timeoutMs ?? ctx.fetchTimeoutMs, query.offline === true, clientGone(reply));
    const signed = await decodeSignedManifest(bytes); // INVALID_MANIFEST (422) unless signed by its owner
    if (query.format === "dag-json") {
      // The block as stored: clients check its hash against the CID and the signature themselves.
      return reply.type("application/vnd.ipld.dag-json").send(Buffer.from(bytes));
    }
    return { cid: cid.toString(), manifest: manifestJson(signed), signature: signed.signature };
  });
}

async function readBlock(ctx: ApiContext, cid: CID, ms: number, offline: boolean, signal: AbortSignal): Promise<Uint8Array> {
  const session = ctx.peer.session({ offline });
  try {
    return await withDeadline(cid.toString(), ms, (inner) => session.get(cid, inner), signal);
  } finally {
    session.close();
  }
}

/** The Idempotency-Key header of a registering publish: 1..200 visible ASCII characters. */
function idempotencyKeyOf(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== "string" || !/^[\x21-\x7e]{1,200}$/.test(header)) {
    throw new ApiError(400, "VALIDATION_FAILED", "Idempotency-Key must be 1-200 visible ASCII characters");
  }
  return header;
}

export const OWNER_SECRET_WARNING =
  "The owner secret is returned once and not kept by the node: store it safely (e.g. in a file for `modelvault prove ownership --owner-secret-file`). Without it no ownership proof of this version can be made.";

/** The Owner-Secret header of a registering publish: a decimal field element, 1 .. p-1. */
function ownerSecretOf(header: string | string[] | undefined): bigint | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== "string" || !/^[0-9]{1,78}$/.test(header.trim()) || BigInt(header.trim()) === 0n || BigInt(header.trim()) >= FIELD_P) {
    throw new ApiError(400, "VALIDATION_FAILED", "Owner-Secret must be a decimal field element, 1 .. p-1 (BN254)");
  }
  return BigInt(header.trim());
}

/**
 * ownerCommitment = Poseidon(weightsCommitment, ownerSecret) over the weights commitment the
 * version will register: the query's, else (rotation) the current version's, else 0.
 */
async function ownerCommitmentFor(chain: ChainClient, query: z.output<typeof publishQuery>, ownerSecret: bigint): Promise<bigint> {
  let weights = query.weightsCommitment === undefined ? 0n : BigInt(query.weightsCommitment);
  if (query.weightsCommitment === undefined && query.rotate !== undefined) {
    const state = await chain.modelState(query.rotate);
    const current = state === null ? null : await chain.version(query.rotate, state.version);
    weights = current?.weightsCommitment ?? 0n;
  }
  const { ownerCommitment } = await import("../../zkp/ownership.js"); // loads Poseidon only when needed
  return ownerCommitment(weights, ownerSecret);
}

/** Publish with custody: shares to the custodians, then registerModel (or publishVersion). */
async function registered(
  ctx: ApiContext,
  content: ModelContent,
  readToEnd: () => Promise<void>,
  common: Omit<PublishWithCustodyOptions, "chain" | "custodians" | "threshold">,
  query: z.output<typeof publishQuery>,
  reply: FastifyReply,
  idempotencyKey: string | undefined,
  givenOwnerSecret: bigint | undefined,
) {
  const chain = ctx.chain;
  if (chain === undefined) throw new ApiError(409, "NO_CHAIN", "this node has no chain configured: start it with --rpc-url to register models");
  // A rotation keeps the current version's custodians and threshold unless it names others.
  const named = query.custodians !== undefined || query.threshold !== undefined;
  if ((query.rotate === undefined || named) && (query.custodians === undefined || query.threshold === undefined || query.threshold < 2)) {
    throw new ApiError(400, "VALIDATION_FAILED", "registering needs custodians and a threshold of at least 2");
  }
  if (query.version !== undefined) throw new ApiError(400, "VALIDATION_FAILED", "the chain assigns versions of registered models");
  const journal = idempotencyKey === undefined ? undefined : ctx.journal;
  const rotating = query.rotate?.toString();
  // The architecture's inference verifier must exist before anything is published.
  const architecture = query.architecture === undefined ? undefined : await checkPublishVerifier(chain, query.architecture);
  const verifierFor = async (modelId: string) => (architecture === undefined ? {} : { inferenceVerifier: await setPublishVerifier(chain, BigInt(modelId), architecture) });

  // A retry of a publish that already reached the chain: answer with what is registered.
  const earlier = journal === undefined ? undefined : await journal.get(idempotencyKey!);
  if (earlier !== undefined && earlier.rotating === rotating) {
    let { modelId, version } = earlier;
    if (modelId === undefined) {
      const found = await findRegistration(chain, ctx.identity.address, earlier.manifestCid, query.rotate);
      if (found !== undefined) {
        ({ version } = found);
        modelId = found.modelId.toString();
        await journal!.put(idempotencyKey!, { ...earlier, modelId, version });
      } else {
        // It never reached the chain: publish afresh and drop the orphan.
        await removePin(ctx.peer, parseCid(earlier.manifestCid)).catch(() => {});
      }
    }
    if (modelId !== undefined) {
      await readToEnd(); // to its end (and its limit), so the client gets the answer cleanly
      reply.code(200);
      return { manifestCid: earlier.manifestCid, modelId, version, replayed: true, ...(await verifierFor(modelId)) };
    }
  }

  // The owner secret: the client's, else a fresh one answered once (never logged or kept).
  const ownerSecret = givenOwnerSecret ?? (await import("../../zkp/ownership.js")).randomOwnerSecret();
  const ownerCommitment = await ownerCommitmentFor(chain, query, ownerSecret);
  const options = {
    ...common,
    chain,
    ownerCommitment,
    // Recorded before any share leaves or any transaction is sent.
    beforeDeposit: async (manifestCid: string) => journal?.put(idempotencyKey!, { manifestCid, ...(rotating === undefined ? {} : { rotating }) }),
  };
  const result =
    query.rotate === undefined
      ? await publishWithCustody(ctx.peer, content, {
          ...options,
          custodians: query.custodians!,
          threshold: query.threshold!,
          terms: {
            price: query.price ?? 0n,
            duration: query.duration ?? 0,
            maxUses: query.maxUses ?? 0,
            minStake: query.minStake ?? 0n,
            carryOver: query.carryOver ?? false,
          },
        })
      : await rotateModel(ctx.peer, content, {
          ...options,
          chainModelId: query.rotate,
          ...(query.custodians === undefined ? {} : { custodians: query.custodians, threshold: query.threshold! }),
        });
  await journal?.put(idempotencyKey!, {
    manifestCid: result.manifestCid.toString(),
    modelId: result.chainModelId.toString(),
    version: result.version,
    ...(rotating === undefined ? {} : { rotating }),
  });
  reply.code(201);
  const { key, keyWarning, ...published } = publishedJson(result);
  return {
    ...published,
    modelId: result.chainModelId.toString(),
    version: result.version,
    txHash: result.txHash,
    custodians: result.receipts.map((r) => r.custodian),
    ownerCommitment: ownerCommitment.toString(),
    ...(await verifierFor(result.chainModelId.toString())),
    ...(givenOwnerSecret === undefined ? { ownerSecret: ownerSecret.toString(), ownerSecretWarning: OWNER_SECRET_WARNING } : {}),
    key,
    keyWarning,
  };
}
