// fake-indexeddb stands in for IndexedDB here, for the store's own logic; the service worker's
// use of the real thing is tested in Chromium (test/e2e).
import "fake-indexeddb/auto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IdbStore } from "../../browser/idb-store.js";
import { createCache } from "../../src/index.js";
import { manualClock } from "../support/clock.js";
import { checkAgainstModel, operation } from "../support/model.js";

let databases = 0;
const fresh = (options: Parameters<typeof IdbStore.open>[0] = {}) => IdbStore.open({ name: `test-${databases++}`, ...options });

describe("IdbStore (on fake-indexeddb)", () => {
  it("keeps values by structured clone, types included", async () => {
    const cache = createCache({ store: await fresh() });
    const value = { when: new Date(5), map: new Map([[1, new Set(["x"])]]), bytes: new Uint8Array([7]) };
    await cache.set("k", value, { tags: ["t"] });
    const back = await cache.get("k");
    expect(back).toEqual(value);
    expect(back).not.toBe(value);
  });

  it("refuses what structured clone cannot keep, with a typed error", async () => {
    const cache = createCache({ store: await fresh() });
    await expect(cache.getOrSet("k", async () => ({ f: () => 1 }))).rejects.toMatchObject({ code: "VALUE_NOT_STORABLE" });
  });

  it("purges by tag through its multiEntry index and by prefix through key ranges", async () => {
    const cache = createCache({ store: await fresh() });
    await cache.set("/blog/a", 1, { tags: ["t"] });
    await cache.set("/blog/b", 2);
    await cache.set("/blogroll", 3, { tags: ["t"] });
    expect(await cache.invalidateTag("t")).toBe(2);
    expect(await cache.invalidatePrefix("/blog")).toBe(1);
    expect(await cache.has("/blog/b")).toBe(false);
  });

  it("keeps its stamps across reopening", async () => {
    const name = `reopen-${databases++}`;
    const first = createCache({ store: await IdbStore.open({ name }) });
    await first.set("k", 1, { tags: ["t"] });
    const clock = manualClock(Date.now() + 1000);
    await first.invalidateTag("t", { soft: true });
    const reopened = createCache({ store: await IdbStore.open({ name }), clock: clock.now });
    expect(await reopened.getWithSwr("k", async () => 2)).toMatchObject({ value: 1, stale: true });
  });

  it("evicts least recently used entries past maxEntries", async () => {
    const clock = manualClock();
    const store = await fresh({ maxEntries: 3, accessGranularityMs: 0, clock: clock.now });
    const cache = createCache({ store, clock: clock.now });
    for (const key of ["a", "b", "c"]) {
      await cache.set(key, key);
      clock.advance(1);
    }
    await cache.get("a");
    await new Promise((resolve) => setTimeout(resolve, 20));
    clock.advance(1);
    await cache.set("d", "d");
    expect(store.size).toBe(3);
    expect(await cache.has("b")).toBe(false);
    expect(await cache.has("a")).toBe(true);
  });

  it("agrees with the reference model", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 40 }), async (operations) => {
        await checkAgainstModel(await fresh(), operations);
      }),
      { numRuns: 100 },
    );
  });
});
