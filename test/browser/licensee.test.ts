/**
 * The licensee's path in Chromium (web/pages/open.ts) against a hardhat node and real modelvault
 * nodes as custodians: buy, ticket, k shares, fetch, decrypt and save, streamed to a real file of
 * the Origin Private File System (headless Chromium cannot answer a save dialog, so the test's
 * showSaveFilePicker hands out an OPFS file); and the refusals reach the user with what to do.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import type { HTTPRequest } from "puppeteer-core";
import { fileURLToPath } from "node:url";
import { attestOwnershipFile, createChainClient, proveOwnershipFile } from "../../node/chain/index.js";
import { terminateCurve } from "../../zkp/curve.js";
import type { AppPage } from "../helpers/browser.js";
import { identityAt } from "../node/fixtures/custody.js";
import { tarItemsOf, tarOf } from "../node/fixtures/hf-directory.js";
import { AppWorld, type PublishedModel } from "./fixtures/app-world.js";

/** showSaveFilePicker -> a file of the OPFS, its writable counting the chunks so the test sees the streaming. */
const OPFS_SAVE_PICKER = `
  window.__saveWrites = 0;
  window.showSaveFilePicker = async (options) => {
    const handle = await (await navigator.storage.getDirectory()).getFileHandle(options?.suggestedName ?? "model.bin", { create: true });
    const createWritable = handle.createWritable.bind(handle);
    handle.createWritable = async (...args) => {
      const writer = (await createWritable(...args)).getWriter();
      return new WritableStream({
        write: (chunk) => { window.__saveWrites += 1; return writer.write(chunk); },
        close: () => writer.close(),
        abort: (reason) => writer.abort(reason),
      });
    };
    return handle;
  };`;

/** The OPFS file's size and SHA-256, read back in the page. */
async function savedFile(page: AppPage, name: string): Promise<{ size: number; sha256: string; writes: number }> {
  return (await page.page.evaluate(`(async () => {
    const file = await (await (await navigator.storage.getDirectory()).getFileHandle(${JSON.stringify(name)})).getFile();
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await file.arrayBuffer()));
    return { size: file.size, sha256: [...digest].map((b) => b.toString(16).padStart(2, "0")).join(""), writes: window.__saveWrites };
  })()`)) as { size: number; sha256: string; writes: number };
}

async function attribute(page: AppPage, selector: string, name: string): Promise<string | null> {
  return (await page.page.waitForSelector(selector, { timeout: 60_000 }))!.evaluate((node, n) => node.getAttribute(n), name);
}

describe("browser: the licensee opens a model in the page", function () {
  this.timeout(300_000);
  let world: AppWorld;
  let model: PublishedModel;
  let plaintext: Buffer;

  before(async () => {
    world = await AppWorld.start();
    plaintext = randomBytes(3 * 2 ** 20 + 12_345); // four segments, the last one short
    model = await world.publishModel("licensee-test-model.bin", plaintext, { price: 2n * 10n ** 15n });
  });

  after(async () => {
    await world?.stop();
    await terminateCurve();
  });

  it("buys a licence, requests a ticket, collects the shares and saves the file streamed to disk: its SHA-256 is the original's", async function () {
    const origins = await world.licenseeOrigins();
    await world.withPage({ wallet: world.wallet(2) }, async (page) => {
      await page.page.evaluateOnNewDocument(OPFS_SAVE_PICKER);
      const response = await page.page.goto(world.appUrl(`/models/${model.modelId}/open`), { waitUntil: "load" });
      for (const origin of origins.slice(2)) assert.ok(response!.headers()["content-security-policy"]!.includes(origin), `connect-src allows the custodian ${origin}`);
      await page.waitForRoute();
      assert.equal(await attribute(page, "[data-price]", "data-price"), String(2n * 10n ** 15n));
      await page.screenshot(this.test!.title, "terms");
      await page.page.click("#open-connect");
      assert.equal(await attribute(page, "#licence-state", "data-state"), "none");
      assert.match(await page.text("#buy"), /Buy a licence for 0\.002 ETH/);
      await page.page.click("#buy");
      await page.page.waitForSelector("#purchase", { timeout: 60_000 });
      assert.equal(await attribute(page, "#licence-state", "data-state"), "usable");
      await page.page.click("#request-ticket");
      await page.page.waitForSelector("#key-ready", { timeout: 60_000 });
      // Each custodian's answer is shown: both released their share.
      const answers = await page.page.$$eval("tr[data-custodian] td[data-answer]", (cells) => cells.map((cell) => cell.getAttribute("data-answer")));
      assert.deepEqual(answers, ["released", "released"]);
      await page.screenshot(this.test!.title, "key");
      await page.page.click("button.save");
      await page.page.waitForSelector(".saved", { timeout: 120_000 });
      assert.equal(Number(await attribute(page, ".saved", "data-bytes")), plaintext.length);
      const saved = await savedFile(page, model.name);
      assert.equal(saved.size, plaintext.length);
      assert.equal(saved.sha256, createHash("sha256").update(plaintext).digest("hex"));
      assert.ok(saved.writes >= 4, `written as it streamed (${saved.writes} writes), not as one blob`);
      await page.screenshot(this.test!.title, "saved");
      page.assertClean(origins);
    });
  });

  it("says what to do when the wallet refuses the purchase (4001) or the model has no licence for the account", async function () {
    const wallet = world.wallet(5);
    await world.withPage({ wallet }, async (page) => {
      await page.goto(world.appUrl(`/models/${model.modelId}/open`));
      await page.page.click("#open-connect");
      assert.equal(await attribute(page, "#licence-state", "data-state"), "none");
      assert.equal(await page.text("#licence-state"), "Your account holds no licence for this model.");
      assert.equal(await page.page.$("#request-ticket"), null, "no ticket without a licence");
      wallet.refuseNext("eth_sendTransaction");
      await page.page.click("#buy");
      assert.equal(await attribute(page, "#licence .error-banner", "data-refusal"), "WALLET_REFUSED");
      assert.match(await page.text("#licence .error-banner strong"), /refused the request in your wallet: nothing was signed, paid or sent/);
      await page.screenshot(this.test!.title, "refused");
      page.assertClean(world.origins);
    });
  });

  it("shows each custodian's refusal when the licence is revoked after the ticket, and a revoked licence's state", async function () {
    const origins = await world.licenseeOrigins();
    const owner = await createChainClient({ rpcUrl: world.rpcUrl, deployment: world.devnet.deployment, account: identityAt(1).account, pollingIntervalMs: 50 });
    const licensee = identityAt(6).address;
    let revoked: Promise<unknown> | undefined;
    await world.withPage({ wallet: world.wallet(6) }, async (page) => {
      // The release requests wait until the owner revoked the licence: the custodians then refuse (LICENCE_NOT_LIVE).
      await page.page.setRequestInterception(true);
      page.page.on("request", (request: HTTPRequest) => {
        if (request.method() === "POST" && request.url().endsWith("/v1/custody/releases")) {
          revoked ??= owner.revoke(model.modelId, licensee);
          void revoked.then(() => request.continue());
        } else void request.continue();
      });
      await page.goto(world.appUrl(`/models/${model.modelId}/open`));
      await page.page.click("#open-connect");
      await page.page.waitForSelector("#buy");
      await page.page.click("#buy");
      await page.page.waitForSelector("#request-ticket:not([disabled])", { timeout: 60_000 });
      await page.page.click("#request-ticket");
      assert.equal(await attribute(page, "#access .error-banner", "data-refusal"), "LICENCE_NOT_LIVE");
      assert.equal(await attribute(page, "#access .error-banner", "data-code"), "NOT_ENOUGH_SHARES");
      assert.match(await page.text("#access .error-banner strong"), /licence is revoked or expired.*Buy a licence/);
      const answers = await page.page.$$eval("tr[data-custodian] td[data-answer]", (cells) => cells.map((cell) => cell.textContent));
      assert.deepEqual(answers.map((a) => a?.split(" (")[0]), ["refused: LICENCE_NOT_LIVE", "refused: LICENCE_NOT_LIVE"]);
      assert.equal(await attribute(page, "#licence-state", "data-state"), "revoked"); // redrawn after the refusal
      await page.screenshot(this.test!.title, "custodians-refused");
      // Chromium logs every refused fetch as a console error: exactly the two refusals, nothing else.
      const refusals = page.records.consoleErrors.filter((line) => /status of 403 .*\/v1\/custody\/releases\)$/.test(line));
      assert.equal(refusals.length, 2, page.records.consoleErrors.join("\n"));
      page.records.consoleErrors.splice(0, Infinity, ...page.records.consoleErrors.filter((line) => !refusals.includes(line)));
      page.assertClean(origins);
    });
    await owner.close();
    await world.withPage({ wallet: world.wallet(6) }, async (page) => {
      await page.goto(world.appUrl(`/models/${model.modelId}/open`));
      await page.page.click("#open-connect");
      assert.equal(await attribute(page, "#licence-state", "data-state"), "revoked");
      assert.equal(await page.page.$("#request-ticket"), null);
      await page.screenshot(this.test!.title, "revoked");
      page.assertClean(world.origins);
    });
  });

  it("verifies an attested ownership proof in the page: snarkjs (its own chunk, loaded on the click) with a key file, the verifier contract without", async function () {
    // A model with an owner commitment (the node generates the secret), proved and attested by its owner.
    const query = new URLSearchParams({ name: "proved model", register: "true", custodians: world.custodians.join(","), threshold: "2", price: "1000", duration: "0", weightsCommitment: "123456789" });
    const published = await fetch(`${world.ownerApi.url}/v1/models?${query}`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: randomBytes(10_000) });
    assert.equal(published.status, 201, await published.clone().text());
    const { modelId, ownerSecret } = (await published.json()) as { modelId: string; ownerSecret: string };
    const owner = await createChainClient({ rpcUrl: world.rpcUrl, deployment: world.devnet.deployment, account: identityAt(1).account, pollingIntervalMs: 50 });
    const proof = await proveOwnershipFile(owner, { modelId: BigInt(modelId), ownerSecret: BigInt(ownerSecret), claimant: identityAt(1).address });
    const attested = await attestOwnershipFile(owner, proof);
    await owner.close();
    const keyFile = fileURLToPath(new URL("../../build/circuits/ownership/verification_key.json", import.meta.url));
    await world.withPage({}, async (page) => {
      await page.goto(world.appUrl(`/models/${modelId}/proofs`));
      await page.page.waitForSelector(`tr[data-tx="${attested.txHash}"]`);
      const assetsBefore = page.records.requests.filter((url) => url.includes("/assets/")).length;
      await (await page.page.$("#verification-key"))!.uploadFile(keyFile);
      await page.page.click(`tr[data-tx="${attested.txHash}"] button.verify`);
      assert.equal(await attribute(page, "[data-valid]", "data-valid"), "true");
      assert.equal(await attribute(page, "[data-valid]", "data-method"), "snarkjs");
      assert.ok(page.records.requests.filter((url) => url.includes("/assets/")).length > assetsBefore, "snarkjs's chunk loads on the click, not with the page");
      await page.screenshot(this.test!.title, "verified");
      page.assertClean(world.origins);
    });
    await world.withPage({}, async (page) => {
      await page.goto(world.appUrl(`/models/${modelId}/proofs`));
      await page.page.click(`tr[data-tx="${attested.txHash}"] button.verify`);
      assert.equal(await attribute(page, "[data-valid]", "data-method"), "verifier-contract");
      assert.equal(await attribute(page, "[data-valid]", "data-valid"), "true");
      page.assertClean(world.origins);
    });
  });

  it("cancels a save (nothing is kept), and without the File System Access API says so and offers the bounded in-memory download", async function () {
    const wallet = world.wallet(7);
    // A slow disk: each write waits, so Cancel lands mid-stream.
    const slowPicker = OPFS_SAVE_PICKER.replace("write: (chunk) => {", "write: async (chunk) => { await new Promise((r) => setTimeout(r, 300));");
    await world.withPage({ wallet }, async (page) => {
      await page.page.evaluateOnNewDocument(slowPicker);
      await page.goto(world.appUrl(`/models/${model.modelId}/open`));
      // The first test saved this name in the same profile's OPFS: start from no file.
      await page.page.evaluate(`navigator.storage.getDirectory().then((root) => root.removeEntry(${JSON.stringify(model.name)})).catch(() => {})`);
      await page.page.click("#open-connect");
      await page.page.waitForSelector("#buy");
      await page.page.click("#buy");
      await page.page.waitForSelector("#request-ticket", { timeout: 60_000 });
      await page.page.click("#request-ticket");
      await page.page.waitForSelector("#key-ready", { timeout: 60_000 });
      await page.page.click("button.save");
      await page.page.waitForSelector("button.cancel:not([hidden])");
      await page.page.waitForFunction("window.__saveWrites >= 1");
      await page.page.click("button.cancel");
      assert.equal(await attribute(page, ".save-row .error-banner", "data-code"), "ABORTED");
      assert.equal(await page.page.$(".saved"), null);
      // The aborted writable discarded its temporary file: the OPFS file stays empty.
      assert.equal((await savedFile(page, model.name)).size, 0);
      await page.screenshot(this.test!.title, "cancelled");
      page.assertClean(await world.licenseeOrigins());
    });
    await world.withPage({ wallet }, async (page) => {
      await page.page.evaluateOnNewDocument("delete window.showSaveFilePicker; delete Window.prototype.showSaveFilePicker; delete window.showDirectoryPicker; delete Window.prototype.showDirectoryPicker;");
      await page.goto(world.appUrl(`/models/${model.modelId}/open`));
      // The wallet already granted this site its account (eth_accounts): no connect step; the licence bought above is usable.
      await page.page.waitForSelector("#request-ticket", { timeout: 60_000 });
      await page.page.click("#request-ticket");
      assert.match(await page.text("#no-streaming"), /cannot stream to disk.*512\.0 MiB/);
      await page.page.click("button.save");
      const link = (await page.page.waitForSelector("a[data-download]", { timeout: 60_000 }))!;
      assert.deepEqual(await link.evaluate((a) => [a.getAttribute("download"), a.getAttribute("href")?.startsWith("blob:")]), [model.name, true]);
      assert.equal(Number(await attribute(page, ".saved", "data-bytes")), plaintext.length);
      await page.screenshot(this.test!.title, "fallback");
      page.assertClean(await world.licenseeOrigins());
    });
  });

  it("a directory model: saves one file through the save picker, and every file into a picked folder, each equal to the original", async function () {
    const files = new Map([["config.json", Buffer.from('{"layers":2}')], ["weights/model.bin", randomBytes(1_500_000)]]);
    const query = new URLSearchParams({ name: "directory model", register: "true", custodians: world.custodians.join(","), threshold: "2", price: "1000", duration: "0" });
    const published = await fetch(`${world.ownerApi.url}/v1/models?${query}`, { method: "POST", headers: { "content-type": "application/x-tar" }, body: await tarOf(tarItemsOf(files)) });
    assert.equal(published.status, 201, await published.clone().text());
    const { modelId } = (await published.json()) as { modelId: string };
    const sha = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
    await world.withPage({ wallet: world.wallet(8) }, async (page) => {
      // The folder picker hands out an OPFS folder, as the save picker hands out an OPFS file.
      await page.page.evaluateOnNewDocument(`${OPFS_SAVE_PICKER}
        window.showDirectoryPicker = async () => (await navigator.storage.getDirectory()).getDirectoryHandle("picked", { create: true });`);
      await page.goto(world.appUrl(`/models/${modelId}/open`));
      await page.page.click("#open-connect");
      await page.page.waitForSelector("#buy");
      await page.page.click("#buy");
      await page.page.waitForSelector("#request-ticket", { timeout: 60_000 });
      await page.page.click("#request-ticket");
      await page.page.waitForSelector('button.save[data-file="config.json"]', { timeout: 60_000 });
      await page.page.click('button.save[data-file="config.json"]');
      await page.page.waitForSelector('.save-row[data-file="config.json"] .saved', { timeout: 60_000 });
      assert.equal((await savedFile(page, "config.json")).sha256, sha(files.get("config.json")!));
      await page.page.click("#save-all");
      await page.page.waitForFunction("document.querySelectorAll('#save > .save-row .saved').length === 2", { timeout: 60_000 });
      const picked = (await page.page.evaluate(`(async () => {
        const root = await (await navigator.storage.getDirectory()).getDirectoryHandle("picked");
        const hash = async (file) => [...new Uint8Array(await crypto.subtle.digest("SHA-256", await file.arrayBuffer()))].map((b) => b.toString(16).padStart(2, "0")).join("");
        const config = await (await root.getFileHandle("config.json")).getFile();
        const weights = await (await (await root.getDirectoryHandle("weights")).getFileHandle("model.bin")).getFile();
        return { config: await hash(config), weights: await hash(weights) };
      })()`)) as { config: string; weights: string };
      assert.deepEqual(picked, { config: sha(files.get("config.json")!), weights: sha(files.get("weights/model.bin")!) });
      await page.screenshot(this.test!.title, "directory");
      page.assertClean(await world.licenseeOrigins());
    });
  });
});
