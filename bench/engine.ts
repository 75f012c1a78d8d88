/**
 * The engine on its memory store against @epic-web/cachified (with the lru-cache adapter from
 * its README) and BentoCache's memory tier (values by reference, like ours), on the same
 * get-or-set workloads, with `await Promise.resolve(map.get(k))` as the floor. Then a tag purge
 * covering 100,000 entries against one covering 10.
 */
import { cachified, type Cache as CachifiedCache, type CacheEntry, totalTtl } from "@epic-web/cachified";
import { BentoCache, bentostore } from "bentocache";
import { memoryDriver } from "bentocache/drivers/memory";
import { LRUCache } from "lru-cache";
import { createCache, MemoryStore } from "../src/index.js";
import { type Contender, formatRate, median, race, table } from "./harness.js";

const KEYS = 1_000;
const CAPACITY = 50_000;
const TTL_SECONDS = 600;
const value = { id: 1, name: "a cached object", tags: ["x", "y"] };
const generate = async () => value;

function contenders(keyFor: (i: number) => string): Contender[] {
  const edgecache = createCache({ store: new MemoryStore({ maxEntries: CAPACITY }) });

  const lru = new LRUCache<string, CacheEntry>({ max: CAPACITY });
  const lruAdapter: CachifiedCache = {
    set(key, entry) {
      const ttl = totalTtl(entry?.metadata);
      return lru.set(key, entry, { ttl: ttl === Infinity ? undefined : ttl, start: entry?.metadata?.createdTime });
    },
    get: (key) => lru.get(key),
    delete: (key) => lru.delete(key),
  };

  const bento = new BentoCache({
    default: "memory",
    stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: CAPACITY, serialize: false })) },
  });

  const map = new Map<string, unknown>();
  for (let i = 0; i < KEYS; i++) map.set(`k${i}`, value);

  return [
    { name: "edgecache (memory store)", op: (i) => edgecache.getOrSet(keyFor(i), generate, { ttl: TTL_SECONDS }) },
    { name: "@epic-web/cachified + lru-cache", op: (i) => cachified({ cache: lruAdapter, key: keyFor(i), getFreshValue: generate, ttl: TTL_SECONDS * 1000 }) },
    { name: "bentocache (memory tier)", op: (i) => bento.getOrSet({ key: keyFor(i), factory: generate, ttl: TTL_SECONDS * 1000 }) },
    { name: "floor: await Promise.resolve(map.get(k))", op: async (i) => await Promise.resolve(map.get(keyFor(i))) },
  ];
}

const workloads: [string, (i: number) => string][] = [
  ["hits", (i) => `k${i % KEYS}`],
  ["misses", (i) => `miss-${i}`],
  ["50/50", (i) => (i % 2 === 0 ? `k${(i >> 1) % KEYS}` : `miss-${i}`)],
];

const idle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function benchEngine(): Promise<void> {
  console.log("\n## Engine: get-or-set on the memory store\n");
  const rows = [["workload", "contender", "ops/s", "× faster peer", "× floor"]];
  for (const [workload, keyFor] of workloads) {
    const all = contenders(keyFor);
    // Hits: warm every key first so each contender only serves hits.
    if (workload === "hits") for (const c of all) for (let i = 0; i < KEYS; i++) await c.op(i);
    const results = await race(all);
    const peers = results.filter((r) => !r.name.startsWith("edgecache") && !r.name.startsWith("floor"));
    const fasterPeer = Math.max(...peers.map((r) => r.opsPerSecond));
    const floor = results.find((r) => r.name.startsWith("floor"))!.opsPerSecond;
    for (const r of results) {
      rows.push([workload, r.name, formatRate(r.opsPerSecond), (r.opsPerSecond / fasterPeer).toFixed(2), (r.opsPerSecond / floor).toFixed(2)]);
    }
  }
  console.log(table(rows));

  console.log("\n## Engine: a tag purge covering 100,000 entries vs one covering 10\n");
  // Both purges run on the same cache (same heap, same JIT state), in alternating order, and the
  // background unlinking of purged bodies (like Redis UNLINK) is settled, untimed, after each, so
  // neither purge pays for the other's. That background time is reported too.
  const timings: Record<string, number[]> = { big: [], small: [], sweep: [] };
  // Each purge takes ~0.1 ms; machine noise is of that order, so many rounds steady the median.
  for (let round = 0; round < 21; round++) {
    const cache = createCache({ store: new MemoryStore({ maxEntries: 200_000, maxBytes: 1024 ** 3 }) });
    for (let i = 0; i < 100_000; i++) await cache.set(`item:${i}`, i, { tags: ["big", `own:${i % 100}`] });
    for (let i = 0; i < 10; i++) await cache.set(`other:${i}`, i, { tags: ["small", `own:${i % 100}`] });
    for (const tag of round % 2 === 0 ? ["small", "big"] : ["big", "small"]) {
      // Let V8's concurrent marking and sweeping of the setup's garbage finish first: on two cores
      // it otherwise slows whichever purge it overlaps, by tens of microseconds.
      await idle(25);
      const started = performance.now();
      const count = await cache.invalidateTag(tag);
      timings[tag]!.push(performance.now() - started);
      if (count !== (tag === "big" ? 100_000 : 10)) throw new Error(`purge of ${tag} counted ${count}`);
      const sweepStarted = performance.now();
      await cache.settled();
      if (tag === "big") timings.sweep!.push(performance.now() - sweepStarted);
      if ((await cache.has(tag === "big" ? "item:0" : "other:0")) !== false) throw new Error("purged entry still served");
    }
  }
  const big = median(timings.big!);
  const small = median(timings.small!);
  console.log(
    table([
      ["purge covering", "median time", "count"],
      ["100,000 entries", `${(big * 1000).toFixed(1)} µs`, "100000"],
      ["10 entries", `${(small * 1000).toFixed(1)} µs`, "10"],
      ["ratio (100,000 / 10)", (big / small).toFixed(2), ""],
      ["(background unlinking of 100,000 bodies)", `${median(timings.sweep!).toFixed(1)} ms`, ""],
    ]),
  );
}
