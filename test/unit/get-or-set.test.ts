import { describe, expect, it, vi } from "vitest";
import { createCache, MemoryStore } from "../../src/index.js";
import { deferred, manualClock, recordingWaitUntil } from "../support/clock.js";
import { FaultyStore } from "../support/faulty-store.js";

function setup() {
  const clock = manualClock();
  const background = recordingWaitUntil();
  const cache = createCache({ store: new MemoryStore(), clock: clock.now, waitUntil: background.waitUntil });
  return { clock, cache, background };
}

describe("getOrSet: memoization with stampede protection", () => {
  it("calls the generator on a miss and not on the next hit", async () => {
    const { cache } = setup();
    const generator = vi.fn(async () => "computed");
    expect(await cache.getOrSet("k", generator, { ttl: 60 })).toBe("computed");
    expect(await cache.getOrSet("k", generator, { ttl: 60 })).toBe("computed");
    expect(generator).toHaveBeenCalledTimes(1);
  });

  it("shares one generator call among concurrent misses of a key", async () => {
    const { cache, background } = setup();
    const gate = deferred<string>();
    const generator = vi.fn(() => gate.promise);
    const readers = Array.from({ length: 50 }, () => cache.getOrSet("k", generator, { ttl: 60 }));
    gate.resolve("one");
    expect(await Promise.all(readers)).toEqual(Array(50).fill("one"));
    expect(generator).toHaveBeenCalledTimes(1);
    await background.drain();
    expect(await cache.get("k")).toBe("one");
  });

  it("runs different keys' generators independently", async () => {
    const { cache } = setup();
    const generator = vi.fn(async ({ key }: { key: string }) => key.toUpperCase());
    expect(await Promise.all([cache.getOrSet("a", generator), cache.getOrSet("b", generator)])).toEqual(["A", "B"]);
    expect(generator).toHaveBeenCalledTimes(2);
  });

  it("hands a generator error to every waiter and caches nothing", async () => {
    const { cache, background } = setup();
    const gate = deferred<string>();
    const generator = vi.fn(() => gate.promise);
    const readers = Array.from({ length: 5 }, () => cache.getOrSet("k", generator));
    gate.reject(new Error("origin down"));
    const results = await Promise.allSettled(readers);
    expect(results.every((r) => r.status === "rejected" && (r.reason as Error).message === "origin down")).toBe(true);
    await background.drain();
    expect(await cache.has("k")).toBe(false);
    expect(cache.stats().errors).toBe(1);
    // The failure is not remembered: the next call tries again.
    expect(await cache.getOrSet("k", async () => "recovered")).toBe("recovered");
  });

  it("joins a reader that arrives while the value is being written", async () => {
    const clock = manualClock();
    const slowWrite = deferred<void>();
    const store = new FaultyStore(new MemoryStore()).fail("set", () => slowWrite.promise);
    const cache = createCache({ store, clock: clock.now });
    const generator = vi.fn(async () => "v");
    expect(await cache.getOrSet("k", generator)).toBe("v");
    expect(await cache.getOrSet("k", generator)).toBe("v");
    expect(generator).toHaveBeenCalledTimes(1);
    slowWrite.resolve();
    await cache.settled();
    expect(await cache.get("k")).toBe("v");
  });

  it("lets the generator set the entry's options and decline storage", async () => {
    const { cache, clock, background } = setup();
    await cache.getOrSet("short", (context) => {
      context.options.ttl = 5;
      context.options.tags = ["from-generator"];
      return "v";
    });
    await background.drain();
    expect(await cache.invalidateTag("from-generator")).toBe(1);

    const generator = vi.fn((context: { noStore(): void }) => {
      context.noStore();
      return "uncacheable";
    });
    expect(await cache.getOrSet("nostore", generator)).toBe("uncacheable");
    await background.drain();
    expect(await cache.has("nostore")).toBe(false);
    clock.advance(1);
    await cache.getOrSet("nostore", generator);
    expect(generator).toHaveBeenCalledTimes(2);
  });

  it("rejects a generated undefined with a typed error, caching nothing", async () => {
    const { cache, background } = setup();
    await expect(cache.getOrSet("k", async () => undefined)).rejects.toMatchObject({ code: "VALUE_NOT_STORABLE" });
    await background.drain();
    expect(await cache.has("k")).toBe(false);
  });

  it("reports a generated value the store cannot take to the caller", async () => {
    const clock = manualClock();
    const cache = createCache({ store: new MemoryStore({ maxBytes: 2048 }), clock: clock.now });
    await expect(cache.getOrSet("big", async () => "x".repeat(5000))).rejects.toMatchObject({ code: "VALUE_TOO_LARGE" });
  });

  it("answers from the generator when the store cannot be read, and counts the error", async () => {
    const broken = new FaultyStore(new MemoryStore()).fail("get", new Error("KV unavailable"));
    const cache = createCache({ store: broken });
    const errors: string[] = [];
    cache.on("error", (event) => errors.push(event.operation));
    expect(await cache.getOrSet("k", async () => "from origin")).toBe("from origin");
    expect(await cache.get("k")).toBeUndefined();
    expect(cache.stats().errors).toBe(2);
    expect(errors).toEqual(["read", "read"]);
  });

  it("still answers when the store cannot be written, and counts the error", async () => {
    const readOnly = new FaultyStore(new MemoryStore()).fail("set", new Error("quota exceeded"));
    const cache = createCache({ store: readOnly });
    expect(await cache.getOrSet("k", async () => "v")).toBe("v");
    await cache.settled();
    expect(cache.stats().errors).toBe(1);
    await expect(cache.set("k", "v")).rejects.toThrow(/quota exceeded/);
  });
});

describe("getWithSwr: stale-while-revalidate and stale-if-error", () => {
  it("returns a stale value at once and schedules exactly one refresh through waitUntil", async () => {
    const { cache, clock, background } = setup();
    await cache.set("k", "old", { ttl: 10, swr: 60 });
    clock.advance(11);
    const gate = deferred<string>();
    const generator = vi.fn(() => gate.promise);

    const before = background.promises.length;
    const results = await Promise.all(Array.from({ length: 10 }, () => cache.getWithSwr("k", generator, { ttl: 10, swr: 60 })));
    expect(results.every((r) => r.value === "old" && r.stale && r.outcome === "stale")).toBe(true);
    expect(generator).toHaveBeenCalledTimes(1);
    // One refresh handed to waitUntil (plus its write), not ten.
    const handed = background.promises.length - before;
    expect(handed).toBe(2);

    gate.resolve("new");
    await background.drain();
    expect(await cache.getWithSwr("k", generator)).toEqual({ value: "new", stale: false, outcome: "hit" });
  });

  it("offers an expired (not purged) value for revalidation, never a purged one", async () => {
    const { cache, clock, background } = setup();
    await cache.set("k", "v1", { ttl: 1, tags: ["t"] });
    clock.advance(5);
    const seen: unknown[] = [];
    const generator = ({ stale }: { stale: unknown }) => {
      seen.push(stale);
      return "v2";
    };
    expect(await cache.getWithSwr("k", generator, { ttl: 1, tags: ["t"] })).toEqual({ value: "v2", stale: false, outcome: "miss" });
    await background.drain();
    await cache.invalidateTag("t");
    await cache.getWithSwr("k", generator);
    expect(seen).toEqual(["v1", undefined]);
  });

  it("passes the stale value to the refresh so it can revalidate", async () => {
    const { cache, clock, background } = setup();
    await cache.set("k", { etag: "v1", body: "a" }, { ttl: 1, swr: 60 });
    clock.advance(2);
    const seen: unknown[] = [];
    await cache.getOrSet("k", ({ stale }) => {
      seen.push(stale);
      return { etag: "v2", body: "b" };
    });
    await background.drain();
    expect(seen).toEqual([{ etag: "v1", body: "a" }]);
  });

  it("keeps the old entry when a refresh fails, counts and reports it", async () => {
    const { cache, clock, background } = setup();
    const revalidations: boolean[] = [];
    cache.on("revalidate", (event) => revalidations.push(event.ok));
    await cache.set("k", "old", { ttl: 10, swr: 60 });
    clock.advance(11);
    expect(await cache.getOrSet("k", async () => Promise.reject(new Error("boom")))).toBe("old");
    await background.drain();
    expect(await cache.get("k")).toBe("old");
    expect(cache.stats().errors).toBe(1);
    expect(revalidations).toEqual([false]);
  });

  it("serves the stale entry when the generator fails within stale-if-error", async () => {
    const { cache, clock } = setup();
    await cache.set("k", "old", { ttl: 10, staleIfError: 100 });
    clock.advance(50);
    const result = await cache.getWithSwr("k", async () => {
      throw new Error("origin down");
    });
    expect(result).toEqual({ value: "old", stale: true, outcome: "stale-if-error" });
    expect(cache.stats().errors).toBe(1);
  });

  it("throws once the stale-if-error window has passed", async () => {
    const { cache, clock } = setup();
    await cache.set("k", "old", { ttl: 10, staleIfError: 100 });
    clock.advance(111);
    await expect(cache.getOrSet("k", async () => Promise.reject(new Error("origin down")))).rejects.toThrow("origin down");
  });

  it("regenerates (not serves stale) past the swr window when the generator works", async () => {
    const { cache, clock } = setup();
    await cache.set("k", "old", { ttl: 10, swr: 5, staleIfError: 100 });
    clock.advance(20);
    expect(await cache.getWithSwr("k", async () => "new")).toEqual({ value: "new", stale: false, outcome: "miss" });
  });

  it("uses a per-call waitUntil over the cache's", async () => {
    const { cache, clock } = setup();
    await cache.set("k", "old", { ttl: 1, swr: 60 });
    clock.advance(2);
    const perRequest = recordingWaitUntil();
    await cache.getOrSet("k", async () => "new", { waitUntil: perRequest.waitUntil });
    expect(perRequest.promises.length).toBeGreaterThan(0);
    await perRequest.drain();
    expect(await cache.get("k")).toBe("new");
  });

  it("tracks background work itself when no waitUntil is given", async () => {
    const clock = manualClock();
    const cache = createCache({ clock: clock.now });
    await cache.set("k", "old", { ttl: 1, swr: 60 });
    clock.advance(2);
    expect(await cache.getOrSet("k", async () => "new")).toBe("old");
    await cache.settled();
    expect(await cache.get("k")).toBe("new");
  });
});

describe("a store that throws synchronously", () => {
  it("reads as a miss in getOrSet, get and has, and is counted", async () => {
    const store = new MemoryStore();
    const throwing = Object.assign(Object.create(null) as object, {
      name: "throwing",
      capabilities: store.capabilities,
      limits: store.limits,
      get: () => {
        throw new Error("sync failure");
      },
      invalidationFor: () => undefined,
      set: async () => undefined,
      delete: async () => undefined,
      invalidate: async () => ({ count: 0 }),
      scan: async function* () {},
      getRecord: async () => undefined,
      setRecord: async () => undefined,
      cleanup: async () => 0,
    });
    const cache = createCache({ store: throwing as never });
    expect(await cache.getOrSet("k", async () => "from generator")).toBe("from generator");
    expect(await cache.get("k")).toBeUndefined();
    expect(await cache.has("k")).toBe(false);
    expect(cache.stats().errors).toBe(3);
  });
});
