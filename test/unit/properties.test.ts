import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createCache, MemoryStore } from "../../src/index.js";
import { deferred, manualClock, recordingWaitUntil } from "../support/clock.js";
import { checkAgainstModel, operation } from "../support/model.js";

describe("invariants, on random operation sequences (memory store)", () => {
  it("never serves an expired entry or one created before a purge that covers it; has() agrees with get(); purge counts are exact", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 80 }), async (operations) => {
        await checkAgainstModel(new MemoryStore(), operations);
      }),
      { numRuns: 500 },
    );
  });
});

describe("coalescing, on random interleavings", () => {
  it("runs at most one generator per key at a time, and every reader gets that generation's value", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ key: fc.constantFrom("a", "b", "c"), settleFirst: fc.boolean(), fail: fc.boolean() }), { minLength: 1, maxLength: 40 }),
        async (steps) => {
          const clock = manualClock();
          const background = recordingWaitUntil();
          const cache = createCache({ clock: clock.now, waitUntil: background.waitUntil });
          const running = new Map<string, number>();
          let maxConcurrent = 0;
          const gates: { resolve: (v: string) => void; reject: (e: unknown) => void }[] = [];
          let generation = 0;
          const readers: Promise<unknown>[] = [];

          for (const step of steps) {
            if (step.settleFirst && gates.length > 0) {
              const gate = gates.shift()!;
              if (step.fail) gate.reject(new Error("fail"));
              else gate.resolve(`g${generation}`);
              await Promise.resolve();
            }
            readers.push(
              cache
                .getOrSet(step.key, async () => {
                  const now = (running.get(step.key) ?? 0) + 1;
                  running.set(step.key, now);
                  maxConcurrent = Math.max(maxConcurrent, now);
                  const gate = deferred<string>();
                  gates.push(gate);
                  generation++;
                  try {
                    return await gate.promise;
                  } finally {
                    running.set(step.key, running.get(step.key)! - 1);
                  }
                }, { ttl: 0 })
                .catch((error: Error) => error.message),
            );
            // ttl 0: every value is stale at once, so later readers refresh rather than hit.
            clock.advance(1);
          }
          while (gates.length > 0) gates.shift()!.resolve("last");
          await Promise.all(readers);
          await background.drain();
          expect(maxConcurrent).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 200 },
    );
  });
});
