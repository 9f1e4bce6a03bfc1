/**
 * Serves the built web app (npm run build:web -> build/web/) at / with a strict
 * Content-Security-Policy: index.html never cached, the content-hashed assets/ cached for a year.
 * Without a build, / answers 503 naming the command. docs/WEB.md explains the policy.
 */
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";
import { ApiError } from "./errors.js";
import type { WebOptions } from "./web-config.js";

/** build/web/ next to this checkout's (or installed package's) node/ folder. */
export const DEFAULT_APP_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "build", "web");

const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".txt": "text/plain; charset=utf-8",
};

/** An asset's name: what the build writes (name-HASH.ext), nothing that can climb out of assets/. */
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/**
 * The page's policy. snarkjs (proof checks, loaded lazily) compiles WebAssembly and runs its
 * curve arithmetic in blob: workers, hence 'wasm-unsafe-eval' and worker-src blob:. Nothing else
 * is allowed: no inline script or style, no outside origin but the chain RPC (and `connect`).
 */
export function contentSecurityPolicy(connect: readonly string[]): string {
  const connectSrc = ["'self'", ...new Set(connect)].join(" ");
  return [
    "default-src 'none'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self' blob:",
    `connect-src ${connectSrc}`,
    "img-src 'self' data:",
    "style-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** The origin of a URL for connect-src, or undefined when it is not http(s). */
export function originOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

function secure(reply: FastifyReply, csp: string): FastifyReply {
  return reply
    .header("content-security-policy", csp)
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer")
    .header("cross-origin-opener-policy", "same-origin");
}

const NOT_BUILT_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>modelvault: web app not built</title></head>
<body><h1>The web app is not built</h1><p>This node serves its API, but no web app: run <code>npm run build:web</code> in the checkout (or install the built package), then reload.</p></body></html>
`;

async function readOrUndefined(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "EISDIR") return undefined;
    throw error;
  }
}

const gzip = promisify(gzipCallback);

/** Whether the client takes gzip (Accept-Encoding lists it without q=0). */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(",") : (header ?? "");
  return value.split(",").some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    return (coding === "gzip" || coding === "*") && !params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p));
  });
}

/** Text types worth compressing (the built JS, CSS, JSON, SVG); images and wasm are sent as they are. */
const COMPRESSIBLE = /^(text\/|application\/json|image\/svg)/;

export function webAppRoutes(app: FastifyInstance, options: WebOptions & { rpcUrl?: string | undefined }): void {
  const appDir = options.appDir === undefined ? DEFAULT_APP_DIR : options.appDir;
  const rpcOrigin = originOf(options.rpcUrl);
  // Assets are immutable (hashed names) and few (one build): each is gzipped once, on first request.
  const gzipped = new Map<string, Promise<Buffer>>();
  const policy = async () => contentSecurityPolicy([...(rpcOrigin === undefined ? [] : [rpcOrigin]), ...((await options.connectSources?.()) ?? []).flatMap((s) => originOf(s) ?? [])]);

  const index = async (_request: unknown, reply: FastifyReply) => {
    const html = appDir === null ? undefined : await readOrUndefined(join(appDir, "index.html"));
    secure(reply, await policy()).header("cache-control", "no-cache").type("text/html; charset=utf-8");
    if (html === undefined) return reply.code(503).send(NOT_BUILT_PAGE);
    return reply.send(html);
  };
  app.get("/", index);
  app.get("/index.html", index);

  app.get<{ Params: { name: string } }>("/assets/:name", async (request, reply) => {
    const { name } = request.params;
    const type = CONTENT_TYPES[extname(name)];
    if (!ASSET_NAME.test(name) || name.includes("..") || type === undefined) throw new ApiError(404, "ASSET_NOT_FOUND", "no such asset");
    const body = appDir === null ? undefined : await readOrUndefined(join(appDir, "assets", name));
    if (body === undefined) throw new ApiError(404, "ASSET_NOT_FOUND", "no such asset");
    // Names carry their content's hash: a changed file is a new name, so a year is safe.
    secure(reply, await policy()).header("cache-control", "public, max-age=31536000, immutable").header("vary", "accept-encoding").type(type);
    if (!COMPRESSIBLE.test(type) || !acceptsGzip(request.headers["accept-encoding"])) return reply.send(body);
    let compressed = gzipped.get(name);
    if (compressed === undefined) gzipped.set(name, (compressed = gzip(body, { level: 9 })));
    return reply.header("content-encoding", "gzip").send(await compressed);
  });
}
