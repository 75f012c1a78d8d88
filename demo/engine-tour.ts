/**
 * A tour of the engine, runnable as it stands: `npx tsx demo/engine-tour.ts`.
 * The README's API examples are taken from here.
 */
import { createCache, MemoryStore } from "../src/index.js";

const cache = createCache({ store: new MemoryStore({ maxEntries: 1000 }) });

// get / set with a TTL (seconds) and tags
await cache.set("user:1", { name: "Ann", joined: new Date("2024-05-01") }, { ttl: 300, tags: ["user:1"] });
console.log("get      →", await cache.get("user:1"));

// Memoization: ten concurrent misses, one generator call
let calls = 0;
const slowLookup = async () => {
  calls++;
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { price: 42 };
};
await Promise.all(Array.from({ length: 10 }, () => cache.getOrSet("price:7", slowLookup, { ttl: 60, swr: 30 })));
console.log("getOrSet → 10 readers,", calls, "generator call");

// Purge by tag, prefix and pattern; each says how many entries it covered
await cache.set("post:1", "…", { tags: ["user:1"] });
console.log("purge tag user:1 →", await cache.invalidateTag("user:1"), "entries");
await cache.set("/blog/a", "A");
await cache.set("/blog/b", "B");
console.log("purge prefix /blog/ →", await cache.invalidatePrefix("/blog/"), "entries");

// A namespace, cleared as a whole
const sessions = cache.namespace("session:");
await sessions.set("abc", { user: 1 }, { ttl: 900 });
console.log("namespace clear →", await sessions.clear(), "entry");

// Content policies: ttl, tags, vary-on headers, Cache-Control
cache.registerPolicy("page", { ttl: 60, swr: 300, tags: ["pages"], varyOn: ["accept-language"] });
const key = await cache.cacheContent("page", "home", "<h1>Bonjour</h1>", { headers: { "accept-language": "fr" } });
console.log("cacheContent →", key, "| Cache-Control:", cache.getPolicy("page").cacheControl);

// Warming with a cron schedule
cache.registerWarmingTask({ key: "home", generator: async () => "<h1>Home</h1>", ttl: 300, schedule: "*/5 * * * *" });
await cache.warm();
console.log("warmingStatus →", (await cache.warmingStatus())[0]);

console.log("stats →", cache.stats());
