/** The web app's assets are sent gzipped to clients that take it (node/http/web-app.ts): what a first visit transfers. */
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { hexToBytes } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { identityFromPrivateKey } from "../../crypto/index.js";
import { startApi, type RunningApi } from "../../node/http/server.js";
import { acceptsGzip } from "../../node/http/web-app.js";
import { PeerFixture } from "./helpers.js";

function get(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk)).on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject).end();
  });
}

describe("node: the web app's assets, gzipped", function () {
  this.timeout(60_000);
  const peers = new PeerFixture();
  let api: RunningApi;
  const script = `console.log(${JSON.stringify("x".repeat(20_000))});`;

  before(async () => {
    const appDir = await peers.dataDir();
    await mkdir(join(appDir, "assets"));
    await writeFile(join(appDir, "index.html"), "<!doctype html>");
    await writeFile(join(appDir, "assets", "main-ABC123.js"), script);
    await writeFile(join(appDir, "assets", "logo-1.png"), Buffer.alloc(1000, 7));
    api = await startApi({ peer: await peers.start(), identity: identityFromPrivateKey(hexToBytes(generatePrivateKey())), host: "127.0.0.1", port: 0, web: { appDir } });
  });

  after(async () => {
    await api?.close();
    await peers.cleanup();
  });

  it("sends gzip when accepted (twice the same bytes), identity otherwise, and never recompresses images", async () => {
    const first = await get(`${api.url}/assets/main-ABC123.js`, { "accept-encoding": "gzip, deflate, br" });
    assert.equal(first.status, 200);
    assert.equal(first.headers["content-encoding"], "gzip");
    assert.equal(first.headers.vary, "accept-encoding");
    assert.ok(first.body.length < script.length / 10, `${first.body.length} B sent for ${script.length} B`);
    assert.equal(gunzipSync(first.body).toString(), script);
    assert.deepEqual((await get(`${api.url}/assets/main-ABC123.js`, { "accept-encoding": "gzip" })).body, first.body);
    const plain = await get(`${api.url}/assets/main-ABC123.js`, {});
    assert.equal(plain.headers["content-encoding"], undefined);
    assert.equal(plain.body.toString(), script);
    assert.equal((await get(`${api.url}/assets/main-ABC123.js`, { "accept-encoding": "gzip;q=0, identity" })).headers["content-encoding"], undefined);
    assert.equal((await get(`${api.url}/assets/logo-1.png`, { "accept-encoding": "gzip" })).headers["content-encoding"], undefined);
  });

  it("reads Accept-Encoding as RFC 9110 says: listed, wildcard, q=0 refuses", () => {
    assert.equal(acceptsGzip("gzip"), true);
    assert.equal(acceptsGzip("br, GZIP;q=0.5"), true);
    assert.equal(acceptsGzip("*"), true);
    assert.equal(acceptsGzip("gzip;q=0"), false);
    assert.equal(acceptsGzip("gzip; q=0.000"), false);
    assert.equal(acceptsGzip("br, deflate"), false);
    assert.equal(acceptsGzip(undefined), false);
    assert.equal(acceptsGzip(["br", "gzip"]), true);
  });
});
