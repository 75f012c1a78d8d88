import { describe, expect, it, vi } from "vitest";
import { createCache, MemoryStore } from "../../src/index.js";
import { deferred, manualClock, recordingWaitUntil } from "../support/clock.js";

function setup() {
  const clock = manualClock();
  const background = recordingWaitUntil();
  const store = new MemoryStore();
  const cache = createCache({ store, clock: clock.now, waitUntil: background.waitUntil });
  return { clock, cache, background, store };
}

describe("purge by tag", () => {
  it("removes every entry carrying the tag and reports how many", async () => {
    const { cache } = setup();
    await cache.set("post:1", "a", { tags: ["posts", "user:1"] });
    await cache.set("post:2", "b", { tags: ["posts", "user:2"] });
    await cache.set("profile:1", "c", { tags: ["user:1"] });
    expect(await cache.invalidateTag("user:1")).toBe(2);
    expect(await cache.has("post:1")).toBe(false);
    expect(await cache.has("profile:1")).toBe(false);
    expect(await cache.get("post:2")).toBe("b");
    // The same purge again covers nothing more.
    expect(await cache.invalidateTag("user:1")).toBe(0);
    expect(await cache.invalidateTag("posts")).toBe(1);
  });

  it("does not count expired entries, and does not touch entries set after the purge", async () => {
    const { cache, clock } = setup();
    await cache.set("old", 1, { ttl: 5, tags: ["t"] });
    await cache.set("live", 2, { ttl: 500, tags: ["t"] });
    clock.advance(10);
    expect(await cache.invalidateTag("t")).toBe(1);
    await cache.set("after", 3, { tags: ["t"] });
    expect(await cache.get("after")).toBe(3);
  });

  it("rejects a value whose generation started before the purge", async () => {
    const { cache, background } = setup();
    const gate = deferred<string>();
    const pending = cache.getOrSet("k", () => gate.promise, { tags: ["t"] });
    await cache.invalidateTag("t");
    gate.resolve("fetched before the purge");
    // The waiting caller still gets its value...
    expect(await pending).toBe("fetched before the purge");
    await background.drain();
    // ...but it never enters the cache.
    expect(await cache.has("k")).toBe(false);
    expect(await cache.invalidateTag("t")).toBe(0);
  });

  it("soft purge serves the old value as stale while one refresh runs", async () => {
    const { cache, background } = setup();
    await cache.set("k", "old", { ttl: 300, tags: ["t"] });
    expect(await cache.invalidateTag("t", { soft: true })).toBe(1);
    expect(await cache.has("k")).toBe(true);
    const gate = deferred<string>();
    const generator = vi.fn(() => gate.promise);
    expect(await cache.getWithSwr("k", generator, { ttl: 300, tags: ["t"] })).toMatchObject({ value: "old", stale: true });
    expect(await cache.getWithSwr("k", generator, { ttl: 300, tags: ["t"] })).toMatchObject({ value: "old", stale: true });
    expect(generator).toHaveBeenCalledTimes(1);
    gate.resolve("new");
    await background.drain();
    expect(await cache.getWithSwr("k", generator)).toMatchObject({ value: "new", stale: false });
  });

  it("a hard purge after a soft one still removes", async () => {
    const { cache } = setup();
    await cache.set("k", "v", { tags: ["t"] });
    await cache.invalidateTag("t", { soft: true });
    expect(await cache.invalidateTag("t")).toBe(1);
    expect(await cache.has("k")).toBe(false);
  });

  it("takes effect at once while bodies are swept in the background", async () => {
    const { cache, store, background } = setup();
    for (let i = 0; i < 3000; i++) await cache.set(`k${i}`, i, { tags: ["big"] });
    expect(await cache.invalidateTag("big")).toBe(3000);
    expect(await cache.get("k0")).toBeUndefined();
    expect(await cache.get("k2999")).toBeUndefined();
    await background.drain();
    expect(store.size).toBe(0);
  });

  it("counts exactly when purges overlap before the sweep has run", async () => {
    const { cache } = setup();
    await cache.set("a", 1, { tags: ["x", "y"] });
    await cache.set("b", 2, { tags: ["y"] });
    expect(await cache.invalidateTag("x")).toBe(1);
    expect(await cache.invalidateTag("y")).toBe(1);
  });

  it("sums counts over several tags without counting an entry twice", async () => {
    const { cache } = setup();
    await cache.set("a", 1, { tags: ["x", "y"] });
    await cache.set("b", 2, { tags: ["y"] });
    await cache.set("c", 3, { tags: ["z"] });
    expect(await cache.invalidateTags(["x", "y", "x"])).toBe(2);
    expect(await cache.get("c")).toBe(3);
  });

  it("emits a purge event", async () => {
    const { cache } = setup();
    const events: unknown[] = [];
    cache.on("purge", (event) => events.push(event));
    await cache.set("a", 1, { tags: ["x"] });
    await cache.invalidateTag("x", { soft: true });
    expect(events).toEqual([{ type: "purge", target: "tag:x", mode: "soft", count: 1 }]);
  });
});

describe("purge by prefix, pattern and key", () => {
  it("purges a boundary prefix in O(1) through its implicit name", async () => {
    const { cache } = setup();
    await cache.set("/blog/a", 1);
    await cache.set("/blog/b/c", 2);
    await cache.set("/blogroll", 3);
    await cache.set("/about", 4);
    expect(await cache.invalidatePrefix("/blog/")).toBe(2);
    expect(await cache.get("/blog/b/c")).toBeUndefined();
    expect(await cache.get("/blogroll")).toBe(3);
    expect(await cache.get("/about")).toBe(4);
  });

  it("purges any other prefix by enumeration", async () => {
    const { cache } = setup();
    await cache.set("/blog/a", 1);
    await cache.set("/blogroll", 3);
    await cache.set("/about", 4);
    expect(await cache.invalidatePrefix("/blog")).toBe(2);
    expect(await cache.get("/about")).toBe(4);
  });

  it("soft-purges a prefix: stale, not gone", async () => {
    const { cache, background } = setup();
    await cache.set("user:1:name", "ann", { ttl: 60 });
    await cache.set("user:1x", "other", { ttl: 60 });
    expect(await cache.invalidatePrefix("user:1", { soft: true })).toBe(2);
    expect(await cache.getWithSwr("user:1:name", async () => "ANN")).toMatchObject({ value: "ann", stale: true });
    await background.drain();
    expect(await cache.get("user:1:name")).toBe("ANN");
  });

  it("purges keys matching a glob", async () => {
    const { cache } = setup();
    await cache.set("user:1:posts", 1);
    await cache.set("user:22:posts", 2);
    await cache.set("user:1:profile", 3);
    await cache.set("xuser:1:posts", 4);
    expect(await cache.invalidatePattern("user:*:posts")).toBe(2);
    expect(await cache.get("user:1:profile")).toBe(3);
    expect(await cache.get("xuser:1:posts")).toBe(4);
    expect(await cache.invalidatePattern("user:?:profile")).toBe(1);
  });

  it("purges a list of keys, counting only live ones", async () => {
    const { cache, clock } = setup();
    await cache.set("a", 1);
    await cache.set("b", 2, { ttl: 1 });
    clock.advance(5);
    expect(await cache.invalidateKeys(["a", "b", "never"])).toBe(1);
    expect(await cache.has("a")).toBe(false);
  });

  it("soft-purges keys", async () => {
    const { cache } = setup();
    await cache.set("a", 1, { ttl: 100 });
    expect(await cache.invalidateKeys(["a"], { soft: true })).toBe(1);
    expect(await cache.getWithSwr("a", async () => 2)).toMatchObject({ value: 1, stale: true });
  });
});

describe("namespaces", () => {
  it("prefixes keys and isolates namespaces from each other", async () => {
    const { cache } = setup();
    const users = cache.namespace("user:");
    const posts = cache.namespace("post:");
    await users.set("1", "ann");
    await posts.set("1", "hello");
    expect(await users.get("1")).toBe("ann");
    expect(await posts.get("1")).toBe("hello");
    expect(await cache.get("user:1")).toBe("ann");
  });

  it("clears one namespace as a whole, in O(1) at a separator", async () => {
    const { cache } = setup();
    const users = cache.namespace("user:");
    await users.set("1", "ann");
    await users.set("2", "bob");
    await cache.set("post:1", "hello");
    expect(await users.clear()).toBe(2);
    expect(await users.get("1")).toBeUndefined();
    expect(await cache.get("post:1")).toBe("hello");
  });

  it("scopes prefix and pattern purges to the namespace", async () => {
    const { cache } = setup();
    const a = cache.namespace("a:");
    const b = cache.namespace("b:");
    await a.set("x:1", 1);
    await b.set("x:1", 2);
    expect(await a.invalidatePattern("x:*")).toBe(1);
    expect(await b.get("x:1")).toBe(2);
    expect(await b.invalidatePrefix("x:")).toBe(1);
  });

  it("nests", async () => {
    const { cache } = setup();
    const nested = cache.namespace("app:").namespace("v2:");
    await nested.set("k", 1);
    expect(await cache.get("app:v2:k")).toBe(1);
    expect(nested.prefix).toBe("app:v2:");
  });
});
