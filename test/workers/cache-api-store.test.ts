import { env } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createCache } from "../../src/index.js";
import { CacheApiStore } from "../../worker/cache-api-store.js";
import { KvStore } from "../../worker/kv-store.js";
import { manualClock, recordingWaitUntil } from "../support/clock.js";
import { checkAgainstModel, operation } from "../support/model.js";
import { unique } from "./helpers.js";

/** Two data centers: each its own Cache API cache, both sharing one KV index, as in production. */
async function twoDataCenters(tiered = false) {
  const clock = manualClock(Date.now());
  const index = new KvStore({ namespace: env.CACHE_KV, prefix: `c${unique()}:` });
  const [here, there] = await Promise.all([caches.open(`dc-a-${unique()}`), caches.open(`dc-b-${unique()}`)]);
  const make = (cache: Cache) => {
    const background = recordingWaitUntil();
    return { cache: createCache({ store: new CacheApiStore({ cache, index, tiered }), clock: clock.now, waitUntil: background.waitUntil }), background, raw: cache };
  };
  return { clock, index, a: make(here), b: make(there) };
}

describe("CacheApiStore", () => {
  it("keeps bodies per data center: another one misses without tiering", async () => {
    const { a, b } = await twoDataCenters();
    await a.cache.set("k", { body: new Uint8Array([1, 2]) }, { ttl: 600 });
    expect(await a.cache.get("k")).toEqual({ body: new Uint8Array([1, 2]) });
    expect(await b.cache.get("k")).toBeUndefined();
  });

  it("makes a key purge reach every data center's copy through a KV stamp", async () => {
    const { a, b, clock } = await twoDataCenters();
    await a.cache.set("k", "v1", { ttl: 600 });
    await b.cache.set("k", "v1", { ttl: 600 });
    expect(await a.cache.delete("k")).toBe(true);
    // B still holds its copy in its cache, but may not serve it.
    expect(await b.raw.match("https://edgecache.internal/k")).toBeDefined();
    expect(await b.cache.get("k")).toBeUndefined();
    // A value written after the purge is served again. (Across engines, stamps are wall-clock
    // time: within one millisecond a purge and a write tie, and a tie counts as covered.)
    clock.advance(0.001);
    await b.cache.set("k", "v2", { ttl: 600 });
    expect(await b.cache.get("k")).toBe("v2");
  });

  it("makes tag and prefix purges reach every data center and counts them from the KV index", async () => {
    const { a, b } = await twoDataCenters();
    await a.cache.set("/blog/1", 1, { tags: ["posts"] });
    await b.cache.set("/blog/2", 2, { tags: ["posts"] });
    expect(await a.cache.invalidateTag("posts")).toBe(2);
    expect(await b.cache.get("/blog/2")).toBeUndefined();
    await b.cache.set("/blog/3", 3);
    expect(await a.cache.invalidatePrefix("/blog/")).toBe(1);
    expect(await b.cache.has("/blog/3")).toBe(false);
  });

  it("tiered: a data center that misses locally reads KV and refills its own cache", async () => {
    const { a, b } = await twoDataCenters(true);
    await a.cache.set("shared", { n: 1 }, { ttl: 600 });
    expect(await b.raw.match("https://edgecache.internal/shared")).toBeUndefined();
    expect(await b.cache.get("shared")).toEqual({ n: 1 });
    expect(await b.raw.match("https://edgecache.internal/shared")).toBeDefined();
  });

  it("agrees with the reference model, tiered and not", async () => {
    for (const tiered of [false, true]) {
      await fc.assert(
        fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 20 }), async (operations) => {
          const index = new KvStore({ namespace: env.CACHE_KV, prefix: `p${unique()}:` });
          await checkAgainstModel(new CacheApiStore({ cache: await caches.open(`model-${unique()}`), index, tiered }), operations);
        }),
        { numRuns: 40 },
      );
    }
  });
});
