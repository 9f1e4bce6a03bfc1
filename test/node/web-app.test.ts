/** The node's web app routes (node/http/web-app.ts, web-config.ts): headers, caching, 503, traversal, config. */
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { network } from "hardhat";
import { custom, hexToBytes } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { identityFromPrivateKey } from "../../crypto/index.js";
import { createChainClient } from "../../node/chain/index.js";
import { startApi, type RunningApi } from "../../node/http/server.js";
import { contentSecurityPolicy } from "../../node/http/web-app.js";
import { browserRpcUrl } from "../../node/http/web-config.js";
import { deploySuite } from "../../scripts/deploy-suite.js";
import { PeerFixture } from "./helpers.js";

const RPC = "http://127.0.0.1:8545";

/** GET with the raw path as given (fetch would normalize "..", node:http sends it as is). */
function rawGet(url: string, path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = httpRequest({ host: target.hostname, port: target.port, path, method: "GET" }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk)).on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject).end();
  });
}

describe("node: the web app at /", function () {
  this.timeout(60_000);
  const peers = new PeerFixture();
  const identity = identityFromPrivateKey(hexToBytes(generatePrivateKey()));
  let built: RunningApi;
  let unbuilt: RunningApi;

  before(async () => {
    const appDir = await peers.dataDir();
    await mkdir(join(appDir, "assets"));
    await writeFile(join(appDir, "index.html"), '<!doctype html><script type="module" src="/assets/main-ABC123.js"></script>');
    await writeFile(join(appDir, "assets", "main-ABC123.js"), "console.log(1)");
    await writeFile(join(appDir, "assets", "styles-DEF456.css"), "body{}");
    await writeFile(join(appDir, "secret.txt"), "outside assets/");
    const peer = await peers.start();
    built = await startApi({ peer, identity, host: "127.0.0.1", port: 0, web: { appDir, rpcUrl: RPC } });
    unbuilt = await startApi({ peer, identity, host: "127.0.0.1", port: 0, web: { appDir: join(appDir, "missing") } });
  });

  after(async () => {
    await built?.close();
    await unbuilt?.close();
    await peers.cleanup();
  });

  it("serves index.html with the strict policy, nosniff, no-referrer and no-cache", async () => {
    const response = await fetch(`${built.url}/`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(response.headers.get("cache-control"), "no-cache");
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.equal(response.headers.get("referrer-policy"), "no-referrer");
    const csp = response.headers.get("content-security-policy")!;
    assert.equal(csp, contentSecurityPolicy([RPC]));
    for (const directive of ["default-src 'none'", "script-src 'self' 'wasm-unsafe-eval'", `connect-src 'self' ${RPC}`, "img-src 'self' data:", "style-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"]) {
      assert.ok(csp.split("; ").includes(directive), `${directive} missing from ${csp}`);
    }
    assert.match(await response.text(), /main-ABC123\.js/);
    assert.equal((await fetch(`${built.url}/index.html`)).status, 200);
  });

  it("serves hashed assets with their content type and a year of immutable caching", async () => {
    const js = await fetch(`${built.url}/assets/main-ABC123.js`);
    assert.equal(js.status, 200);
    assert.equal(js.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal(js.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.equal(js.headers.get("x-content-type-options"), "nosniff");
    assert.equal(await js.text(), "console.log(1)");
    const css = await fetch(`${built.url}/assets/styles-DEF456.css`);
    assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
  });

  it("refuses paths that leave assets/, unknown types and missing files with 404", async () => {
    for (const path of ["/assets/../secret.txt", "/assets/..%2fsecret.txt", "/assets/%2e%2e%2fsecret.txt", "/assets/..%5csecret.txt", "/assets/.%2e/index.html", "/assets/main-ABC123.exe", "/assets/nope-1.js", "/secret.txt"]) {
      const { status, body } = await rawGet(built.url, path);
      assert.equal(status, 404, `${path} answered ${status}`);
      assert.doesNotMatch(body, /outside assets/);
    }
  });

  it("answers 503 naming npm run build:web when the app is not built", async () => {
    const response = await fetch(`${unbuilt.url}/`);
    assert.equal(response.status, 503);
    assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
    assert.match(response.headers.get("content-security-policy")!, /^default-src 'none'/);
    assert.match(await response.text(), /npm run build:web/);
    assert.equal((await fetch(`${unbuilt.url}/assets/main-ABC123.js`)).status, 404);
  });

  it("GET /v1/web/config without a chain: chain null, the node's identity", async () => {
    const config = (await (await fetch(`${built.url}/v1/web/config`)).json()) as { chain: unknown; node: { address: string; peerId: string; version: string } };
    assert.equal(config.chain, null);
    assert.equal(config.node.address, identity.address);
    assert.match(config.node.peerId, /^12D3Koo/);
  });

  it("publishes only http(s) RPC URLs without credentials to browsers", () => {
    assert.equal(browserRpcUrl("http://127.0.0.1:8545"), "http://127.0.0.1:8545/");
    assert.equal(browserRpcUrl("https://rpc.example.org/v1"), "https://rpc.example.org/v1");
    assert.equal(browserRpcUrl("https://user:pass@rpc.example.org"), undefined);
    assert.equal(browserRpcUrl("wss://rpc.example.org"), undefined);
    assert.equal(browserRpcUrl("not a url"), undefined);
    assert.equal(browserRpcUrl(undefined), undefined);
  });

  it("GET /v1/web/config with a chain: its id, the deployment and the browser RPC", async () => {
    const connection = await network.create();
    const publicClient = await connection.viem.getPublicClient();
    const [deployer] = await connection.viem.getWalletClients();
    const deployment = await deploySuite(deployer!, publicClient);
    const chain = await createChainClient({ transport: custom(connection.provider, { retryCount: 0 }), deployment });
    const peer = await peers.start();
    const api = await startApi({ peer, identity, chain, host: "127.0.0.1", port: 0, web: { rpcUrl: RPC } });
    try {
      const config = (await (await fetch(`${api.url}/v1/web/config`)).json()) as { chain: { chainId: number; rpcUrl: string; deployment: { contracts: { ModelVault: string } } } };
      assert.equal(config.chain.chainId, 31337);
      assert.equal(config.chain.rpcUrl, `${RPC}/`);
      assert.equal(config.chain.deployment.contracts.ModelVault, deployment.contracts.ModelVault);
      // A node with a chain but no browser RPC publishes none (the app then says so).
      const noRpc = await startApi({ peer, identity, chain, host: "127.0.0.1", port: 0 });
      try {
        assert.equal(((await (await fetch(`${noRpc.url}/v1/web/config`)).json()) as { chain: unknown }).chain, null);
      } finally {
        await noRpc.close();
      }
    } finally {
      await api.close();
      await connection.close();
    }
  });
});
