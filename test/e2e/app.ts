import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchPersistentChromium } from "../support/chromium.js";

export { CHROMIUM_PATH, launchChromium } from "../support/chromium.js";

export interface FetchResult {
  status: number;
  body: string;
  cacheStatus: string | null;
}

export interface App {
  context: BrowserContext;
  page: Page;
  fetchThrough: (path: string, init?: RequestInit) => Promise<FetchResult>;
  close: () => Promise<void>;
}

/** A fresh incognito profile (its own service worker and IndexedDB) with the demo app loaded and controlling the page. */
export async function openApp(browser: Browser, edgeUrl: string): Promise<App> {
  const context = await browser.newContext();
  return load(context, edgeUrl, () => context.close());
}

/**
 * The same on a profile kept on disk: Chromium enforces a per-origin quota override only there
 * (an incognito profile keeps storage in memory).
 */
export async function openPersistentApp(edgeUrl: string, options: { quotaBytes?: number } = {}): Promise<App> {
  const directory = mkdtempSync(join(tmpdir(), "edgecache-chromium-"));
  const context = await launchPersistentChromium(directory);
  if (options.quotaBytes !== undefined) {
    // Before anything of the origin runs, so its service worker starts under the quota too.
    const blank = context.pages()[0] ?? (await context.newPage());
    const cdp = await context.newCDPSession(blank);
    await cdp.send("Storage.overrideQuotaForOrigin", { origin: edgeUrl, quotaSize: options.quotaBytes });
  }
  return load(context, edgeUrl, async () => {
    await context.close();
    rmSync(directory, { recursive: true, force: true });
  });
}

async function load(context: BrowserContext, edgeUrl: string, close: () => Promise<void>): Promise<App> {
  const page = await context.newPage();
  await page.goto(`${edgeUrl}/app/`);
  await page.waitForSelector("body[data-ready=true]");
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  const fetchThrough = (path: string, init?: RequestInit) =>
    page.evaluate(
      async ([url, requestInit]) => {
        const response = await fetch(url as string, requestInit as RequestInit | undefined);
        return { status: response.status, body: await response.text(), cacheStatus: response.headers.get("cache-status") };
      },
      [path, init ?? null] as const,
    );
  return { context, page, fetchThrough, close };
}
