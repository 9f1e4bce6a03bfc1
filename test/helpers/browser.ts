/**
 * Real-browser tests: Debian's Chromium (/usr/bin/chromium, or MODELVAULT_CHROMIUM) driven by
 * puppeteer-core, which never downloads a browser. Every page records console errors, page
 * errors, failed requests, CSP violations and every URL it requested, for assertClean().
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import type { TestWallet } from "./test-wallet.js";

export const CHROMIUM = process.env.MODELVAULT_CHROMIUM || "/usr/bin/chromium";
export const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "test-artifacts", "screenshots");

const CSP_REPORT = "__modelvaultCspViolation";

export interface PageRecords {
  consoleErrors: string[];
  pageErrors: string[];
  failedRequests: string[];
  cspViolations: string[];
  /** Every URL the page requested (documents, scripts, fetches), in order. */
  requests: string[];
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set MODELVAULT_CHROMIUM)`);
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...(root ? ["--no-sandbox"] : []), "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check"],
  });
}

/** A page under test: its records, and the wallet injected into it (when one was given). */
export class AppPage {
  readonly records: PageRecords = { consoleErrors: [], pageErrors: [], failedRequests: [], cspViolations: [], requests: [] };

  private constructor(
    readonly page: Page,
    readonly wallet: TestWallet | undefined,
  ) {}

  /** A new tab of `browser`, recording from its first request; `wallet` becomes its window.ethereum. */
  static async open(browser: Browser, options: { wallet?: TestWallet } = {}): Promise<AppPage> {
    const page = await browser.newPage();
    const app = new AppPage(page, options.wallet);
    const { records } = app;
    page.on("console", (message) => {
      if (message.type() === "error") records.consoleErrors.push(`${message.text()} (${message.location().url ?? "?"})`);
    });
    page.on("pageerror", (error) => records.pageErrors.push(error instanceof Error ? (error.stack ?? error.message) : String(error)));
    page.on("requestfailed", (request) => records.failedRequests.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText ?? "failed"}`));
    page.on("request", (request) => records.requests.push(request.url()));
    await page.exposeFunction(CSP_REPORT, (text: string) => records.cspViolations.push(text));
    await page.evaluateOnNewDocument(`document.addEventListener("securitypolicyviolation", (e) => window.${CSP_REPORT}(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber));`);
    if (options.wallet !== undefined) await options.wallet.attach(page);
    return app;
  }

  /** Opens `url` and waits until the router rendered a route (main[aria-busy=false]). */
  async goto(url: string): Promise<void> {
    await this.page.goto(url, { waitUntil: "load" });
    await this.waitForRoute();
  }

  /** Waits for the current route's content (after a hash change or a click). */
  async waitForRoute(timeout = 30_000): Promise<void> {
    await this.page.waitForSelector('main#outlet[aria-busy="false"]', { timeout });
  }

  /** The text of the first element matching `selector` (waits for it). */
  async text(selector: string): Promise<string> {
    const element = await this.page.waitForSelector(selector, { timeout: 30_000 });
    return (await element!.evaluate((node) => node.textContent ?? "")).trim();
  }

  /** Writes test-artifacts/screenshots/<test>-<name>.png; returns its path. */
  async screenshot(test: string, name: string): Promise<string> {
    await mkdir(SCREENSHOTS, { recursive: true });
    const path = join(SCREENSHOTS, `${slug(test)}-${slug(name)}.png`) as `${string}.png`;
    await this.page.screenshot({ path, fullPage: true });
    return path;
  }

  /**
   * Fails on any console error, page error, failed request or CSP violation, and on any request
   * outside `origins` (the node's origin and the chain RPC's): the app loads nothing from outside.
   */
  assertClean(origins: readonly string[]): void {
    const { consoleErrors, pageErrors, failedRequests, cspViolations, requests } = this.records;
    assert.deepEqual(cspViolations, [], "CSP violations");
    assert.deepEqual(pageErrors, [], "page errors");
    assert.deepEqual(consoleErrors, [], "console errors");
    assert.deepEqual(failedRequests, [], "failed requests");
    const allowed = new Set(origins.map((origin) => new URL(origin).origin));
    const outside = requests.filter((url) => !url.startsWith("data:") && !url.startsWith("blob:") && !allowed.has(new URL(url).origin));
    assert.deepEqual(outside, [], `requests outside ${[...allowed].join(", ")}`);
  }

  async close(): Promise<void> {
    if (!this.page.isClosed()) await this.page.close();
  }
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 80) || "page";
}
