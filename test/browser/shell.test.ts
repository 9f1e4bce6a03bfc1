/** The web app's shell in Chromium against a hardhat node and real modelvault nodes (test/browser/fixtures/app-world.ts). */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { AppWorld, privateKeyAt, type PublishedModel } from "./fixtures/app-world.js";
import { identityAt } from "../node/fixtures/custody.js";

describe("browser: the app's shell served by a node", function () {
  this.timeout(180_000);
  let world: AppWorld;
  let model: PublishedModel;

  before(async () => {
    world = await AppWorld.start();
    model = await world.publishModel("shell test model", randomBytes(50_000));
  });

  after(async () => {
    await world?.stop();
  });

  it("loads from the node with its CSP, lists the registered model, and violates nothing", async function () {
    await world.withPage({ wallet: world.wallet() }, async (page) => {
      const response = await page.page.goto(world.appUrl("/"), { waitUntil: "load" });
      assert.match(response!.headers()["content-security-policy"] ?? "", /^default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; /);
      await page.waitForRoute();
      const row = await page.text(`main#outlet tbody tr:first-child`);
      assert.match(row, new RegExp(`^${model.modelId}`));
      assert.match(row, /shell test model/);
      assert.match(row, /0\.001 ETH/);
      assert.ok(existsSync(await page.screenshot(this.test!.title, "models")));
      page.assertClean(world.origins);
    });
  });

  it("connects the injected wallet, shows its account and chain, and follows an account switch", async function () {
    const wallet = world.wallet(2);
    await world.withPage({ wallet }, async (page) => {
      await page.goto(world.appUrl("/"));
      await page.page.click("#connect-wallet");
      assert.equal(await (await page.page.waitForSelector("[data-account]"))!.evaluate((node) => node.getAttribute("data-account")), wallet.address);
      assert.equal(await page.text("[data-chain]"), "chain 31337");
      await wallet.useAccount(privateKeyAt(5));
      await page.page.waitForFunction(`document.querySelector("[data-account]")?.getAttribute("data-account") === "${identityAt(5).address}"`);
      await page.screenshot(this.test!.title, "connected");
      page.assertClean(world.origins);
    });
  });

  it("says so when the wallet refuses, is on another chain, or is absent", async function () {
    const wallet = world.wallet(2);
    await world.withPage({ wallet }, async (page) => {
      await page.goto(world.appUrl("/"));
      wallet.refuseNext("eth_requestAccounts");
      await page.page.click("#connect-wallet");
      assert.equal(await (await page.page.waitForSelector(".wallet-problem .error-banner"))!.evaluate((node) => node.getAttribute("data-code")), "WALLET_REFUSED");
      await page.page.click("#connect-wallet");
      await page.page.waitForSelector("[data-account]");
      await wallet.switchChain(1);
      assert.match(await page.text("#switch-chain"), /Switch to 31337/);
      await page.page.click("#switch-chain");
      await page.page.waitForFunction('document.querySelector("#switch-chain") === null');
      assert.equal(await page.text("[data-chain]"), "chain 31337");
      page.assertClean(world.origins);
    });
    await world.withPage({}, async (bare) => {
      await bare.goto(world.appUrl("/"));
      assert.equal(await bare.text("[data-wallet]"), "No wallet");
      bare.assertClean(world.origins);
    });
  });

  it("shows a not-found page for an unknown route", async function () {
    await world.withPage({}, async (page) => {
      await page.goto(world.appUrl("/no/such/page"));
      assert.equal(await page.text("main#outlet h1"), "Page not found");
      await page.screenshot(this.test!.title, "not-found");
      page.assertClean(world.origins);
    });
  });

  it("the CSP lets what snarkjs needs run: WebAssembly compiles and blob: workers start", async function () {
    await world.withPage({}, async (page) => {
      await page.goto(world.appUrl("/"));
      // The empty module (magic + version) and a worker that answers: what proof checks use.
      const result = await page.page.evaluate(`(async () => {
        const module = await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
        const worker = new Worker(URL.createObjectURL(new Blob(["postMessage(WebAssembly.validate(new Uint8Array([0,97,115,109,1,0,0,0])))"], { type: "text/javascript" })));
        const answer = await new Promise((resolve, reject) => { worker.onmessage = (e) => resolve(e.data); worker.onerror = () => reject(new Error("worker failed")); });
        worker.terminate();
        return { compiled: module instanceof WebAssembly.Module, answer };
      })()`);
      assert.deepEqual(result, { compiled: true, answer: true });
      page.assertClean(world.origins);
    });
  });

  it("the harness: assertClean fails on a CSP violation, a console error and a request to another origin", async () => {
    await world.withPage({}, async (page) => {
      await page.goto(world.appUrl("/"));
      page.assertClean(world.origins);
      // An inline script and an outside fetch: both refused by the node's CSP, both recorded.
      await page.page.evaluate(`(() => { const s = document.createElement("script"); s.textContent = "1"; document.body.appendChild(s); fetch("http://192.0.2.1/x").catch(() => {}); console.error("boom"); })()`);
      // The reports arrive asynchronously (exposed functions, CDP events): wait for them, bounded.
      for (let waited = 0; waited < 5_000 && (page.records.cspViolations.length < 2 || page.records.consoleErrors.length === 0); waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(page.records.cspViolations.some((text) => text.startsWith("script-src")), page.records.cspViolations.join("\n"));
      assert.ok(page.records.cspViolations.some((text) => text.startsWith("connect-src") && text.includes("192.0.2.1")), page.records.cspViolations.join("\n"));
      assert.ok(page.records.consoleErrors.some((text) => text.startsWith("boom")));
      assert.throws(() => page.assertClean(world.origins), /CSP violations/);
    });
  });
});
