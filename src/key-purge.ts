import { classify, entryFields, isLive, type StoredEntry } from "./entry.js";
import type { PurgeMode, Store } from "./store.js";

/**
 * A key purge for stores whose entries live in one place (KV, IndexedDB): read the entry, and
 * delete it (hard) or write it back marked stale (soft). Returns 1 if the entry was live, else 0.
 * Entries created after `at` belong to a later generation and are left alone.
 */
export async function purgeKeyInPlace(store: Store, key: string, mode: PurgeMode, at: number, now: number): Promise<number> {
  const entry = await store.get(key);
  if (entry === undefined || entry.createdAt > at) return 0;
  const live = isLive(classify(entry, await store.invalidationFor(entry), now));
  if (mode === "hard") await store.delete(key, entry.createdAt);
  else if (live) await store.set(markedStale(entry, at));
  return live ? 1 : 0;
}

export function markedStale<V>(entry: StoredEntry<V>, at: number): StoredEntry<V> {
  return { ...entryFields(entry), softPurgedAt: at };
}
