import { describe, expect, it, vi } from "vitest";
import { createCache, EdgecacheError, MemoryStore } from "../../src/index.js";
import { manualClock } from "../support/clock.js";
import { FaultyStore } from "../support/faulty-store.js";

describe("content-type policies", () => {
  it("caches content under its policy's ttl and tags, and returns the key", async () => {
    const clock = manualClock();
    const cache = createCache({ clock: clock.now });
    cache.registerPolicy("page", { ttl: 60, tags: ["pages"] });
    const key = await cache.cacheContent("page", "home", "<h1>Home</h1>", { tags: ["home"] });
    expect(key).toBe("page:home");
    expect(await cache.getCachedContent("page", "home")).toBe("<h1>Home</h1>");
    expect(await cache.invalidateTag("pages")).toBe(1);
    await cache.cacheContent("page", "home", "<h1>Home</h1>", { tags: ["home"] });
    expect(await cache.invalidateTag("home")).toBe(1);
    await cache.cacheContent("page", "about", "x");
    clock.advance(61);
    expect(await cache.getCachedContent("page", "about")).toBeUndefined();
  });

  it("keys variants by the vary-on headers' values", async () => {
    const cache = createCache();
    cache.registerPolicy("page", { ttl: 60, varyOn: ["Accept-Language"] });
    const en = await cache.cacheContent("page", "home", "Hello", { headers: { "accept-language": "en" } });
    const fr = await cache.cacheContent("page", "home", "Bonjour", { headers: { "Accept-Language": "FR" } });
    expect(en).toBe("page:home#accept-language=en");
    expect(fr).toBe("page:home#accept-language=fr");
    expect(await cache.getCachedContent("page", "home", { headers: { "accept-language": "fr" } })).toBe("Bonjour");
    expect(await cache.getCachedContent("page", "home", { headers: { "accept-language": " en " } })).toBe("Hello");
    expect(await cache.getCachedContent("page", "home", { headers: { "accept-language": "de" } })).toBeUndefined();
    // Every variant of one page is purged through its boundary prefix.
    expect(await cache.invalidatePrefix("page:home#")).toBe(2);
  });

  it("cannot be poisoned by a header value that imitates another variant", async () => {
    const cache = createCache();
    cache.registerPolicy("page", { varyOn: ["accept-language", "x-theme"] });
    await cache.cacheContent("page", "p", "dark-fr", { headers: { "accept-language": "fr", "x-theme": "dark" } });
    const forged = await cache.getCachedContent("page", "p", { headers: { "accept-language": "fr&x-theme=dark" } });
    expect(forged).toBeUndefined();
  });

  it("derives a Cache-Control, or keeps the one given", () => {
    const cache = createCache();
    expect(cache.registerPolicy("api", { ttl: 30, swr: 60, staleIfError: 600 }).cacheControl).toBe(
      "public, max-age=30, stale-while-revalidate=60, stale-if-error=600",
    );
    expect(cache.registerPolicy("asset", {}).cacheControl).toBe("public, max-age=31536000");
    cache.registerPolicy("private", { ttl: 10, cacheControl: "private, max-age=10" });
    expect(cache.getPolicy("private").cacheControl).toBe("private, max-age=10");
  });

  it("finds the policy for a response's content type, most specific first", () => {
    const cache = createCache();
    cache.registerPolicy("text/html", { ttl: 60 });
    cache.registerPolicy("image/*", { ttl: 86400 });
    cache.registerPolicy("*/*", { ttl: 5 });
    expect(cache.policyForContentType("text/html; charset=utf-8")?.ttl).toBe(60);
    expect(cache.policyForContentType("image/png")?.ttl).toBe(86400);
    expect(cache.policyForContentType("application/json")?.ttl).toBe(5);
  });

  it("refuses unknown policies and bad policy options", async () => {
    const cache = createCache();
    await expect(cache.cacheContent("nope", "x", 1)).rejects.toMatchObject({ code: "UNKNOWN_POLICY", message: /registerPolicy\("nope"/ });
    expect(() => cache.registerPolicy("p", { varyOn: ["bad header"] })).toThrow(/header names/);
    expect(() => cache.registerPolicy("p", { ttl: -1 })).toThrow(EdgecacheError);
    cache.registerPolicy("p", {});
    await expect(cache.cacheContent("p", "a#b", 1)).rejects.toMatchObject({ code: "INVALID_KEY" });
  });
});

describe("warming", () => {
  it("warms all tasks, or one, and stores their values", async () => {
    const clock = manualClock(Date.UTC(2026, 0, 1, 10, 7));
    const cache = createCache({ clock: clock.now });
    const home = vi.fn(async () => "home page");
    cache.registerWarmingTask({ key: "home", generator: home, ttl: 60, tags: ["pages"], schedule: "*/15 * * * *" });
    cache.registerWarmingTask({ key: "about", generator: async () => "about page" });

    const ran = await cache.warm();
    expect(ran.map((status) => [status.key, status.outcome])).toEqual([
      ["home", "ok"],
      ["about", "ok"],
    ]);
    expect(await cache.get("home")).toBe("home page");
    expect(await cache.get("about")).toBe("about page");
    expect(await cache.invalidateTag("pages")).toBe(1);

    await cache.warm("home");
    expect(home).toHaveBeenCalledTimes(2);
    await expect(cache.warm("missing")).rejects.toMatchObject({ code: "UNKNOWN_TASK" });
  });

  it("regenerates even a fresh value", async () => {
    const cache = createCache();
    let version = 0;
    cache.registerWarmingTask({ key: "k", generator: async () => ++version, ttl: 3600 });
    await cache.warm();
    await cache.warm();
    expect(await cache.get("k")).toBe(2);
  });

  it("runs the tasks whose schedule is the trigger's cron, or which are due at a time", async () => {
    const clock = manualClock(Date.UTC(2026, 0, 1, 10, 0));
    const cache = createCache({ clock: clock.now });
    const hourly = vi.fn(async () => "h");
    const quarterly = vi.fn(async () => "q");
    cache.registerWarmingTask({ key: "hourly", generator: hourly, schedule: "0 * * * *" });
    cache.registerWarmingTask({ key: "quarterly", generator: quarterly, schedule: "*/15  *  * * *" });

    expect((await cache.runScheduled("*/15 * * * *")).map((s) => s.key)).toEqual(["quarterly"]);
    expect((await cache.runScheduled(new Date(Date.UTC(2026, 0, 1, 11, 0, 30)))).map((s) => s.key)).toEqual(["hourly", "quarterly"]);
    expect(await cache.runScheduled(Date.UTC(2026, 0, 1, 11, 7))).toEqual([]);
    expect(hourly).toHaveBeenCalledTimes(1);
    expect(quarterly).toHaveBeenCalledTimes(2);
  });

  it("reports status from the store: last run, duration, outcome, next run", async () => {
    const clock = manualClock(Date.UTC(2026, 0, 1, 10, 7));
    const store = new MemoryStore();
    const cache = createCache({ store, clock: clock.now });
    cache.registerWarmingTask({
      key: "slow",
      schedule: "0 * * * *",
      generator: async () => {
        clock.advance(2);
        return "ok";
      },
    });
    cache.registerWarmingTask({ key: "broken", generator: async () => Promise.reject(new Error("origin 500")) });
    expect((await cache.warmingStatus()).map((s) => s.outcome)).toEqual(["never", "never"]);

    await cache.warm();
    const [slow, broken] = await cache.warmingStatus();
    expect(slow).toMatchObject({ key: "slow", outcome: "ok", lastRunAt: "2026-01-01T10:07:00.000Z", durationMs: 2000, error: null, nextRunAt: "2026-01-01T11:00:00.000Z" });
    expect(broken).toMatchObject({ key: "broken", outcome: "error", error: "origin 500", nextRunAt: null });

    // Another engine on the same store (another isolate) reads the same status.
    const other = createCache({ store, clock: clock.now });
    other.registerWarmingTask({ key: "slow", schedule: "0 * * * *", generator: async () => "x" });
    expect((await other.warmingStatus())[0]).toMatchObject({ outcome: "ok", durationMs: 2000 });
  });

  it("fails at registration on an invalid cron, a duplicate key or a missing generator", () => {
    const cache = createCache();
    expect(() => cache.registerWarmingTask({ key: "k", generator: async () => 1, schedule: "61 * * * *" })).toThrow(
      expect.objectContaining({ code: "INVALID_CRON", message: expect.stringMatching(/not a valid cron expression.*minute/) }),
    );
    expect(() => cache.registerWarmingTask({ key: "k", generator: async () => 1, schedule: "every hour" })).toThrow(/INVALID_CRON|not a valid cron/);
    cache.registerWarmingTask({ key: "k", generator: async () => 1 });
    expect(() => cache.registerWarmingTask({ key: "k", generator: async () => 1 })).toThrow(expect.objectContaining({ code: "DUPLICATE_TASK" }));
    expect(() => cache.registerWarmingTask({ key: "j" } as never)).toThrow(/generator must be a function/);
  });

  it("scopes tasks to a namespace", async () => {
    const cache = createCache();
    const site = cache.namespace("site:");
    site.registerWarmingTask({ key: "home", generator: async () => "h" });
    cache.registerWarmingTask({ key: "global", generator: async () => "g" });
    expect((await site.warm()).map((s) => s.key)).toEqual(["home"]);
    expect(await cache.get("site:home")).toBe("h");
    expect(await cache.get("global")).toBeUndefined();
    expect((await cache.warmingStatus()).map((s) => s.key)).toEqual(["site:home", "global"]);
  });

  it("keeps a good run good when its status cannot be stored, and counts that", async () => {
    const store = new FaultyStore(new MemoryStore()).fail("setRecord");
    const cache = createCache({ store });
    cache.registerWarmingTask({ key: "k", generator: async () => 1 });
    expect((await cache.warm())[0]!.outcome).toBe("ok");
    expect(cache.stats().errors).toBe(1);
  });
});
