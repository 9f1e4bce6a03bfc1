/**
 * What a trustless gateway request asks for (https://specs.ipfs.tech/http-gateways/trustless-gateway/):
 * the CID and path of GET/HEAD /ipfs/{cid}[/{path}], the response format from `format` or
 * `Accept`, the CAR variant (`car-*` query parameters over `Accept` parameters), `dag-scope`,
 * `entity-bytes`, and the caching headers. Pure functions: no I/O.
 */
import { bases } from "multiformats/basics";
import type { MultibaseDecoder } from "multiformats/bases/interface";
import { CID } from "multiformats/cid";
import { createHash } from "node:crypto";
import { z } from "zod";
import { ApiError } from "./errors.js";
import { parseInput } from "./schemas.js";

export const RAW_TYPE = "application/vnd.ipld.raw";
export const CAR_TYPE = "application/vnd.ipld.car";

export type DagScope = "block" | "entity" | "all";

/** `entity-bytes=from:to` as asked: negative values count from the end, "*" is the last byte. */
export interface EntityBytes {
  from: number;
  to: number | "*";
}

export interface CarVariant {
  /** Duplicate blocks: "y" sends a block at every occurrence in the walk, "n" once. */
  dups: "y" | "n";
  scope: DagScope;
  bytes?: EntityBytes | undefined;
}

export interface GatewayRequest {
  cid: CID;
  /** Decoded path segments after the CID (empty segments dropped). */
  path: string[];
  /** "/ipfs/<cid>/<segments…>", canonically encoded: the X-Ipfs-Path header. */
  contentPath: string;
  format: "raw" | "car";
  /** Only for format "car". */
  car: CarVariant;
  /** The query's own `format` and CAR parameters did not name the response fully (Accept did). */
  negotiated: boolean;
  /** `Cache-Control: only-if-cached`: 412 rather than 404 when the root is absent. */
  onlyIfCached: boolean;
}

/** Any multibase of multiformats/basics (base32, base36, base58btc, base64url, …), by its prefix. */
const basesByPrefix = new Map<string, MultibaseDecoder<string>>(Object.values(bases).map((base) => [base.prefix, base.decoder]));
const anyBase: MultibaseDecoder<string> = {
  decode(text: string): Uint8Array<ArrayBuffer> {
    const base = basesByPrefix.get(String.fromCodePoint(text.codePointAt(0) ?? 0));
    if (base === undefined) throw new Error("unknown multibase prefix");
    return base.decode(text);
  },
};

const IDENTITY_CODE = 0x00;
/** Helia's limit for inline (identity) CIDs, which its blockstore refuses beyond. */
const MAX_IDENTITY_DIGEST = 128;

const entityBytes = /^(-?[0-9]{1,16}):(-?[0-9]{1,16}|\*)$/;

const gatewayQuery = z
  .object({
    format: z.string().min(1).max(64).optional(),
    "dag-scope": z.enum(["block", "entity", "all"]).optional(),
    "entity-bytes": z
      .string()
      .regex(entityBytes, 'must be "from:to": integers (negative from the end), to may be "*"')
      .refine((text) => {
        const [from, to] = text.split(":").map(Number) as [number, number];
        return !(from >= 0 && to >= 0 && to < from);
      }, "to must not precede from")
      .optional(),
    "car-version": z.string().regex(/^[0-9]{1,4}$/, "must be a version number").optional(),
    "car-order": z.string().regex(/^[a-z]{1,16}$/, "must be an order name").optional(),
    "car-dups": z.enum(["y", "n"]).optional(),
  })
  .strict();

interface MediaRange {
  type: string;
  params: Map<string, string>;
  q: number;
}

/** RFC 9110 §12.5.1 Accept, leniently: media ranges with parameters and q values. */
export function parseAccept(header: string | undefined): MediaRange[] {
  if (header === undefined) return [];
  const ranges: MediaRange[] = [];
  for (const part of header.split(",")) {
    const [type = "", ...rest] = part.split(";").map((piece) => piece.trim());
    if (type === "") continue;
    const params = new Map<string, string>();
    let q = 1;
    for (const param of rest) {
      const eq = param.indexOf("=");
      if (eq <= 0) continue;
      const key = param.slice(0, eq).trim().toLowerCase();
      const value = param.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1").toLowerCase();
      if (key === "q") q = /^[01](\.[0-9]{0,3})?$/.test(value) ? Number(value) : 0;
      else params.set(key, value);
    }
    ranges.push({ type: type.toLowerCase(), params, q });
  }
  return ranges;
}

/** A CAR variant we can produce: version 1, DFS order (asked, or "unk" which any order meets), dups y/n. */
function carVariant(version: string | undefined, order: string | undefined, dups: string | undefined): "y" | "n" | undefined {
  if (version !== undefined && version !== "1") return undefined;
  if (order !== undefined && order !== "dfs" && order !== "unk") return undefined;
  if (dups !== undefined && dups !== "y" && dups !== "n") return undefined;
  return (dups ?? "n") as "y" | "n";
}

function notAcceptable(what: string): ApiError {
  return new ApiError(
    406,
    "NOT_ACCEPTABLE",
    `${what} is not served: this trustless gateway answers ${RAW_TYPE} (format=raw) and ${CAR_TYPE}; version=1; order=dfs; dups=y|n (format=car)`,
  );
}

/** The CID and path segments of a raw request URL ("/ipfs/<cid>/a/b?…"). */
function parseTarget(url: string): { cid: CID; path: string[] } {
  const pathname = url.split("?", 1)[0]!;
  const [cidText = "", ...rest] = pathname.slice("/ipfs/".length).split("/");
  let cid: CID;
  try {
    cid = CID.parse(decodeURIComponent(cidText), anyBase);
  } catch {
    throw new ApiError(400, "INVALID_CID", `not a valid CID: ${JSON.stringify(cidText.slice(0, 120))}`);
  }
  if (cid.multihash.code === IDENTITY_CODE && cid.multihash.size > MAX_IDENTITY_DIGEST) {
    throw new ApiError(400, "INVALID_CID", `an identity CID may inline at most ${MAX_IDENTITY_DIGEST} bytes`);
  }
  try {
    return { cid, path: rest.filter((segment) => segment !== "").map((segment) => decodeURIComponent(segment)) };
  } catch {
    throw new ApiError(400, "BAD_REQUEST", "the path has a malformed %-escape");
  }
}

export function parseGatewayRequest(url: string, query: unknown, headers: Record<string, string | string[] | undefined>): GatewayRequest {
  const { cid, path } = parseTarget(url);
  const q = parseInput(gatewayQuery, query, "query");
  const accept = parseAccept(typeof headers.accept === "string" ? headers.accept : undefined);
  const cacheControl = typeof headers["cache-control"] === "string" ? headers["cache-control"] : "";
  const onlyIfCached = cacheControl.split(",").some((directive) => directive.trim().toLowerCase() === "only-if-cached");
  const contentPath = `/ipfs/${cid}${path.map((segment) => `/${encodeURIComponent(segment)}`).join("")}`;

  // Accept's CAR ranges, best first, each with the query's car-* parameters taking precedence.
  const carFromAccept = (range: MediaRange) =>
    carVariant(q["car-version"] ?? range.params.get("version"), q["car-order"] ?? range.params.get("order"), q["car-dups"] ?? range.params.get("dups"));
  const ranked = accept.filter((range) => range.q > 0).sort((a, b) => b.q - a.q); // stable: ties keep the client's order

  let format: "raw" | "car";
  let dups: "y" | "n" | undefined;
  let negotiated = false;
  if (q.format !== undefined) {
    if (q.format !== "raw" && q.format !== "car") throw notAcceptable(`format=${q.format.slice(0, 64)}`);
    format = q.format;
    if (format === "car") {
      const cars = ranked.filter((range) => range.type === CAR_TYPE);
      const chosen = cars.find((range) => carFromAccept(range) !== undefined);
      dups = cars.length === 0 ? carVariant(q["car-version"], q["car-order"], q["car-dups"]) : chosen && carFromAccept(chosen);
      if (dups === undefined) throw notAcceptable("the CAR variant asked for");
      // Accept chose the duplicates mode, not the URL: Content-Location names the full variant.
      negotiated = q["car-dups"] === undefined && chosen?.params.has("dups") === true;
    }
  } else {
    negotiated = true;
    const chosen = ranked.find((range) => range.type === RAW_TYPE || (range.type === CAR_TYPE && carFromAccept(range) !== undefined));
    if (chosen === undefined) {
      const wildcard = accept.length === 0 || accept.some((range) => range.type.endsWith("/*"));
      if (wildcard) {
        throw new ApiError(
          400,
          "FORMAT_REQUIRED",
          `strict trustless gateway: no deserialized responses; ask for a verifiable format with ?format=raw or ?format=car, or Accept: ${RAW_TYPE} or ${CAR_TYPE}`,
        );
      }
      throw notAcceptable(`Accept: ${String(headers.accept).slice(0, 120)}`);
    }
    format = chosen.type === RAW_TYPE ? "raw" : "car";
    if (format === "car") dups = carFromAccept(chosen);
  }

  let scope: DagScope = q["dag-scope"] ?? "all";
  let bytes: EntityBytes | undefined;
  if (q["entity-bytes"] !== undefined) {
    if (q["dag-scope"] !== undefined && q["dag-scope"] !== "entity") {
      throw new ApiError(400, "VALIDATION_FAILED", `query parameter "entity-bytes" implies dag-scope=entity, not ${q["dag-scope"]}`);
    }
    scope = "entity";
    const [from, to] = q["entity-bytes"].split(":") as [string, string];
    bytes = { from: Number(from), to: to === "*" ? "*" : Number(to) };
  }
  return { cid, path, contentPath, format, car: { dups: dups ?? "n", scope, bytes }, negotiated, onlyIfCached };
}

/** Strong Etag of a response: the CID, the format and, for a CAR, everything that shapes its bytes. */
export function gatewayEtag(request: GatewayRequest): string {
  if (request.format === "raw") return `"${request.cid}.raw"`;
  const { dups, scope, bytes } = request.car;
  const range = bytes === undefined ? "" : `.${bytes.from}:${bytes.to}`;
  const path = request.path.length === 0 ? "" : `.p${createHash("sha256").update(request.path.join("/")).digest("hex").slice(0, 16)}`;
  return `"${request.cid}.car.v1.dfs.dups-${dups}.${scope}${range}${path}"`;
}

/** The Content-Type of a response. */
export function gatewayContentType(request: GatewayRequest): string {
  return request.format === "raw" ? RAW_TYPE : `${CAR_TYPE}; version=1; order=dfs; dups=${request.car.dups}`;
}

/** The URL that names this response without content negotiation (Content-Location). */
export function canonicalLocation(request: GatewayRequest): string {
  if (request.format === "raw") return `${request.contentPath}?format=raw`;
  const { dups, scope, bytes } = request.car;
  const range = bytes === undefined ? "" : `&entity-bytes=${bytes.from}:${bytes.to}`;
  return `${request.contentPath}?format=car&dag-scope=${scope}${range}&car-version=1&car-order=dfs&car-dups=${dups}`;
}

/**
 * RFC 9110 §13.1.2 If-None-Match against our strong `etag` (weak comparison, as GET requires):
 * "match" for a listed tag, "any" for "*" (a match once the resource is known to exist).
 */
export function ifNoneMatch(header: string | string[] | undefined, etag: string): "match" | "any" | "none" {
  if (typeof header !== "string") return "none";
  let any = false;
  for (const raw of header.split(",")) {
    const tag = raw.trim();
    if (tag === "*") any = true;
    else if ((tag.startsWith("W/") ? tag.slice(2) : tag) === etag) return "match";
  }
  return any ? "any" : "none";
}
