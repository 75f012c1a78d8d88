import { describe, expect, it } from "vitest";
import { createCache, MemoryStore } from "../../src/index.js";
import { manualClock } from "../support/clock.js";

describe("statistics", () => {
  it("counts hits, misses, stale hits, sets, deletes and errors", async () => {
    const clock = manualClock();
    let ticks = 0;
    const cache = createCache({ clock: clock.now, timer: () => (ticks += 2) });
    await cache.set("a", 1, { ttl: 10, swr: 10 });
    await cache.get("a");
    await cache.get("a");
    await cache.get("missing");
    clock.advance(11);
    await cache.get("a");
    await cache.delete("a");
    await cache.getOrSet("b", async () => Promise.reject(new Error("x"))).catch(() => undefined);
    const stats = cache.stats();
    expect(stats).toMatchObject({ hits: 2, misses: 2, staleHits: 1, sets: 1, deletes: 1, errors: 1 });
    expect(stats.hitRate).toBeCloseTo(3 / 5);
    // The timer advances 2 per reading: every hit and miss measures exactly 2.
    expect(stats.avgHitTimeMs).toBe(2);
    expect(stats.avgMissTimeMs).toBe(2);
  });

  it("reports requests per second since the last reset", async () => {
    const clock = manualClock();
    const cache = createCache({ clock: clock.now });
    for (let i = 0; i < 40; i++) await cache.get("k");
    clock.advance(4);
    expect(cache.stats().requestsPerSecond).toBe(10);
    cache.resetStats();
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 0, hitRate: 0, requestsPerSecond: 0, avgMissTimeMs: 0 });
    await cache.get("k");
    clock.advance(0.5);
    // Rates are taken over at least one second.
    expect(cache.stats().requestsPerSecond).toBe(1);
  });

  it("shares counters between a cache and its namespaces", async () => {
    const cache = createCache();
    await cache.namespace("n:").get("k");
    expect(cache.stats().misses).toBe(1);
  });
});

describe("events", () => {
  it("delivers an event per operation and unsubscribes", async () => {
    const clock = manualClock();
    const cache = createCache({ clock: clock.now });
    const seen: string[] = [];
    const offs = (["hit", "miss", "stale", "set", "delete"] as const).map((type) => cache.on(type, (event) => seen.push(`${event.type}:${"key" in event ? event.key : ""}`)));
    await cache.get("k");
    await cache.set("k", 1, { ttl: 1, swr: 10 });
    await cache.get("k");
    clock.advance(2);
    await cache.get("k");
    await cache.delete("k");
    expect(seen).toEqual(["miss:k", "set:k", "hit:k", "stale:k", "delete:k"]);
    offs.forEach((off) => off());
    await cache.get("k");
    expect(seen).toHaveLength(5);
  });

  it("does not let a throwing listener break the operation", async () => {
    const cache = createCache();
    const reported = new Promise<unknown>((resolve) => {
      process.once("uncaughtException", resolve);
    });
    cache.on("miss", () => {
      throw new Error("listener bug");
    });
    expect(await cache.get("k")).toBeUndefined();
    expect(await reported).toMatchObject({ message: "listener bug" });
  });
});

describe("cleanup", () => {
  it("removes expired and purged entries, keeps live ones, and reports how many went", async () => {
    const clock = manualClock();
    const store = new MemoryStore();
    const cache = createCache({ store, clock: clock.now });
    await cache.set("short", 1, { ttl: 1 });
    await cache.set("sie", 2, { ttl: 1, staleIfError: 100 });
    await cache.set("long", 3, { ttl: 1000 });
    await cache.set("forever", 4);
    await cache.set("a/b", 5);
    await cache.invalidatePrefix("a/");
    clock.advance(10);
    expect(await cache.cleanup()).toBe(1);
    expect(store.size).toBe(3);
    expect(await cache.get("long")).toBe(3);
    clock.advance(200);
    expect(await cache.cleanup()).toBe(1);
    expect(store.size).toBe(2);
  });

  it("forgets old invalidation records only once nothing they cover can arrive", async () => {
    const clock = manualClock();
    const store = new MemoryStore();
    const cache = createCache({ store, clock: clock.now });
    let release!: (value: string) => void;
    const slow = cache.getOrSet("k", () => new Promise<string>((resolve) => (release = resolve)), { tags: ["t"] });
    clock.advance(1);
    await cache.invalidateTag("t");
    clock.advance(1);
    await cache.cleanup();
    release("fetched before the purge");
    await slow;
    await cache.settled();
    expect(await cache.has("k")).toBe(false);
  });
});

describe("memory store bounds", () => {
  it("evicts the least recently used entry past maxEntries", async () => {
    const store = new MemoryStore({ maxEntries: 3 });
    const cache = createCache({ store });
    await cache.set("a", 1);
    await cache.set("b", 2);
    await cache.set("c", 3);
    await cache.get("a");
    await cache.set("d", 4);
    expect(await cache.has("b")).toBe(false);
    expect(await cache.get("a")).toBe(1);
    expect(store.size).toBe(3);
  });

  it("evicts by bytes, keeping the byte count honest", async () => {
    const store = new MemoryStore({ maxBytes: 10_000, sizeOf: (value) => String(value).length });
    const cache = createCache({ store });
    for (let i = 0; i < 10; i++) await cache.set(`k${i}`, "x".repeat(2000));
    expect(store.bytes).toBeLessThanOrEqual(10_000);
    expect(await cache.has("k9")).toBe(true);
    expect(await cache.has("k0")).toBe(false);
    await cache.delete("k9");
    await cache.delete("k8");
    expect(store.bytes).toBeLessThanOrEqual(10_000 - 4000);
  });

  it("keeps tag counts exact when entries are evicted or overwritten", async () => {
    const store = new MemoryStore({ maxEntries: 2 });
    const cache = createCache({ store });
    await cache.set("a", 1, { tags: ["t"] });
    await cache.set("b", 2, { tags: ["t"] });
    await cache.set("c", 3, { tags: ["t"] });
    await cache.set("b", 2, { tags: ["other"] });
    expect(await cache.invalidateTag("t")).toBe(1);
    expect(await cache.invalidateTag("other")).toBe(1);
  });

  it("holds values by reference and keeps their types", async () => {
    const cache = createCache();
    const value = { when: new Date(0), ids: new Set([1]), map: new Map([["a", 1]]), bytes: new Uint8Array([1, 2]) };
    await cache.set("k", value);
    expect(await cache.get("k")).toBe(value);
  });
});
