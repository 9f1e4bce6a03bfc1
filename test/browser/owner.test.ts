/**
 * The owner's pages in Chromium (test/browser/fixtures/app-world.ts): a file published through
 * #/owner/publish for the injected wallet (the node seals, the wallet signs and registers),
 * checked on chain and opened by a licensee in Node (k shares, SHA-256 of the original); then
 * #/owner/:id changes terms, grants and revokes a licence and withdraws a sale's earnings, each
 * read back from the chain; wallet refusals and another account are shown as such.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { bytesToHex, createPublicClient, createWalletClient, defineChain, http, parseEther, type Address, type Chain } from "viem";
import { createModelvaultClient, modelVaultAbi, type ModelvaultClient } from "../../sdk/index.js";
import type { AppPage } from "../helpers/browser.js";
import { assertSdkCode } from "../helpers/sdk-errors.js";
import type { TestWallet } from "../helpers/test-wallet.js";
import { identityAt } from "../node/fixtures/custody.js";
import { AppWorld } from "./fixtures/app-world.js";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const OWNER = 6; // the wallet's account: not the node's (1), nor a custodian's (3, 4)

describe("browser: the owner's pages (publish from the wallet, terms, licences, earnings)", function () {
  this.timeout(240_000);
  let world: AppWorld;
  let chain: Chain;
  let wallet: TestWallet;
  let modelId: bigint;
  const publicClient = () => createPublicClient({ chain, transport: http(world.rpcUrl) });

  /** An SDK client in Node for account `index` (the licensee's side, and reads). */
  const sdkFor = (index: number, nodeUrl = world.ownerApi.url): ModelvaultClient => {
    const transport = http(world.rpcUrl);
    return createModelvaultClient({
      publicClient: createPublicClient({ chain, transport, pollingInterval: 50 }),
      walletClient: createWalletClient({ account: identityAt(index).account, chain, transport, pollingInterval: 50 }),
      deployment: world.devnet.deployment,
      nodeUrl,
    });
  };
  const fill = (page: AppPage, selector: string, value: string) =>
    page.page.$eval(selector, (element, text) => {
      (element as unknown as { value: string }).value = text;
    }, value);
  /** Waits until the element's text matches `pattern` (what the page says after an action). */
  const says = (page: AppPage, selector: string, pattern: RegExp) =>
    page.page.waitForFunction(`new RegExp(${JSON.stringify(pattern.source)}).test(document.querySelector(${JSON.stringify(selector)})?.textContent ?? "")`, { timeout: 60_000 });
  const chooseFile = async (page: AppPage, bytes: Uint8Array, name: string) => {
    const path = join(world.dir, name);
    await writeFile(path, bytes);
    const input = await page.page.waitForSelector("#publish-file");
    await (input as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(path);
  };
  const stepState = (page: AppPage, step: string) => page.page.$eval(`[data-step="${step}"]`, (element) => element.getAttribute("data-state"));

  before(async () => {
    world = await AppWorld.start();
    chain = defineChain({ id: world.devnet.chain.chainId, name: "hardhat", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [world.rpcUrl] } } });
    wallet = world.wallet(OWNER);
  });

  after(async () => {
    await world?.stop();
  });

  it("publishes a file with custody and terms, signed by the wallet; a licensee decrypts the same bytes", async function () {
    const original = randomBytes(300_000);
    let shownKey = "";
    await world.withPage({ wallet }, async (page) => {
      await page.goto(world.appUrl("/owner/publish"));
      // The chain's registered custodians, with their stake, chosen by default.
      for (const custodian of world.custodians) {
        assert.equal(await page.page.$eval(`input[name=custodian][value="${custodian}"]`, (box) => (box as unknown as { checked: boolean }).checked), true);
      }
      assert.match(await page.text("fieldset.custodians"), /staked \d/);
      await chooseFile(page, original, "weights.bin");
      await fill(page, "#publish-name", "browser-published");
      await fill(page, "input[name=price]", "0.002");
      await fill(page, "input[name=duration]", "1");
      await fill(page, "input[name=max-uses]", "5");
      await page.screenshot(this.test!.title, "publish-form");
      await page.page.click("#publish");
      await page.page.waitForSelector('[data-step="register"][data-state="done"]', { timeout: 120_000 });
      modelId = BigInt((await page.page.$eval("[data-model-id]", (element) => element.getAttribute("data-model-id")))!);
      shownKey = await page.text("#content-key");
      assert.match(shownKey, /^0x[0-9a-f]{64}$/);
      assert.match(await page.text(".secrets .warning"), /Anyone with this key can decrypt the model/);
      assert.match((await page.page.$eval("#save-key", (a) => a.getAttribute("href")))!, /^blob:/);
      assert.match(await page.text(".progress-label"), /sealed/);
      assert.equal(await page.page.$eval(".progress", (bar) => bar.getAttribute("data-sent")), String(original.length), "the upload's progress, as the browser sent it");
      assert.deepEqual(wallet.requests.filter((m) => m === "eth_signTypedData_v4").length, 1 + world.custodians.length, "the manifest and one deposit per custodian");
      await page.screenshot(this.test!.title, "published");
      await page.page.click("#forget-key");
      await page.page.waitForSelector("[data-key-forgotten]");
      assert.equal(await page.page.$("#content-key"), null);
      page.assertClean(world.origins);
    });

    const reader = sdkFor(OWNER);
    const model = await reader.getModel(modelId);
    assert.equal(model.owner, wallet.address, "the chain's owner is the wallet, not the node");
    assert.deepEqual(model.terms, { price: parseEther("0.002"), duration: 86_400, maxUses: 5, minStake: 0n, carryOver: false });
    const version = await reader.getVersion(modelId, 1);
    assert.deepEqual([version.custodians, version.threshold], [world.custodians, 2]);

    const licensee = sdkFor(7);
    await licensee.buyLicence(modelId);
    const ticket = await licensee.requestTicket(modelId);
    const { key, manifestCid } = await licensee.collectKey({ modelId, ticket });
    assert.equal(manifestCid, version.manifestCid);
    assert.equal(bytesToHex(key), shownKey, "the key the page showed is the one the custodians' shares combine to");
    assert.equal(sha256(await licensee.fetchModel(manifestCid, key, { expectedOwner: wallet.address })), sha256(original));
  });

  it("changes terms, grants and revokes a licence, pauses sales and withdraws the sale's earnings, each on chain", async function () {
    const reader = sdkFor(OWNER);
    const friend: Address = identityAt(8).address;
    await world.withPage({ wallet }, async (page) => {
      await page.goto(world.appUrl("/owner"));
      await page.page.waitForSelector(`a[data-model-id="${modelId}"]`);
      await page.screenshot(this.test!.title, "my-models");
      await page.page.click(`a[data-model-id="${modelId}"]`);
      await page.waitForRoute();
      await page.page.waitForSelector("#save-terms");
      // The sale of the first test is listed, as bought.
      assert.match(await page.page.$eval(`[data-licensee="${identityAt(7).address}"]`, (cell) => cell.closest("tr")!.textContent!), /bought.*usable/);

      await fill(page, "input[name=price]", "0.003");
      await page.page.click("#save-terms");
      await says(page, ".owner-status", /Terms saved/);
      assert.equal((await reader.getModel(modelId)).terms.price, parseEther("0.003"));

      await fill(page, "#grantee", friend);
      await fill(page, "#grant-days", "2");
      await fill(page, "#grant-uses", "3");
      await page.page.click("#grant");
      await says(page, ".owner-status", /Licence granted/);
      assert.equal(await reader.hasAccess(modelId, friend), true);
      const granted = await publicClient().readContract({ address: world.devnet.deployment.contracts.ModelVault, abi: modelVaultAbi, functionName: "licenseOf", args: [modelId, friend] });
      assert.equal(granted.maxUses, 3);
      assert.ok(Math.abs(granted.expiresAt - (Math.floor(Date.now() / 1000) + 2 * 86_400)) < 600, "expires in two days");
      await page.page.waitForSelector(`[data-revoke="${friend}"]`);
      await page.screenshot(this.test!.title, "granted");
      await page.page.click(`[data-revoke="${friend}"]`);
      await says(page, ".owner-status", /is revoked/);
      assert.equal(await reader.hasAccess(modelId, friend), false);

      await page.page.click("#pause");
      await says(page, ".owner-status", /Sales are paused/);
      assert.equal((await reader.getModel(modelId)).status, "paused");
      await page.page.click("#unpause");
      await says(page, ".owner-status", /active again/);
      assert.equal((await reader.getModel(modelId)).status, "active");
      await assertSdkCode(reader.changeStatus(modelId, "unpause"), "INVALID_STATUS");
      await assertSdkCode(sdkFor(9).changeStatus(modelId, "pause"), "NOT_OWNER");

      const claimable = BigInt((await page.page.$eval("#claimable", (element) => element.getAttribute("data-wei")))!);
      const earnings = await reader.earnings(wallet.address);
      assert.ok(claimable > 0n, "the sale's owner part is claimable");
      assert.equal(claimable, earnings.total);
      const fromBlock = await publicClient().getBlockNumber();
      await page.page.click("#withdraw");
      await says(page, ".owner-status", /Withdrew/);
      const [withdrawn] = await publicClient().getContractEvents({ address: world.devnet.deployment.contracts.ModelVault, abi: modelVaultAbi, eventName: "Withdrawn", args: { account: wallet.address }, fromBlock });
      assert.equal(withdrawn?.args.amount, claimable, "the claimable amount was paid to the wallet");
      assert.equal((await reader.earnings(wallet.address)).total, 0n);
      assert.equal(await page.page.$eval("#claimable", (element) => element.getAttribute("data-wei")), "0");
      await page.screenshot(this.test!.title, "withdrawn");
      page.assertClean(world.origins);
    });
  });

  it("shows a wallet's refusal (4001) at each step and continues after it; refuses bad input and other accounts", async function () {
    await world.withPage({ wallet }, async (page) => {
      await page.goto(world.appUrl("/owner/publish"));
      const asked = wallet.requests.length;
      await page.page.click("#publish");
      assert.equal(await (await page.page.waitForSelector(".publish-problem .error-banner"))!.evaluate((e) => e.getAttribute("data-code")), "INVALID_ARGUMENT");
      assert.deepEqual(wallet.requests.slice(asked).filter((m) => m === "eth_requestAccounts" || m.startsWith("eth_sign")), [], "refused before the wallet is asked");
      assert.match(await page.text(".publish-problem .error-banner"), /choose a file/);

      await chooseFile(page, randomBytes(40_000), "refused.bin");
      await fill(page, "input[name=price]", "one ether");
      await page.page.click("#publish");
      await says(page, ".publish-problem .error-banner", /price: "one ether" is not an amount in ETH/);
      await fill(page, "input[name=price]", "0");
      wallet.refuseNext("eth_signTypedData_v4");
      await page.page.click("#publish");
      await page.page.waitForSelector('[data-step="sign"][data-state="failed"]', { timeout: 60_000 });
      assert.equal(await page.page.$eval(".publish-problem .error-banner", (e) => e.getAttribute("data-code")), "WALLET_REFUSED");
      assert.match(await page.text(".publish-problem .error-banner strong"), /refused (the request )?in your wallet/);
      assert.equal(await page.text("#publish"), "Continue");
      await page.screenshot(this.test!.title, "signature-refused");

      wallet.refuseNext("eth_sendTransaction");
      await page.page.click("#publish");
      await page.page.waitForSelector('[data-step="register"][data-state="failed"]', { timeout: 60_000 });
      assert.equal(await stepState(page, "sign"), "done");
      assert.equal(await page.page.$eval(".publish-problem .error-banner", (e) => e.getAttribute("data-code")), "WALLET_REFUSED");

      await page.page.click("#publish");
      await page.page.waitForSelector('[data-step="register"][data-state="done"]', { timeout: 60_000 });
      const second = BigInt((await page.page.$eval("[data-model-id]", (element) => element.getAttribute("data-model-id")))!);
      assert.equal((await sdkFor(OWNER).getModel(second)).owner, wallet.address);
      page.assertClean(world.origins);
    });

    // Another account reads the owner's page but cannot act.
    const stranger = world.wallet(9);
    await world.withPage({ wallet: stranger }, async (page) => {
      // #/owner asks for a wallet first, then lists what it owns (nothing).
      await page.goto(world.appUrl("/owner"));
      await page.page.click("#owner-connect");
      await page.page.waitForSelector("[data-account]");
      assert.equal(await page.text(".owner-list .empty"), "This wallet owns no model yet.");
      await page.page.evaluate(`location.hash = "#/owner/${modelId}"`);
      await page.waitForRoute();
      assert.match(await page.text(".owner-only"), /Only the owner's wallet can change this model/);
      for (const id of ["#save-terms", "#grant", "#withdraw"]) assert.equal(await page.page.$eval(id, (b) => (b as unknown as { disabled: boolean }).disabled), true, id);
      await page.screenshot(this.test!.title, "not-the-owner");
      await page.page.evaluate(`location.hash = "#/owner/999"`);
      assert.equal(await (await page.page.waitForSelector("main#outlet .error-banner[data-code]"))!.evaluate((e) => e.getAttribute("data-code")), "UNKNOWN_MODEL");
      page.assertClean(world.origins);
    });
  });
});
