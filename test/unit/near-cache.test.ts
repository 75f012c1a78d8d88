import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createCache, MemoryStore, NearCache } from "../../src/index.js";
import { manualClock, recordingWaitUntil } from "../support/clock.js";
import { FaultyStore } from "../support/faulty-store.js";
import { checkAgainstModel, operation } from "../support/model.js";

/** Two engines (two isolates) with their own near caches over one shared far store. */
function twoIsolates(ttlMs = 1000) {
  const clock = manualClock();
  const far = new FaultyStore(new MemoryStore());
  const isolate = () => {
    const background = recordingWaitUntil();
    const near = new NearCache({ far, ttlMs, clock: clock.now });
    return { cache: createCache({ store: near, clock: clock.now, waitUntil: background.waitUntil }), background };
  };
  return { clock, far, a: isolate(), b: isolate() };
}

describe("NearCache", () => {
  it("serves a hit with no far-store I/O within its ttl, and reads the far store again after it", async () => {
    const { a, far, clock } = twoIsolates();
    await a.cache.set("k", "v", { ttl: 600 });
    far.calls.clear();
    for (let i = 0; i < 10; i++) expect(await a.cache.get("k")).toBe("v");
    expect(far.calls.get("get") ?? 0).toBe(0);
    expect(far.calls.get("invalidationFor") ?? 0).toBe(0);
    clock.advance(1.5);
    expect(await a.cache.get("k")).toBe("v");
    expect(far.calls.get("get")).toBe(1);
  });

  it("applies this engine's purges at once, and another's within ttlMs", async () => {
    const { a, b, clock } = twoIsolates();
    await a.cache.set("k", "v", { ttl: 600, tags: ["t"] });
    expect(await b.cache.get("k")).toBe("v");
    expect(await a.cache.invalidateTag("t")).toBe(1);
    expect(await a.cache.get("k")).toBeUndefined();
    // B loaded the entry less than ttlMs ago: it may still answer from memory...
    expect(await b.cache.get("k")).toBe("v");
    clock.advance(1);
    // ...but not once that time has passed.
    expect(await b.cache.get("k")).toBeUndefined();
  });

  it("sees another engine's newer generation once its copy is due for a recheck", async () => {
    const { a, b, clock } = twoIsolates();
    await a.cache.set("k", "v1", { ttl: 600 });
    expect(await b.cache.get("k")).toBe("v1");
    clock.advance(0.5);
    await a.cache.set("k", "v2", { ttl: 600 });
    expect(await b.cache.get("k")).toBe("v1");
    clock.advance(0.6);
    expect(await b.cache.get("k")).toBe("v2");
  });

  it("with ttlMs 0 is a pass-through", async () => {
    const { a, far } = twoIsolates(0);
    await a.cache.set("k", "v");
    far.calls.clear();
    await a.cache.get("k");
    expect(far.calls.get("get")).toBe(1);
  });

  it("agrees with the reference model", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 60 }), async (operations) => {
        await checkAgainstModel(new NearCache({ far: new MemoryStore() }), operations);
      }),
      { numRuns: 200 },
    );
  });
});
