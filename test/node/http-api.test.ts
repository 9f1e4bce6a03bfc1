import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { hexToBytes } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { HEADER_LENGTH, identityFromPrivateKey, TAG_LENGTH } from "../../crypto/index.js";
import { fetchModel } from "../../node/models/fetch.js";
import { startApi, type RunningApi } from "../../node/http/server.js";
import type { StoragePeer } from "../../node/storage/storage-peer.js";
import { assertBytes, collect } from "../helpers/bytes.js";
import { PeerFixture } from "./helpers.js";

const identity = identityFromPrivateKey(hexToBytes(generatePrivateKey()));
const SEGMENT = 4096 - TAG_LENGTH;
const MISSING = "bagaaierasords4njcts6vs7qvdjfcvgnume4hqohf65zsfguprqphs3icwea";

interface JsonError {
  error: { code: string; message: string };
}

async function expectError(response: Response, status: number, code: string): Promise<JsonError> {
  const body = (await response.json()) as JsonError;
  assert.equal(response.status, status, `status of ${JSON.stringify(body)}`);
  assert.equal(body.error.code, code, body.error.message);
  assert.ok(!/\bat .*\.(ts|js):\d+/.test(body.error.message), "stack trace leaked");
  return body;
}

/** A POST whose body is written in pieces without Content-Length (chunked), read with node:http. */
/**
 * POSTs `pieces` one at a time with chunked encoding, to the end whatever the server answers
 * meanwhile; resolves once both the answer and the sending are over, with any sending error.
 */
function postChunked(url: string, pieces: Buffer[]): Promise<{ status: number; body: string; sendError?: Error }> {
  return new Promise((resolve, reject) => {
    let answer: { status: number; body: string } | undefined;
    let sendError: Error | undefined;
    let sent = false;
    const settle = () => {
      if (answer !== undefined && sent) resolve({ ...answer, ...(sendError === undefined ? {} : { sendError }) });
    };
    const req = httpRequest(url, { method: "POST", headers: { "content-type": "application/octet-stream" } }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (part: Buffer) => parts.push(part));
      res.on("end", () => {
        answer = { status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() };
        settle();
      });
      res.on("error", reject);
    });
    req.on("error", (error) => {
      sendError = error;
      sent = true;
      if (answer === undefined) reject(error);
    });
    const write = (i: number) => {
      if (req.destroyed) return;
      if (i === pieces.length) {
        req.end(() => {
          sent = true;
          settle();
        });
        return;
      }
      req.write(pieces[i]!, () => setImmediate(() => write(i + 1)));
    };
    write(0);
  });
}

describe("node HTTP API", function () {
  this.timeout(60_000);
  const fixture = new PeerFixture();
  let peer: StoragePeer;
  let api: RunningApi;
  const model = randomBytes(9 * SEGMENT + 1234);
  let published: { manifestCid: string; contentCid: string; key: string; manifest: Record<string, unknown> };

  before(async () => {
    peer = await fixture.start();
    api = await startApi({ peer, identity, bodyLimit: 256 * 1024, fetchTimeoutMs: 20_000 });
    assert.match(api.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });
  after(async () => {
    await api?.close();
    await fixture.cleanup();
  });

  it("GET /health and /v1/node describe the node", async () => {
    const health = await fetch(`${api.url}/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, "ok");
    const info = (await (await fetch(`${api.url}/v1/node`)).json()) as Record<string, unknown>;
    assert.equal(info.peerId, peer.peerId);
    assert.equal(info.address, identity.address);
    assert.ok(Array.isArray(info.multiaddrs) && info.multiaddrs.every((a: string) => a.includes(`/p2p/${peer.peerId}`)));
    assert.equal(typeof info.version, "string");
  });

  it("POST /v1/models streams a model in and returns CIDs, the signed manifest and the key", async () => {
    const response = await fetch(`${api.url}/v1/models?name=tiny&segmentSize=${SEGMENT}&weightsCommitment=12345`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: model,
    });
    assert.equal(response.status, 201);
    published = (await response.json()) as typeof published;
    assert.equal(published.manifest.name, "tiny");
    assert.equal(published.manifest.owner, identity.address);
    assert.equal(published.manifest.segmentSize, SEGMENT);
    assert.equal(published.manifest.plaintextSize, model.length);
    assert.equal(published.manifest.weightsCommitment, "12345");
    assert.equal(published.manifest.content, published.contentCid);
    assert.match(published.key, /^0x[0-9a-f]{64}$/);
    // The library opens what the API published, with the returned key.
    const plain = await collect(fetchModel(peer, published.manifestCid, { key: hexToBytes(published.key as `0x${string}`), expectedOwner: identity.address }));
    assertBytes(plain, model);
  });

  it("GET /v1/manifests/:cid returns the verified manifest, as JSON or as the raw block", async () => {
    const json = (await (await fetch(`${api.url}/v1/manifests/${published.manifestCid}`)).json()) as Record<string, unknown>;
    assert.equal(json.cid, published.manifestCid);
    assert.deepEqual(json.manifest, published.manifest);
    assert.match(String(json.signature), /^0x[0-9a-f]{130}$/);
    const raw = await fetch(`${api.url}/v1/manifests/${published.manifestCid}?format=dag-json`);
    assert.equal(raw.headers.get("content-type"), "application/vnd.ipld.dag-json");
    assert.ok((await raw.arrayBuffer()).byteLength > 100);
    // The content CID is a UnixFS file, not a manifest.
    await expectError(await fetch(`${api.url}/v1/manifests/${published.contentCid}`), 422, "INVALID_MANIFEST");
  });

  it("GET /v1/content/:cid serves the ciphertext, and ranges return exactly the right bytes", async () => {
    const full = await fetch(`${api.url}/v1/content/${published.contentCid}`);
    assert.equal(full.status, 200);
    assert.equal(full.headers.get("accept-ranges"), "bytes");
    const sealedSize = published.manifest.sealedSize as number;
    assert.equal(Number(full.headers.get("content-length")), sealedSize);
    const sealed = Buffer.from(await full.arrayBuffer());
    assert.equal(sealed.length, sealedSize);
    assert.equal(sealed.subarray(0, 4).toString(), "MVSM");

    const cases: [string, number, number][] = [
      ["bytes=0-0", 0, 1],
      [`bytes=${HEADER_LENGTH}-${HEADER_LENGTH + SEGMENT + TAG_LENGTH - 1}`, HEADER_LENGTH, HEADER_LENGTH + SEGMENT + TAG_LENGTH],
      ["bytes=5000-20000", 5000, 20001],
      [`bytes=${sealedSize - 10}-`, sealedSize - 10, sealedSize],
      ["bytes=-7", sealedSize - 7, sealedSize],
      [`bytes=100-${sealedSize + 5000}`, 100, sealedSize],
    ];
    for (const [range, start, end] of cases) {
      const part = await fetch(`${api.url}/v1/content/${published.contentCid}`, { headers: { range } });
      assert.equal(part.status, 206, range);
      assert.equal(part.headers.get("content-range"), `bytes ${start}-${end - 1}/${sealedSize}`, range);
      assert.equal(Number(part.headers.get("content-length")), end - start, range);
      assertBytes(Buffer.from(await part.arrayBuffer()), sealed.subarray(start, end), range);
    }
    const head = await fetch(`${api.url}/v1/content/${published.contentCid}`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers.get("content-length")), sealedSize);
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    for (const range of [`bytes=${sealedSize}-`, "bytes=10-5", "bytes=0-1,5-6", "items=0-1", "bytes=-0"]) {
      const refused = await fetch(`${api.url}/v1/content/${published.contentCid}`, { headers: { range } });
      assert.equal(refused.headers.get("content-range"), `bytes */${sealedSize}`);
      await expectError(refused, 416, "RANGE_NOT_SATISFIABLE");
    }
  });

  it("pins: list, remove, add back", async () => {
    const pins = async () => ((await (await fetch(`${api.url}/v1/pins`)).json()) as { pins: { cid: string; metadata: unknown }[] }).pins;
    const list = async () => (await pins()).map((p) => p.cid);
    const [pinned, ...others] = (await pins()) as { cid: string; model?: { kind: string; plaintextSize: number } }[];
    assert.deepEqual(others, []);
    const { model, ...pin } = pinned!;
    assert.deepEqual(pin, { cid: published.manifestCid, depth: null, metadata: { kind: "manifest" } });
    assert.equal(model?.kind, "file", "a manifest pin says what model it is");
    const removed = await fetch(`${api.url}/v1/pins/${published.manifestCid}`, { method: "DELETE" });
    assert.equal(removed.status, 200);
    assert.deepEqual(await list(), []);
    await expectError(await fetch(`${api.url}/v1/pins/${published.manifestCid}`, { method: "DELETE" }), 404, "PIN_NOT_FOUND");
    // Concurrent pins of the same CID: one adds it, the others find it pinned; none fails.
    const racing = await Promise.all(Array.from({ length: 6 }, () => fetch(`${api.url}/v1/pins/${published.manifestCid}`, { method: "POST" })));
    assert.deepEqual(racing.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 201]);
    assert.deepEqual((await Promise.all(racing.map(async (r) => ((await r.json()) as { added: boolean }).added))).filter(Boolean), [true]);
    assert.deepEqual(await list(), [published.manifestCid]);
    assert.equal((await fetch(`${api.url}/v1/pins/${published.manifestCid}`, { method: "POST" })).status, 200, "idempotent");
    await peer.helia.gc();
    assert.ok(await peer.helia.blockstore.has((await import("multiformats/cid")).CID.parse(published.contentCid)), "pinned content survived gc");
  });

  it("CORS: web pages may read content and use the custody routes, never publish or change pins", async () => {
    const origin = { origin: "https://dapp.example" };
    const preflight = (path: string, method: string) =>
      fetch(`${api.url}${path}`, { method: "OPTIONS", headers: { ...origin, "access-control-request-method": method, "access-control-request-headers": "content-type" } });
    const open = await preflight("/v1/custody/releases", "POST");
    assert.equal(open.status, 204);
    assert.equal(open.headers.get("access-control-allow-origin"), "*");
    assert.match(open.headers.get("access-control-allow-methods") ?? "", /POST/);
    const read = await fetch(`${api.url}/v1/node`, { headers: origin });
    assert.equal(read.headers.get("access-control-allow-origin"), "*");
    for (const [path, method] of [["/v1/models", "POST"], ["/v1/pins/x", "DELETE"], ["/v1/peers", "POST"]] as const) {
      const refused = await preflight(path, method);
      assert.equal(refused.headers.get("access-control-allow-origin"), null, `${method} ${path} stays same-origin`);
    }
    const pins = await fetch(`${api.url}/v1/pins`, { headers: origin });
    assert.equal(pins.headers.get("access-control-allow-origin"), null);
  });

  it("a change asked by a page of another origin is refused before it runs (simple requests need no preflight)", async () => {
    const before = (await (await fetch(`${api.url}/v1/pins`)).json()) as { pins: unknown[] };
    const cross = { origin: "https://evil.example" };
    const pin = await fetch(`${api.url}/v1/pins/${published.contentCid}`, { method: "POST", headers: cross });
    await expectError(pin, 403, "CROSS_ORIGIN_REFUSED");
    const gateway = await fetch(`${api.url}/v1/gateways?url=${encodeURIComponent("https://evil.example")}`, { method: "POST", headers: cross });
    await expectError(gateway, 403, "CROSS_ORIGIN_REFUSED");
    assert.deepEqual(((await (await fetch(`${api.url}/v1/gateways`)).json()) as { gateways: string[] }).gateways, []);
    assert.deepEqual(((await (await fetch(`${api.url}/v1/pins`)).json()) as { pins: unknown[] }).pins, before.pins, "nothing was pinned");
    // The node's own pages (same origin) and the custody routes still may.
    const own = await fetch(`${api.url}/v1/gateways?url=${encodeURIComponent("http://127.0.0.1:9")}`, { method: "POST", headers: { origin: api.url } });
    assert.equal(own.status, 200);
    assert.deepEqual(((await own.json()) as { gateways: string[] }).gateways, ["http://127.0.0.1:9"]);
    assert.equal((await fetch(`${api.url}/v1/gateways?url=${encodeURIComponent("http://127.0.0.1:9")}`, { method: "DELETE" })).status, 200);
  });

  it("bad uploads and parameters get 4xx JSON errors with stable codes", async () => {
    const post = (query: string, init: RequestInit = {}) =>
      fetch(`${api.url}/v1/models${query}`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: randomBytes(100), ...init });
    await expectError(await post("?segmentSize=abc"), 400, "VALIDATION_FAILED");
    await expectError(await post("?segmentSize=0"), 400, "VALIDATION_FAILED");
    await expectError(await post(`?segmentSize=${2 ** 24 + 1}`), 400, "VALIDATION_FAILED");
    await expectError(await post("?color=blue"), 400, "VALIDATION_FAILED");
    await expectError(await post("?threshold=2"), 400, "VALIDATION_FAILED");
    await expectError(await post("?custodians=0x1234"), 400, "VALIDATION_FAILED");
    await expectError(await post("?weightsCommitment=0xabc"), 400, "VALIDATION_FAILED");
    await expectError(await post("", { headers: { "content-type": "application/json" }, body: "{}" }), 415, "UNSUPPORTED_MEDIA_TYPE");
    await expectError(await post("", { headers: { "content-type": "text/plain" } }), 415, "UNSUPPORTED_MEDIA_TYPE");
    await expectError(await post("", { body: new Uint8Array(0) }), 400, "EMPTY_BODY");
    await expectError(await fetch(`${api.url}/v1/models`, { method: "POST" }), 415, "UNSUPPORTED_MEDIA_TYPE");
    await expectError(await fetch(`${api.url}/v1/manifests/not-a-cid`), 400, "INVALID_CID");
    await expectError(await fetch(`${api.url}/v1/content/${published.contentCid}?timeoutMs=-1`), 400, "VALIDATION_FAILED");
    await expectError(await fetch(`${api.url}/v1/nope`), 404, "ROUTE_NOT_FOUND");
    await expectError(await fetch(`${api.url}/v1/content/${MISSING}?offline=true`), 404, "NOT_FOUND");
    await expectError(await fetch(`${api.url}/v1/manifests/${published.manifestCid}?timeoutMs=1&extra=1`), 400, "VALIDATION_FAILED");
  });

  it("oversize bodies get 413, declared or streamed", async () => {
    const big = randomBytes(256 * 1024 + 1);
    const declared = await fetch(`${api.url}/v1/models`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: big });
    await expectError(declared, 413, "PAYLOAD_TOO_LARGE");
    // Well past the limit: the client is still sending when the refusal comes, and must read it.
    const pieces = Array.from({ length: 120 }, () => randomBytes(16 * 1024));
    const streamed = await postChunked(`${api.url}/v1/models`, pieces);
    assert.equal(streamed.status, 413);
    assert.equal(streamed.sendError, undefined, "the client could send its whole body and read the answer");
    assert.equal((JSON.parse(streamed.body) as JsonError).error.code, "PAYLOAD_TOO_LARGE");
    // Nothing of the refused uploads was pinned.
    const pins = ((await (await fetch(`${api.url}/v1/pins`)).json()) as { pins: unknown[] }).pins;
    assert.equal(pins.length, 1);
  });

  it("a CID no peer has fails with 504 CONTENT_NOT_FOUND after the timeout", async () => {
    await expectError(await fetch(`${api.url}/v1/content/${MISSING}?timeoutMs=300`), 504, "CONTENT_NOT_FOUND");
    await expectError(await fetch(`${api.url}/v1/manifests/${MISSING}?timeoutMs=300`), 504, "CONTENT_NOT_FOUND");
    await expectError(await fetch(`${api.url}/v1/pins/${MISSING}?timeoutMs=300`, { method: "POST" }), 504, "CONTENT_NOT_FOUND");
  });
});
