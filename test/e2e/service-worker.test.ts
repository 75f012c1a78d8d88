import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { launchChromium, openApp, openPersistentApp } from "./app.js";

const edge = inject("edgeUrl");
const origin = inject("e2eOriginUrl");
const ADMIN = { authorization: "Bearer dev-admin-token", "content-type": "application/json" };

let browser: Browser;
let context: BrowserContext | undefined;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await context?.close();
  context = undefined;
  await fetch(`${origin}/__test/reset`);
});

/** A scripted origin response reached through the edge; `cdncc: no-store` keeps the edge out of it, so the browser's cache is what is tested. */
const echo = (params: Record<string, string | number>) => `/__test/echo?${new URLSearchParams({ id: crypto.randomUUID().slice(0, 8), ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])) })}`;
const originCount = async (path: string) => ((await (await fetch(`${origin}/__test/count?path=${encodeURIComponent(path)}`)).json()) as { count: number }).count;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("edgecache in a service worker (real Chromium, real IndexedDB)", () => {
  it("works offline: load, go offline, reload, and the page is still there", async () => {
    const app = await openApp(browser, edge);
    context = app.context;
    const online = await app.page.textContent("#post");
    expect(online).toMatch(/Served from the origin/);
    await app.context.setOffline(true);
    await app.page.reload();
    await app.page.waitForSelector("body[data-ready=true]");
    // Offline indeed: what was never cached cannot be had.
    await expect(app.fetchThrough(echo({ never: "cached" }))).rejects.toThrow();
    expect(await app.page.textContent("#post")).toBe(online);
    expect(await app.page.textContent("#post-status")).toMatch(/^200 · .*edgecache-sw; hit/);
  });

  it("answers a fresh entry from IndexedDB without the network", async () => {
    const app = await openApp(browser, edge);
    context = app.context;
    const path = echo({ cc: "max-age=600", cdncc: "no-store" });
    const first = await app.fetchThrough(path);
    const second = await app.fetchThrough(path);
    expect(second.body).toBe(first.body);
    expect(second.cacheStatus).toMatch(/edgecache-sw; hit; ttl=\d+$/);
    expect(await originCount(path)).toBe(1);
  });

  it("serves a stale entry at once and refreshes it through event.waitUntil", async () => {
    const app = await openApp(browser, edge);
    context = app.context;
    const path = echo({ cc: "max-age=1, stale-while-revalidate=60", cdncc: "no-store" });
    const first = await app.fetchThrough(path);
    await pause(1200);
    const stale = await app.fetchThrough(path);
    expect(stale.body).toBe(first.body);
    expect(stale.cacheStatus).toMatch(/edgecache-sw; hit; ttl=-?\d+; detail=stale-while-revalidate$/);
    await expect.poll(() => originCount(path)).toBe(2);
    await expect.poll(async () => (await app.fetchThrough(path)).body).not.toBe(first.body);
  });

  it("stands in with a stored copy when the origin fails (stale-if-error)", async () => {
    const app = await openApp(browser, edge);
    context = app.context;
    const path = echo({ cc: "max-age=1", cdncc: "no-store" });
    const first = await app.fetchThrough(path);
    await fetch(`${origin}/__test/fail?path=${encodeURIComponent("/__test/echo")}&mode=500`);
    await pause(1200);
    const rescued = await app.fetchThrough(path);
    expect(rescued.status).toBe(200);
    expect(rescued.body).toBe(first.body);
    expect(rescued.cacheStatus).toMatch(/edgecache-sw; hit; ttl=-?\d+; detail=stale-if-error$/);
  });

  it("learns a purge made at the edge: purge a tag, come back online, and it is gone", async () => {
    const app = await openApp(browser, edge);
    context = app.context;
    const path = echo({ cc: "public, max-age=600", tags: "e2e-purged" });
    const kept = echo({ cc: "public, max-age=600", tags: "e2e-kept" });
    const first = await app.fetchThrough(path);
    await app.fetchThrough(kept);
    await app.context.setOffline(true);
    const purge = await fetch(`${edge}/_cache/purge`, { method: "POST", headers: ADMIN, body: JSON.stringify({ tags: ["e2e-purged"] }) });
    expect(((await purge.json()) as { purged: number }).purged).toBe(1);
    // Offline, the browser still has its copy.
    expect((await app.fetchThrough(path)).body).toBe(first.body);
    await app.context.setOffline(false);
    // The page learns the edge's purges when it comes back online.
    await expect.poll(() => app.page.textContent("#log")).toMatch(/back online, learnt: \{"applied":1,"purged":1\}/);
    const after = await app.fetchThrough(path);
    expect(after.body).not.toBe(first.body);
    expect(await originCount(path)).toBe(2);
    expect((await app.fetchThrough(kept)).cacheStatus).toMatch(/edgecache-sw; hit/);
  });

  it("learns the edge's purges before answering a navigation", async () => {
    const app = await openApp(browser, edge);
    context = app.context;
    const path = echo({ cc: "public, max-age=600", tags: "e2e-navigation" });
    const first = await app.fetchThrough(path);
    await app.context.setOffline(true);
    await fetch(`${edge}/_cache/purge`, { method: "POST", headers: ADMIN, body: JSON.stringify({ tags: ["e2e-navigation"] }) });
    await app.context.setOffline(false);
    // Past the purge sync's minimum interval (3 s), the next navigation asks the feed first.
    await pause(3100);
    await app.page.reload();
    await app.page.waitForSelector("body[data-ready=true]");
    const after = await app.fetchThrough(path);
    expect(after.cacheStatus).toMatch(/edgecache; fwd=miss; stored, edgecache-sw; fwd=miss; stored$/);
    expect(after.body).not.toBe(first.body);
  });

  it("keeps its entries across a reload and a service-worker restart", async () => {
    const app = await openApp(browser, edge);
    context = app.context;
    const path = echo({ cc: "max-age=600", cdncc: "no-store" });
    const first = await app.fetchThrough(path);
    const cdp = await app.context.newCDPSession(app.page);
    await cdp.send("ServiceWorker.enable");
    await cdp.send("ServiceWorker.stopAllWorkers");
    await app.page.reload();
    await app.page.waitForSelector("body[data-ready=true]");
    await app.context.setOffline(true);
    const again = await app.fetchThrough(path);
    expect(again.body).toBe(first.body);
    expect(again.cacheStatus).toMatch(/edgecache-sw; hit/);
  });

  it("under a small quota evicts the least recently used entries, never everything", async () => {
    const app = await openPersistentApp(edge, { quotaBytes: 4 * 1024 * 1024 });
    try {
      const paths = Array.from({ length: 24 }, (_, i) => echo({ cc: "max-age=600", cdncc: "no-store", random: 400_000, n: i }));
      // 24 × 400 KB of incompressible bodies cannot all fit in 4 MB.
      for (const path of paths) expect((await app.fetchThrough(path)).status).toBe(200);
      const stats = await app.page.evaluate(() => (window as unknown as { edgecache: { stats(): Promise<{ entries: number; errors: number }> } }).edgecache.stats());
      expect(stats.entries).toBeGreaterThanOrEqual(3);
      expect(stats.entries).toBeLessThan(paths.length);
      await app.context.setOffline(true);
      // The latest is kept, the earliest went first.
      expect((await app.fetchThrough(paths.at(-1)!)).status).toBe(200);
      await expect(app.fetchThrough(paths[0]!)).rejects.toThrow();
    } finally {
      await app.close();
    }
  });

  it("lets the page purge locally and read stats and warming status", async () => {
    const app = await openApp(browser, edge);
    context = app.context;
    const path = echo({ cc: "public, max-age=600", tags: "local-tag" });
    await app.fetchThrough(path);
    type Client = { purgeTag(tag: string): Promise<number>; stats(): Promise<{ hits: number; entries: number }>; warmingStatus(): Promise<{ key: string; outcome: string }[]> };
    const purged = await app.page.evaluate(() => (window as unknown as { edgecache: Client }).edgecache.purgeTag("local-tag"));
    expect(purged).toBe(1);
    // Gone from this browser only: it asks again, and the edge, which was not purged, answers.
    expect((await app.fetchThrough(path)).cacheStatus).toMatch(/^edgecache; hit; ttl=\d+, edgecache-sw; fwd=miss; stored$/);
    expect(await originCount(path)).toBe(1);
    const stats = await app.page.evaluate(() => (window as unknown as { edgecache: Client }).edgecache.stats());
    expect(stats.entries).toBeGreaterThan(0);
    const warming = await app.page.evaluate(() => (window as unknown as { edgecache: Client }).edgecache.warmingStatus());
    expect(warming.map((task) => [new URL(task.key).pathname, task.outcome])).toEqual([
      ["/app/", "ok"],
      ["/app/app.js", "ok"],
      ["/blog/hello-edge", "ok"],
    ]);
  });

  it("never stores a private response unless asked", async () => {
    const app = await openApp(browser, edge);
    context = app.context;
    const path = echo({ cc: "private, max-age=600" });
    await app.fetchThrough(path);
    const second = await app.fetchThrough(path);
    expect(second.cacheStatus).toMatch(/edgecache-sw; fwd=miss; detail=private$/);
    expect(await originCount(path)).toBe(2);
  });
});
