import { describe, expect, it } from "vitest";
import { createCache, EdgecacheError, MemoryStore } from "../../src/index.js";
import { manualClock } from "../support/clock.js";

function setup() {
  const clock = manualClock();
  const cache = createCache({ store: new MemoryStore(), clock: clock.now });
  return { clock, cache };
}

describe("get / set / has / delete", () => {
  it("stores and reads back a value", async () => {
    const { cache } = setup();
    await cache.set("greeting", { text: "hello" });
    expect(await cache.get("greeting")).toEqual({ text: "hello" });
    expect(await cache.has("greeting")).toBe(true);
  });

  it("answers undefined and false for a key never set", async () => {
    const { cache } = setup();
    expect(await cache.get("nothing")).toBeUndefined();
    expect(await cache.has("nothing")).toBe(false);
  });

  it("keeps an entry without ttl forever", async () => {
    const { cache, clock } = setup();
    await cache.set("forever", 1);
    clock.advance(10 * 365 * 24 * 3600);
    expect(await cache.get("forever")).toBe(1);
  });

  it("expires an entry at its ttl, not a millisecond earlier", async () => {
    const { cache, clock } = setup();
    await cache.set("k", "v", { ttl: 60 });
    clock.advance(59.999);
    expect(await cache.get("k")).toBe("v");
    clock.advance(0.001);
    expect(await cache.get("k")).toBeUndefined();
    expect(await cache.has("k")).toBe(false);
  });

  it("serves an entry within its swr window as stale, then drops it", async () => {
    const { cache, clock } = setup();
    await cache.set("k", "v", { ttl: 10, swr: 5 });
    clock.advance(12);
    expect(await cache.get("k")).toBe("v");
    expect(cache.stats().staleHits).toBe(1);
    clock.advance(3);
    expect(await cache.get("k")).toBeUndefined();
  });

  it("does not serve a stale-if-error-only entry to a plain get", async () => {
    const { cache, clock } = setup();
    await cache.set("k", "v", { ttl: 10, staleIfError: 100 });
    clock.advance(11);
    expect(await cache.get("k")).toBeUndefined();
    expect(await cache.has("k")).toBe(false);
  });

  it("overwrites a value and its ttl", async () => {
    const { cache, clock } = setup();
    await cache.set("k", 1, { ttl: 10 });
    await cache.set("k", 2, { ttl: 100 });
    clock.advance(50);
    expect(await cache.get("k")).toBe(2);
  });

  it("deletes, and reports whether a live entry was removed", async () => {
    const { cache, clock } = setup();
    await cache.set("k", 1, { ttl: 10 });
    expect(await cache.delete("k")).toBe(true);
    expect(await cache.get("k")).toBeUndefined();
    expect(await cache.delete("k")).toBe(false);
    await cache.set("old", 1, { ttl: 1 });
    clock.advance(2);
    expect(await cache.delete("old")).toBe(false);
  });

  it("stores null and falsy values as hits", async () => {
    const { cache } = setup();
    await cache.set("null", null);
    await cache.set("zero", 0);
    await cache.set("empty", "");
    expect(await cache.has("null")).toBe(true);
    expect(await cache.get("zero")).toBe(0);
    expect(await cache.get("empty")).toBe("");
  });

  it("applies cache-wide defaults, and call options over them", async () => {
    const clock = manualClock();
    const cache = createCache({ clock: clock.now, defaults: { ttl: 30, tags: ["all"] } });
    await cache.set("a", 1);
    await cache.set("b", 2, { ttl: 300, tags: ["b"] });
    clock.advance(31);
    expect(await cache.get("a")).toBeUndefined();
    expect(await cache.get("b")).toBe(2);
    expect(await cache.invalidateTag("all")).toBe(1);
    expect(await cache.get("b")).toBeUndefined();
  });
});

describe("bad input gets a typed error that says what to fix", () => {
  const cases: [string, (cache: ReturnType<typeof createCache>) => Promise<unknown>, string, RegExp][] = [
    ["an empty key", (c) => c.set("", 1), "INVALID_KEY", /non-empty string/],
    ["a non-string key", (c) => c.get(42 as unknown as string), "INVALID_KEY", /got 42/],
    ["a negative ttl", (c) => c.set("k", 1, { ttl: -1 }), "INVALID_OPTION", /ttl must be a number of seconds ≥ 0/],
    ["a NaN ttl", (c) => c.set("k", 1, { ttl: NaN }), "INVALID_OPTION", /got NaN/],
    ["a string swr", (c) => c.set("k", 1, { swr: "5" as unknown as number }), "INVALID_OPTION", /swr/],
    ["an undefined value", (c) => c.set("k", undefined), "VALUE_NOT_STORABLE", /store null/],
    ["an empty tag", (c) => c.set("k", 1, { tags: [""] }), "INVALID_TAG", /1 to 1024 characters/],
    ["tags that are not an array", (c) => c.set("k", 1, { tags: "a" as unknown as string[] }), "INVALID_TAG", /array of strings/],
    ["too many tags", (c) => c.set("k", 1, { tags: Array.from({ length: 65 }, (_, i) => `t${i}`) }), "TOO_MANY_TAGS", /at most 64/],
    ["a generator that is not a function", (c) => c.getOrSet("k", 5 as never), "INVALID_OPTION", /generator must be a function/],
    ["an invalid pattern", (c) => c.invalidatePattern("a\\"), "INVALID_PATTERN", /lone/],
    ["an empty namespace", async (c) => c.namespace(""), "INVALID_KEY", /non-empty/],
  ];
  it.each(cases)("%s", async (_name, act, code, message) => {
    const { cache } = setup();
    const error = await Promise.resolve()
      .then(() => act(cache))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(EdgecacheError);
    expect((error as EdgecacheError).code).toBe(code);
    expect((error as EdgecacheError).message).toMatch(message);
  });

  it("writes nothing when a set is refused", async () => {
    const store = new MemoryStore({ maxBytes: 4096 });
    const cache = createCache({ store });
    await cache.set("k", "small", { tags: ["t"] });
    await expect(cache.set("k", "x".repeat(10_000), { tags: ["t"] })).rejects.toMatchObject({ code: "VALUE_TOO_LARGE" });
    expect(await cache.get("k")).toBe("small");
    expect(store.size).toBe(1);
  });

  it("rejects bad cache options up front", () => {
    expect(() => createCache({ clock: 5 as never })).toThrow(/clock must be a function/);
    expect(() => createCache({ defaults: { ttl: -5 } })).toThrow(/ttl/);
    expect(() => new MemoryStore({ maxEntries: 0 })).toThrow(/maxEntries must be a positive integer/);
  });
});
