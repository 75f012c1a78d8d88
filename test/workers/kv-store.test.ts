import { env } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { boundaryPrefixes, createCache, EdgecacheError } from "../../src/index.js";
import { KvStore } from "../../worker/kv-store.js";
import { manualClock, recordingWaitUntil } from "../support/clock.js";
import { checkAgainstModel, operation } from "../support/model.js";
import { countingKv, unique } from "./helpers.js";

function setup(namespace: KVNamespace = env.CACHE_KV) {
  const clock = manualClock(Date.now());
  const background = recordingWaitUntil();
  const prefix = `t${unique()}:`;
  const store = new KvStore({ namespace, prefix });
  const cache = createCache({ store, clock: clock.now, waitUntil: background.waitUntil });
  return { clock, background, store, cache, prefix };
}

async function rawKeys(prefix: string): Promise<string[]> {
  return (await env.CACHE_KV.list({ prefix })).keys.map((key) => key.name);
}

describe("KvStore", () => {
  it("keeps values' types through its codec", async () => {
    const { cache } = setup();
    const value = { when: new Date("2026-05-01T00:00:00Z"), seen: new Set(["a"]), counts: new Map([["x", 1n]]), bytes: new Uint8Array([1, 2, 3]) };
    await cache.set("typed", value, { ttl: 600 });
    expect(await cache.get("typed")).toEqual(value);
  });

  it("answers a hit with 2 KV round trips however many tags the entry has", async () => {
    const counting = countingKv(env.CACHE_KV);
    const { cache } = setup(counting.namespace);
    const tags = Array.from({ length: 30 }, (_, i) => `tag-${i}`);
    const key = "https://example.com/shop/category/item?x=1";
    await cache.set(key, "page", { ttl: 600, tags });
    counting.reset();
    expect(await cache.get(key)).toBe("page");
    expect(counting.counts.get).toBe(2);
    // The bulk read covers both stamps of every tag and boundary prefix at once.
    expect(counting.counts.getKeys).toBe(2 * (tags.length + boundaryPrefixes(key).length));
  });

  it("answers a hit with 1 round trip when the entry has neither tags nor boundary prefixes", async () => {
    const counting = countingKv(env.CACHE_KV);
    const { cache } = setup(counting.namespace);
    await cache.set("plainkey", 1);
    counting.reset();
    await cache.get("plainkey");
    expect(counting.counts.get).toBe(1);
  });

  it("hashes keys longer than KV allows, and never confuses two of them", async () => {
    const { cache, prefix } = setup();
    const head = "https://example.com/" + "a".repeat(600);
    await cache.set(head + "/one", "one", { tags: ["long"] });
    await cache.set(head + "/two", "two", { tags: ["long"] });
    expect(await cache.get(head + "/one")).toBe("one");
    expect(await cache.get(head + "/two")).toBe("two");
    for (const key of await rawKeys(prefix)) expect(new TextEncoder().encode(key).byteLength).toBeLessThanOrEqual(512);
    // Prefix purges still find them through the readable head of the key.
    expect(await cache.invalidatePrefix(head + "/t")).toBe(1);
    expect(await cache.invalidateTag("long")).toBe(1);
  });

  it("keeps exact freshness although KV keeps a short-lived entry for at least 60 s", async () => {
    const { cache, clock, prefix } = setup();
    await cache.set("short", "v", { ttl: 5 });
    clock.advance(6);
    expect(await cache.get("short")).toBeUndefined();
    expect(await env.CACHE_KV.get(`${prefix}e:short`, "arrayBuffer")).not.toBeNull();
  });

  it("refuses too many tags and oversized values before writing anything", async () => {
    const counting = countingKv(env.CACHE_KV);
    const { cache } = setup(counting.namespace);
    await expect(cache.set("k", 1, { tags: Array.from({ length: 33 }, (_, i) => `t${i}`) })).rejects.toMatchObject({ code: "TOO_MANY_TAGS", message: /at most 32 tags in this store/ });
    await expect(cache.set("k", new Uint8Array(26 * 1024 * 1024))).rejects.toMatchObject({ code: "VALUE_TOO_LARGE", message: /25 MiB/ });
    await expect(cache.set("k", { f: () => 1 })).rejects.toMatchObject({ code: "VALUE_NOT_STORABLE" });
    expect(counting.counts.put).toBe(0);
  });

  it("keeps manifests in step with deletes and re-tagging, so tag purges count exactly", async () => {
    const { cache, prefix } = setup();
    await cache.set("a", 1, { tags: ["x", "y"] });
    await cache.set("a", 1, { tags: ["y"] });
    expect(await cache.invalidateTag("x")).toBe(0);
    await cache.set("b", 2, { tags: ["z"] });
    expect(await cache.delete("b")).toBe(true);
    expect(await cache.invalidateTag("z")).toBe(0);
    expect(await rawKeys(`${prefix}m:`)).toEqual([expect.stringContaining(":y:a")]);
  });

  it("counts a tag purge by its manifests and deletes the bodies in the background", async () => {
    const { cache, background, prefix } = setup();
    for (let i = 0; i < 5; i++) await cache.set(`post:${i}`, i, { tags: ["posts"] });
    await cache.set("other", 1, { tags: ["other"] });
    expect(await cache.invalidateTag("posts")).toBe(5);
    expect(await cache.get("post:0")).toBeUndefined();
    await background.drain();
    const left = await rawKeys(`${prefix}e:`);
    expect(left).toEqual([`${prefix}e:other`]);
    expect(await rawKeys(`${prefix}m:`)).toEqual([expect.stringContaining(":other:")]);
  });

  it("cleans up expired entries, purged bodies and manifests whose entry is gone", async () => {
    const { cache, clock, store, prefix } = setup();
    await cache.set("expiring", 1, { ttl: 1, tags: ["a"] });
    await cache.set("kept", 2, { tags: ["a"] });
    await cache.set("/blog/x", 3, { tags: ["b"] });
    // A purge whose background deletion never ran (a budget exhausted, an isolate gone): only its stamp is there.
    await store.writeStamp("hard", "p:/blog/", clock.now() + 1);
    // A manifest whose entry was replaced behind KV's back (another location's write) is stale.
    await cache.set("retagged", 4, { tags: ["new"] });
    await env.CACHE_KV.put(`${prefix}m:3:old:retagged`, "", { metadata: { c: 1, f: null, s: null, e: null, k: "retagged", g: "old" } });
    clock.advance(5);
    const removed = await cache.cleanup();
    // expiring (entry, manifest a), /blog/x (entry, manifest b), retagged's stale "old" manifest.
    expect(removed).toBe(5);
    expect(await rawKeys(`${prefix}e:`)).toEqual([`${prefix}e:kept`, `${prefix}e:retagged`]);
    expect((await rawKeys(`${prefix}m:`)).length).toBe(2);
  });

  it("wraps KV failures in a typed error", async () => {
    const broken = new Proxy(env.CACHE_KV, {
      get: (target, property) =>
        property === "get"
          ? () => Promise.reject(new Error("KV GET failed: 429 Too Many Requests"))
          : (Reflect.get(target, property) as (...args: unknown[]) => unknown).bind(target),
    });
    const store = new KvStore({ namespace: broken });
    await expect(store.get("k")).rejects.toMatchObject({ code: "STORE_FAILED", message: /kv store: get failed: KV GET failed/ });
    expect(() => new KvStore({ namespace: undefined as never })).toThrow(EdgecacheError);
  });

  it("agrees with the reference model on random operation sequences", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 25 }), async (operations) => {
        await checkAgainstModel(new KvStore({ namespace: env.CACHE_KV, prefix: `m${unique()}:` }), operations);
      }),
      { numRuns: 150 },
    );
  });
});
