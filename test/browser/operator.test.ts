/**
 * The operator page in Chromium against real modelvault nodes (test/browser/fixtures/app-world.ts):
 * the figures of GET /v1/status as the node reports them, polled while the page is open and not
 * after; pins added and removed through the page, with confirmation and the node's refusals; and
 * the node keeping status and pins to its own origin.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { AppWorld, type PublishedModel } from "./fixtures/app-world.js";
import { MIN_STAKE } from "../node/fixtures/custody.js";
import type { AppPage } from "../helpers/browser.js";

interface Status {
  peers: { count: number };
  pins: { count: number };
  shares: { count: number } | null;
  stake: { bonded: string } | null;
  storage: { blockstore: { bytes: number } };
  unavailable: Record<string, { code: string }>;
}

const figure = (page: AppPage, name: string) => page.page.$eval(`[data-figure-${name}]`, (node, n) => node.getAttribute(`data-figure-${n as string}`), name);

/** Waits until `check` holds, polling (the node caches pins for 2 s and chain reads for 5 s). */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string, ms = 15_000): Promise<T> {
  let value = await read();
  for (const start = Date.now(); !check(value); value = await read()) {
    if (Date.now() - start > ms) assert.fail(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return value;
}

describe("browser: the operator page", function () {
  this.timeout(300_000);
  let world: AppWorld;
  let model: PublishedModel;
  const status = async (url = world.ownerApi.url): Promise<Status> => (await fetch(`${url}/v1/status`)).json() as Promise<Status>;
  const pinned = async (): Promise<string[]> => ((await (await fetch(`${world.ownerApi.url}/v1/pins`)).json()) as { pins: { cid: string }[] }).pins.map((p) => p.cid);

  before(async () => {
    world = await AppWorld.start();
    model = await world.publishModel("operator test model", randomBytes(60_000));
  });

  after(async () => {
    await world?.stop();
  });

  it("shows the node's real figures, reads them again while open and stops when the page is left", async function () {
    // The owner's node as a registered custodian too: it then reports a stake.
    await world.registerCustodian(1, world.ownerApi.url);
    await world.withPage({}, async (page) => {
      await page.goto(world.appUrl("/"));
      assert.deepEqual(await page.page.$$eval("header nav a", (links) => links.map((a) => [a.textContent, a.getAttribute("href")])), [["Models", "#/"], ["My models", "#/owner"], ["Operator", "#/operator"]]);
      await page.page.click('header nav a[href="#/operator"]');
      await page.page.waitForSelector('#node-status[aria-busy="false"]');
      const node = await status();
      const peers = ((await (await fetch(`${world.ownerApi.url}/v1/peers`)).json()) as { peers: unknown[] }).peers.length;
      assert.equal(peers, 2, "both custodians are connected");
      assert.equal(await figure(page, "peers"), String(node.peers.count));
      assert.equal(node.peers.count, peers);
      assert.equal(await figure(page, "pins"), String(node.pins.count));
      assert.equal(await figure(page, "blockstore-bytes"), String(node.storage.blockstore.bytes));
      assert.ok(node.storage.blockstore.bytes > 60_000, "the published model is stored");
      assert.equal(await page.page.$eval("[data-unavailable=NOT_A_CUSTODIAN]", (n) => n.closest("dd")!.previousElementSibling!.textContent), "Key shares held");
      assert.ok(Number(await figure(page, "rate-in")) >= 0);
      // The stake appears once the node's cached chain read (5 s) sees the registration.
      await page.page.waitForSelector(`[data-figure-stake="${MIN_STAKE}"]`, { timeout: 20_000 });
      assert.equal((await status()).stake?.bonded, MIN_STAKE.toString());
      assert.equal(await figure(page, "challenges-answered"), "0");
      assert.equal(await figure(page, "challenges-missed"), "0");
      // Polled: the page reads the status again every few seconds.
      const polls = Number(await page.page.$eval("#node-status", (n) => n.getAttribute("data-polls")));
      await page.page.waitForFunction(`Number(document.querySelector("#node-status").dataset.polls) > ${polls}`, { timeout: 10_000 });
      await page.screenshot(this.test!.title, "operator");
      // Left: no more reads.
      await page.page.click('header nav a[href="#/"]');
      await page.waitForRoute();
      const reads = () => page.records.requests.filter((url) => url.endsWith("/v1/status")).length;
      const before = reads();
      await new Promise((resolve) => setTimeout(resolve, 7_000));
      assert.equal(reads(), before, "no status read after the page was left");
      page.assertClean(world.origins);
    });
  });

  it("shows a custodian node's key shares", async function () {
    const [custodianUrl] = await world.custodianUrls();
    await world.withPage({}, async (page) => {
      await page.goto(`${custodianUrl}/#/operator`);
      await page.page.waitForSelector('#node-status[aria-busy="false"]');
      const node = await status(custodianUrl);
      assert.ok(node.shares !== null && node.shares.count >= 1, "it holds the published model's share");
      assert.equal(await figure(page, "shares"), String(node.shares.count));
      assert.equal(await figure(page, "peers"), String(node.peers.count));
      await page.screenshot(this.test!.title, "custodian");
      page.assertClean([custodianUrl!, world.rpcUrl]);
    });
  });

  it("adds and removes a pin after confirmation; the node's status and list follow", async function () {
    const manifest = (await (await fetch(`${world.ownerApi.url}/v1/manifests/${model.manifestCid}`)).json()) as { manifest: { content: string } };
    const cid = manifest.manifest.content; // inside the model's pinned DAG, not a pin root of its own yet
    const countBefore = (await status()).pins.count;
    assert.ok(!(await pinned()).includes(cid));
    await world.withPage({}, async (page) => {
      await page.goto(world.appUrl("/operator"));
      await page.page.waitForSelector(`[data-pin="${model.manifestCid}"]`);
      await page.page.type("#pin-cid", cid);
      await page.page.click("#pin-add");
      assert.match(await page.text(".confirm p"), new RegExp(`^Pin ${cid}\\?`));
      await page.page.click("#confirm-no");
      await page.page.waitForFunction('document.querySelector("#confirm-yes") === null');
      assert.ok(!(await pinned()).includes(cid), "nothing is pinned without confirmation");

      await page.page.click("#pin-add");
      await page.page.click("#confirm-yes");
      assert.equal(await page.text("[data-pin-result]"), `Pinned ${cid}.`);
      await page.page.waitForSelector(`[data-pin="${cid}"]`);
      assert.ok((await pinned()).includes(cid));
      await eventually(status, (s) => s.pins.count === countBefore + 1, "the status's pin count");
      await page.page.waitForSelector(`[data-figure-pins="${countBefore + 1}"]`, { timeout: 15_000 });
      await page.screenshot(this.test!.title, "pinned");

      await page.page.click(`[data-remove="${cid}"]`);
      assert.match(await page.text(".confirm p"), new RegExp(`^Remove the pin ${cid}\\?`));
      await page.page.click("#confirm-yes");
      assert.equal(await page.text("[data-pin-result]"), `Removed the pin ${cid}.`);
      await page.page.waitForFunction(`document.querySelector('[data-pin="${cid}"]') === null`);
      assert.ok(!(await pinned()).includes(cid));
      await eventually(status, (s) => s.pins.count === countBefore, "the status's pin count");
      await page.page.waitForSelector(`[data-figure-pins="${countBefore}"]`, { timeout: 15_000 });
      page.assertClean(world.origins);
    });
  });

  it("shows the node's refusals: a malformed CID, a pin removed meanwhile", async function () {
    await world.withPage({}, async (page) => {
      await page.goto(world.appUrl("/operator"));
      await page.page.waitForSelector(`[data-pin="${model.manifestCid}"]`);
      await page.page.type("#pin-cid", "not-a-cid");
      await page.page.click("#pin-add");
      await page.page.click("#confirm-yes");
      const refusal = await page.page.waitForSelector(".pin-notice .error-banner");
      assert.equal(await refusal!.evaluate((e) => e.getAttribute("data-code")), "NODE_ERROR");
      assert.match(await page.text(".pin-notice .error-banner details code"), /\[INVALID_CID\]$/);

      // Removed through the API meanwhile: the page's Remove meets PIN_NOT_FOUND, then lists what is left.
      const removed = await fetch(`${world.ownerApi.url}/v1/pins/${model.manifestCid}`, { method: "DELETE" });
      assert.equal(removed.status, 200);
      await page.page.click(`[data-remove="${model.manifestCid}"]`);
      await page.page.click("#confirm-yes");
      await page.page.waitForFunction('document.querySelector(".pin-notice .error-banner code")?.textContent.endsWith("[PIN_NOT_FOUND]")');
      await page.page.waitForFunction(`document.querySelector('[data-pin="${model.manifestCid}"]') === null`);
      assert.equal(await page.text(".pins-list"), "Nothing is pinned.");
      await page.screenshot(this.test!.title, "refused");
      await (await fetch(`${world.ownerApi.url}/v1/pins/${model.manifestCid}`, { method: "POST" })).body?.cancel();
      // The browser logs each refused request (400, 404) as a console error: exactly those, nothing else.
      const logged = page.records.consoleErrors.splice(0);
      assert.equal(logged.length, 2, logged.join("\n"));
      assert.ok(logged.every((line) => /^Failed to load resource: the server responded with a status of 40[04]/.test(line)), logged.join("\n"));
      page.assertClean(world.origins);
    });
  });

  it("keeps status and pins to the node's own origin (CORS unchanged)", async () => {
    const other = { origin: "http://other.example" };
    const read = await fetch(`${world.ownerApi.url}/v1/status`, { headers: other });
    assert.equal(read.headers.get("access-control-allow-origin"), null, "no page of another origin may read the status");
    await read.body?.cancel();
    const change = await fetch(`${world.ownerApi.url}/v1/pins/${model.manifestCid}`, { method: "DELETE", headers: other });
    assert.equal(change.status, 403);
    assert.equal(((await change.json()) as { error: { code: string } }).error.code, "CROSS_ORIGIN_REFUSED");
  });
});
