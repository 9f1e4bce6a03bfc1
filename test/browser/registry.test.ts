/**
 * The registry and model pages in Chromium against a hardhat node and real modelvault nodes
 * (test/browser/fixtures/app-world.ts): the list and its search, a model's versions and files
 * (a file model with two versions, a directory model), custodians with stake, an ownership
 * attestation made with the CI circuit, and the history trail with its links.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { AppWorld, privateKeyAt, type PublishedModel } from "./fixtures/app-world.js";
import { identityAt, MIN_STAKE } from "../node/fixtures/custody.js";
import type { AppPage } from "../helpers/browser.js";

/** Waits until every deferred part of the page settled, and returns the route's text. */
async function settled(page: AppPage): Promise<void> {
  await page.waitForRoute();
  await page.page.waitForFunction('document.querySelector("main#outlet [aria-busy=\\"true\\"]") === null', { timeout: 60_000 });
}

const rowTexts = (page: AppPage, selector: string) => page.page.$$eval(selector, (rows) => rows.map((row) => (row.textContent ?? "").trim()));

describe("browser: the registry and model pages", function () {
  this.timeout(300_000);
  let world: AppWorld;

  before(async () => {
    world = await AppWorld.start();
  });

  after(async () => {
    await world?.stop();
  });

  it("says so when no model is registered", async function () {
    await world.withPage({}, async (page) => {
      await page.goto(world.appUrl("/"));
      await settled(page);
      assert.equal(await page.text("[data-empty=registry]"), "No model is registered yet.");
      await page.screenshot(this.test!.title, "empty");
      page.assertClean(world.origins);
    });
  });

  describe("with models", () => {
    let alpha: PublishedModel & { version: number };
    let beta: PublishedModel & { version: number };
    const owner = identityAt(1).address;

    before(async () => {
      const secret = 12345678901234567890n;
      alpha = await world.publishWith("alpha registry model", randomBytes(40_000), { ownerSecret: secret });
      beta = await world.publishWith("beta directory model", new Map([["config.json", Buffer.from('{"layers":2}')], ["weights/part-1.bin", randomBytes(30_000)]]), { price: 2n * 10n ** 15n });
      alpha = await world.publishWith("alpha registry model", randomBytes(41_000), { rotate: alpha.modelId, ownerSecret: secret });
      await world.buyLicence(alpha.modelId, 2);
      await world.attestOwnership(alpha.modelId, secret);
    });

    it("lists the models with name, owner, price, terms and status, and searches them by name, owner and id", async function () {
      await world.withPage({}, async (page) => {
        await page.goto(world.appUrl("/"));
        await settled(page);
        const rows = await rowTexts(page, "#model-results tbody tr");
        assert.equal(rows.length, 2);
        assert.match(rows[0]!, new RegExp(`^${alpha.modelId}alpha registry model0x7099…79C80\\.001 ETH1 d, unlimited uses2active$`));
        assert.match(rows[1]!, new RegExp(`^${beta.modelId}beta directory model0x7099…79C80\\.002 ETH1 d, unlimited uses1active$`));
        assert.equal(await page.text("[data-summary]"), "2 models registered; showing 1–2.");
        await page.screenshot(this.test!.title, "registry");

        const search = async (text: string) => {
          await page.page.$eval("#model-search", (input, value) => {
            (input as unknown as { value: string }).value = value as string;
            input.dispatchEvent(new Event("input"));
          }, text);
          return rowTexts(page, "#model-results tbody tr td:nth-child(2)");
        };
        assert.deepEqual(await search("DIRECTORY"), ["beta directory model"]);
        assert.equal(new URL(page.page.url()).hash, "#/?q=DIRECTORY");
        assert.equal(await page.text("[data-summary]"), "1 of 2 models match; showing 1–1.");
        await page.screenshot(this.test!.title, "search");
        assert.deepEqual(await search(owner.toLowerCase()), ["alpha registry model", "beta directory model"]);
        assert.deepEqual(await search(owner.slice(2, 12)), ["alpha registry model", "beta directory model"]);
        assert.deepEqual(await search(`#${alpha.modelId}`), ["alpha registry model"]);
        assert.deepEqual(await search(String(beta.modelId)), ["beta directory model"]);
        assert.deepEqual(await search("no such model"), []);
        assert.equal(await page.text("[data-summary]"), "No model matches “no such model” (of 2 registered).");
        assert.deepEqual(await search(identityAt(5).address), []); // another account owns nothing

        // A search is a route: reloading (or a link) shows the same results.
        await page.goto(world.appUrl("/?q=beta"));
        await settled(page);
        assert.equal(await page.page.$eval("#model-search", (input) => (input as unknown as { value: string }).value), "beta");
        assert.deepEqual(await rowTexts(page, "#model-results tbody tr td:nth-child(2)"), ["beta directory model"]);
        // Each row opens its model's page.
        await page.page.click("#model-results tbody tr a");
        await page.page.waitForSelector(`main#outlet[data-route="/models/:id"]`);
        assert.equal(new URL(page.page.url()).hash, `#/models/${beta.modelId}`);
        await settled(page);
        page.assertClean(world.origins);
      });
    });

    it("shows a model's versions and files, custodians with stake, its attestation and its history", async function () {
      await world.withPage({ wallet: world.wallet(2) }, async (page) => {
        await page.goto(world.appUrl(`/models/${alpha.modelId}`));
        await settled(page);
        assert.equal(await page.text("main#outlet h1"), `Model ${alpha.modelId}: alpha registry model`);
        assert.equal(await page.page.$eval("[data-owner]", (a) => a.getAttribute("data-owner")), owner);
        assert.equal(await page.page.$eval("#open-model", (a) => a.getAttribute("href")), `#/models/${alpha.modelId}/open`);
        assert.equal(await page.page.$("#manage-model"), null, "account 2 does not own the model");

        // Versions, newest first: the current one open with its file, the first one's files on opening it.
        assert.deepEqual(await page.page.$$eval("[data-version]", (nodes) => nodes.map((n) => [n.getAttribute("data-version"), (n as unknown as { open: boolean }).open])), [["2", true], ["1", false]]);
        assert.match(await page.text('[data-files="2"]'), /One file, 40\.0 KiB .*alpha registry model40\.0 KiB/);
        await page.page.click('[data-version="1"] summary');
        await page.page.waitForSelector('[data-files="1"][aria-busy="false"]');
        assert.match(await page.text('[data-files="1"]'), /One file, 39\.1 KiB/);

        // Custodians: both, current, with the stake they registered with, no challenge yet.
        const custodians = await page.page.$$eval("[data-custodian]", (rows) => rows.map((r) => [r.getAttribute("data-custodian"), r.querySelector("[data-stake]")!.getAttribute("data-stake"), r.querySelector("[data-challenges]")!.textContent]));
        assert.deepEqual(custodians, world.custodians.map((c) => [c, MIN_STAKE.toString(), "none"]));

        // The ownership attestation, for version 2, by the owner.
        const attestations = await rowTexts(page, "[data-attestation]");
        assert.equal(attestations.length, 1);
        assert.match(attestations[0]!, /^Ownership proofversion 20x7099…79C8nonce /);

        // The trail: every event, in chain order.
        const events = await page.page.$$eval("table.history tbody tr", (rows) => rows.map((r) => r.getAttribute("data-event")));
        assert.deepEqual(events.filter((e) => e !== "TermsUpdated"), ["ModelRegistered", "VersionPublished", "VersionPublished", "LicensePurchased", "OwnershipAttested"]);
        const bought = await page.text('tr[data-event="LicensePurchased"] td:last-child');
        assert.match(bought, /^0x3C44…93BC bought a licence for version 2 at 0\.001 ETH \(until .* UTC, unlimited uses\)$/);
        // Its links lead into the page: the version, the custodians, the attestation.
        await page.page.click('tr[data-event="OwnershipAttested"] a.jump[data-target^="attestation-"]');
        await page.page.waitForSelector("tr[data-attestation].highlight");
        await page.page.click('tr[data-event="VersionPublished"] a.jump[data-target="version-1"]');
        await page.page.waitForSelector('[data-version="1"].highlight');
        assert.equal(await page.page.$$eval('tr[data-event="VersionPublished"] a.jump[data-target^="custodian-"]', (links) => links.length), 4);
        await page.screenshot(this.test!.title, "model");
        page.assertClean(world.origins);
      });
    });

    it("links the owner's wallet to the owner page, and follows an account switch", async function () {
      const wallet = world.wallet(1);
      await world.withPage({ wallet }, async (page) => {
        await page.goto(world.appUrl(`/models/${alpha.modelId}`));
        await settled(page);
        assert.equal(await page.page.$("#manage-model"), null, "not before the wallet is connected");
        await page.page.click("#connect-wallet");
        assert.equal(await (await page.page.waitForSelector("#manage-model"))!.evaluate((a) => a.getAttribute("href")), `#/owner/${alpha.modelId}`);
        await page.screenshot(this.test!.title, "owner");
        await wallet.useAccount(privateKeyAt(2));
        await page.page.waitForFunction('document.querySelector("#manage-model") === null');
        page.assertClean(world.origins);
      });
    });

    it("shows a directory model's files", async function () {
      await world.withPage({}, async (page) => {
        await page.goto(world.appUrl(`/models/${beta.modelId}`));
        await settled(page);
        assert.match(await page.text('[data-files="1"] p'), /^Directory of 2 files, 29\.3 KiB/);
        const files = await page.page.$$eval('[data-files="1"] tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll("td")].slice(0, 2).map((td) => td.textContent)));
        assert.deepEqual(files, [["config.json", "12 B"], ["weights/part-1.bin", "29.3 KiB"]]);
        assert.equal(await page.text("[data-empty=attestations]"), "No proof has been attested for this model yet.");
        await page.screenshot(this.test!.title, "directory-model");
        page.assertClean(world.origins);
      });
    });

    it("refuses an unknown model and a malformed id with the error banner", async function () {
      await world.withPage({}, async (page) => {
        await page.goto(world.appUrl("/models/999"));
        await settled(page);
        assert.equal(await page.page.$eval("main#outlet .error-banner", (e) => e.getAttribute("data-code")), "UNKNOWN_MODEL");
        await page.screenshot(this.test!.title, "unknown");
        await page.goto(world.appUrl("/models/abc"));
        assert.equal(await page.page.$eval("main#outlet .error-banner", (e) => e.getAttribute("data-code")), "INVALID_ARGUMENT");
        page.assertClean(world.origins);
      });
    });
  });
});
