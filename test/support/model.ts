import fc from "fast-check";
import { compileGlob, createCache, type Store } from "../../src/index.js";
import { manualClock, recordingWaitUntil } from "./clock.js";

/**
 * A reference model of the cache's observable behaviour, and random operation sequences run
 * against both it and a real cache on a real store. The model is deliberately naive (a Map,
 * purges by scanning), so it is easy to believe; the engine's O(1) machinery must agree with it.
 */
interface ModelEntry {
  value: number;
  freshUntil: number;
  staleUntil: number;
  tags: string[];
  soft: boolean;
}

export type Operation =
  | { op: "set"; key: string; value: number; ttl: number | undefined; swr: number; tags: string[] }
  | { op: "advance"; seconds: number }
  | { op: "get"; key: string }
  | { op: "has"; key: string }
  | { op: "delete"; key: string }
  | { op: "tag"; tag: string; soft: boolean }
  | { op: "prefix"; prefix: string; soft: boolean }
  | { op: "pattern"; pattern: string; soft: boolean }
  | { op: "cleanup" };

const KEYS = ["a/1", "a/2", "a/b/3", "b:1", "b:2", "c"];
const TAGS = ["x", "y", "z"];
// Boundary prefixes (O(1) path) and others (enumeration path).
const PREFIXES = ["a/", "a/b/", "b:", "a", "b:1", "c"];
const PATTERNS = ["a*", "*1", "?:?", "a/*/3", "*"];

// Permanent and long-lived entries as often as short ones, so that purges find many live
// entries (the memory store's counting fast path) as well as expired ones (its slow path).
// Small shared durations make sums of clock steps land exactly on expiry boundaries.
const TTL = fc.oneof(fc.constant(undefined), fc.constantFrom(0, 1, 2, 5), fc.integer({ min: 100, max: 1000 }));

export const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant("set" as const), key: fc.constantFrom(...KEYS), value: fc.nat(1000), ttl: TTL, swr: fc.constantFrom(0, 1, 3), tags: fc.subarray(TAGS) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("advance" as const), seconds: fc.constantFrom(0, 1, 2, 5, 15) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("get" as const), key: fc.constantFrom(...KEYS) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("has" as const), key: fc.constantFrom(...KEYS) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("delete" as const), key: fc.constantFrom(...KEYS) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("tag" as const), tag: fc.constantFrom(...TAGS), soft: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("prefix" as const), prefix: fc.constantFrom(...PREFIXES), soft: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("pattern" as const), pattern: fc.constantFrom(...PATTERNS), soft: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("cleanup" as const) }) },
);

/** Runs the operations on a fresh cache over `store` and on the model; throws on the first disagreement. */
export async function checkAgainstModel(store: Store, operations: Operation[]): Promise<void> {
  const clock = manualClock();
  const background = recordingWaitUntil();
  const cache = createCache({ store, clock: clock.now, waitUntil: background.waitUntil });
  const model = new Map<string, ModelEntry>();
  const now = () => clock.now();
  const live = (entry: ModelEntry | undefined): entry is ModelEntry => entry !== undefined && now() < entry.staleUntil;

  const purge = (covers: (key: string, entry: ModelEntry) => boolean, soft: boolean): number => {
    let count = 0;
    for (const [key, entry] of [...model]) {
      if (!covers(key, entry)) continue;
      if (live(entry)) count++;
      if (soft) entry.soft = true;
      else model.delete(key);
    }
    return count;
  };
  const fail = (step: number, what: string, actual: unknown, expected: unknown) => {
    throw new Error(`step ${step} (${JSON.stringify(operations[step])}): ${what} was ${JSON.stringify(actual)}, the model says ${JSON.stringify(expected)}`);
  };

  for (let step = 0; step < operations.length; step++) {
    const operation = operations[step]!;
    switch (operation.op) {
      case "set": {
        const { key, value, ttl, swr, tags } = operation;
        await cache.set(key, value, { ttl, swr, tags });
        const freshUntil = ttl === undefined ? Infinity : now() + ttl * 1000;
        model.set(key, { value, freshUntil, staleUntil: freshUntil + swr * 1000, tags, soft: false });
        break;
      }
      case "advance":
        clock.advance(operation.seconds);
        break;
      case "get":
      case "has": {
        const entry = model.get(operation.key);
        const expected = live(entry) ? entry.value : undefined;
        const actual = await cache.get(operation.key);
        if (actual !== expected) fail(step, "get", actual, expected);
        const has = await cache.has(operation.key);
        if (has !== (expected !== undefined)) fail(step, "has", has, expected !== undefined);
        break;
      }
      case "delete": {
        const expected = live(model.get(operation.key));
        model.delete(operation.key);
        const actual = await cache.delete(operation.key);
        if (actual !== expected) fail(step, "delete", actual, expected);
        break;
      }
      case "tag": {
        const expected = purge((_key, entry) => entry.tags.includes(operation.tag), operation.soft);
        const actual = await cache.invalidateTag(operation.tag, { soft: operation.soft });
        if (actual !== expected) fail(step, "invalidateTag count", actual, expected);
        break;
      }
      case "prefix": {
        const expected = purge((key) => key.startsWith(operation.prefix), operation.soft);
        const actual = await cache.invalidatePrefix(operation.prefix, { soft: operation.soft });
        if (actual !== expected) fail(step, "invalidatePrefix count", actual, expected);
        break;
      }
      case "pattern": {
        const matches = compileGlob(operation.pattern);
        const expected = purge((key) => matches(key), operation.soft);
        const actual = await cache.invalidatePattern(operation.pattern, { soft: operation.soft });
        if (actual !== expected) fail(step, "invalidatePattern count", actual, expected);
        break;
      }
      case "cleanup":
        await cache.cleanup();
        break;
    }
    // Stale reads must agree with soft purges too: a soft-purged or past-fresh entry is stale.
    for (const [key, entry] of model) {
      if (!live(entry)) continue;
      const expectStale = entry.soft || now() >= entry.freshUntil;
      const read = await cache.getWithSwr(key, () => Promise.reject(new Error("no refresh in the model")));
      if (read.value !== entry.value || read.stale !== expectStale) fail(step, `getWithSwr(${key})`, read, { value: entry.value, stale: expectStale });
    }
    await background.drain();
  }
}
