/**
 * The IPFS Trustless Gateway (https://specs.ipfs.tech/http-gateways/trustless-gateway/),
 * read-only, for blocks in this node's local blockstore only: GET/HEAD /ipfs/{cid} as a raw
 * block (application/vnd.ipld.raw) and GET/HEAD /ipfs/{cid}[/{path}] as a CAR v1 stream
 * (application/vnd.ipld.car). Never fetches from a peer: a block we do not hold is a 404.
 * Request parsing is in gateway-request.ts, block selection in gateway-dag.ts, CAR streaming
 * in gateway-car.ts. docs/API.md describes the wire format.
 */
import { CIDPath, type CarComponents } from "@helia/car";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Readable } from "node:stream";
import { clientGone, type ApiContext } from "./context.js";
import { ApiError } from "./errors.js";
import { carStream } from "./gateway-car.js";
import { localBlockstore, readLocal, type LocalBlockstore as Blockstore } from "../storage/local-blockstore.js";
import type { TransferMeter } from "../storage/transfer-meter.js";
import { exportStrategy, resolvePath } from "./gateway-dag.js";
import { canonicalLocation, gatewayContentType, gatewayEtag, ifNoneMatch, parseGatewayRequest, type GatewayRequest } from "./gateway-request.js";

/** Path gateway spec: every immutable /ipfs/ response. */
const IMMUTABLE = "public, max-age=29030400, immutable";

/** The headers of a response (200 or 304) for `request`, minus the body's own. */
function commonHeaders(request: GatewayRequest, etag: string, roots: string): Record<string, string> {
  const headers: Record<string, string> = {
    etag,
    "cache-control": IMMUTABLE,
    "x-ipfs-path": request.contentPath,
    "x-ipfs-roots": roots,
    vary: "Accept",
  };
  if (request.negotiated) headers["content-location"] = canonicalLocation(request);
  return headers;
}

function absent(request: GatewayRequest): ApiError {
  return request.onlyIfCached
    ? new ApiError(412, "NOT_CACHED", `${request.cid} is not in this node's blockstore (Cache-Control: only-if-cached)`)
    : new ApiError(404, "NOT_FOUND", `${request.cid} is not in this node's blockstore (this gateway serves local blocks only)`);
}

function notModified(reply: FastifyReply, headers: Record<string, string>) {
  return reply.code(304).headers(headers).send();
}

/** Served bytes as they are handed to the response, recorded as "out" over the gateway. */
async function* countedOut(chunks: AsyncIterable<Uint8Array>, meter: TransferMeter): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    meter.record("out", "gateway", chunk.length);
    yield chunk;
  }
}

async function serveRaw(request: GatewayRequest, reply: FastifyReply, store: Blockstore, meter: TransferMeter) {
  if (request.path.length > 0) {
    throw new ApiError(400, "PATH_NOT_SUPPORTED", "raw blocks are served at /ipfs/{cid} only; ask for format=car to follow a path");
  }
  const cid = request.cid.toString();
  const etag = gatewayEtag(request);
  const headers = commonHeaders(request, etag, cid);
  const condition = ifNoneMatch(reply.request.headers["if-none-match"], etag);
  if (condition === "match") return notModified(reply, headers);
  const bytes = await readLocal(store, request.cid);
  if (bytes === undefined) throw absent(request);
  if (condition === "any") return notModified(reply, headers);
  headers["content-type"] = gatewayContentType(request);
  headers["content-disposition"] = `attachment; filename="${cid}.bin"`;
  headers["x-content-type-options"] = "nosniff";
  // The block as read (one Buffer): Content-Length is its length; a HEAD sends no body.
  if (reply.request.method === "GET") meter.record("out", "gateway", bytes.length);
  return reply.headers(headers).send(bytes);
}

async function serveCar(request: GatewayRequest, method: string, reply: FastifyReply, store: Blockstore, components: CarComponents, meter: TransferMeter) {
  const etag = gatewayEtag(request);
  const early = ifNoneMatch(reply.request.headers["if-none-match"], etag);
  if (early === "match") return notModified(reply, commonHeaders(request, etag, request.cid.toString()));
  const signal = clientGone(reply);
  if (!(await store.has(request.cid, { signal }))) throw absent(request);
  const path = await resolvePath(store, request.cid, request.path, signal);
  const target = path.at(-1)!;
  try {
    await components.getCodec(target.code);
  } catch {
    throw new ApiError(400, "UNSUPPORTED_CODEC", `${target} has codec 0x${target.code.toString(16)}, which this node cannot walk`);
  }
  // Reads the target block when entity-bytes needs its size: a range past the end is a 400 here.
  const exporter = await exportStrategy(store, target, request.car, signal);
  const headers = commonHeaders(request, etag, path.map(String).join(","));
  if (early === "any") return notModified(reply, headers);
  headers["content-type"] = gatewayContentType(request);
  headers["content-disposition"] = `attachment; filename="${request.cid}.car"`;
  headers["x-content-type-options"] = "nosniff";
  reply.headers(headers);
  if (method === "HEAD") return reply.send(Readable.from([])); // no Content-Length: a GET streams
  const bytes = carStream(components, request.cid, {
    exporter,
    traversal: request.path.length > 0 ? new CIDPath(path) : undefined,
    dups: request.car.dups,
    signal,
  });
  // Bytes mode, small buffer: the walk advances only as fast as the client reads.
  return reply.send(Readable.from(countedOut(bytes, meter), { objectMode: false, highWaterMark: 64 * 1024 }));
}

export function gatewayRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const store = localBlockstore(ctx.peer.helia);
  const components: CarComponents = { blockstore: store, getCodec: ctx.peer.helia.getCodec, logger: ctx.peer.helia.logger };
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const parsed = parseGatewayRequest(request.url, request.query, request.headers);
    const meter = ctx.peer.transfer;
    return parsed.format === "raw" ? serveRaw(parsed, reply, store, meter) : serveCar(parsed, request.method, reply, store, components, meter);
  };
  app.route({ method: ["GET", "HEAD"], url: "/ipfs/*", handler });
}
