import type { EntryTimes, Invalidation, StoredEntry } from "./entry.js";

export type MaybePromise<T> = T | Promise<T>;

export interface StoreCapabilities {
  /** Can list entries by prefix and by tag: needed to count purges, purge non-boundary prefixes and patterns, and clean up. */
  readonly enumerate: boolean;
  /**
   * `strong`: a write is visible to the next read (memory, IndexedDB). `eventual`: reads may lag
   * writes, and listings lag more (Workers KV: about 60 s between locations).
   */
  readonly consistency: "strong" | "eventual";
}

export interface StoreLimits {
  /** Longest key the store accepts, in UTF-8 bytes (Infinity when it hashes long keys). */
  readonly maxKeyBytes: number;
  /** Largest value the store accepts, in bytes as the store measures it. */
  readonly maxValueBytes: number;
  /** Most tags one entry may carry (bounded by how many invalidation records one read can fetch). */
  readonly maxTagsPerEntry: number;
}

/**
 * What one `invalidate` covers: a tag, a prefix at a separator boundary (both O(1) through an
 * invalidation record), or a single key. A key purge goes through the store because only the
 * store knows how to make it reach every copy (the Cache API keeps one per data center).
 */
export type PurgeTarget = { readonly tag: string } | { readonly prefix: string } | { readonly key: string };
export type PurgeMode = "hard" | "soft";

export interface PurgeOutcome {
  /** Live entries (fresh or stale) created before the purge that it covered. */
  readonly count: number;
  /** Work that may finish after the purge has taken effect (deleting bodies): hand it to waitUntil. */
  readonly background?: Promise<unknown>;
}

/** What enumeration yields: enough to count and select, without reading values. */
export type EntrySummary = EntryTimes & { readonly key: string };

export interface ScanFilter {
  /** Keys starting with this string. */
  readonly prefix?: string;
  /** Entries carrying this tag. */
  readonly tag?: string;
}

/**
 * Where entries live. The engine owns every rule about freshness, purges and coalescing; a store
 * only keeps records and the indexes that make purges cheap, and declares what it can do.
 * `get` and `invalidationFor` may answer synchronously, which an in-memory store uses to keep a
 * hit free of promise turns.
 */
export interface Store {
  readonly name: string;
  readonly capabilities: StoreCapabilities;
  readonly limits: StoreLimits;

  get(key: string): MaybePromise<StoredEntry | undefined>;
  /** The latest hard and soft invalidation stamps over the entry's tags and boundary prefixes. */
  invalidationFor(entry: StoredEntry): MaybePromise<Invalidation | undefined>;
  /**
   * Throws VALUE_TOO_LARGE or VALUE_NOT_STORABLE, synchronously, if `set` would refuse the entry.
   * The engine calls it before handing a generated value to its callers, so a value that cannot
   * be cached is reported to them rather than lost in a background write. A store may keep the
   * work it did (an encoding) for the `set` of the same entry object.
   */
  check?(entry: StoredEntry): void;
  /** Stores the entry with its indexes; rejects with VALUE_TOO_LARGE / VALUE_NOT_STORABLE before writing anything. */
  set(entry: StoredEntry): Promise<void>;
  /** Deletes the entry; with `ifCreatedAt`, only if it is still that generation. */
  delete(key: string, ifCreatedAt?: number): Promise<void>;

  /**
   * Purges a tag or boundary prefix (recording an invalidation, O(1)) or one key, covering
   * entries created at or before `at`; reports how many of them were live.
   */
  invalidate(target: PurgeTarget, mode: PurgeMode, at: number, now: number): Promise<PurgeOutcome>;
  /** Entries by prefix or tag (all entries without a filter). Requires `capabilities.enumerate`. */
  scan(filter: ScanFilter): AsyncIterable<EntrySummary>;

  /** Small records beside the entries (warming status), visible to every engine on the store. */
  getRecord(name: string): Promise<unknown>;
  setRecord(name: string, value: unknown): Promise<void>;

  /**
   * Removes expired and purged entries and index records whose entries are gone; returns how
   * many. `inFlightSince` is the oldest stamp of a generation still running (Infinity if none):
   * an invalidation at or after it may yet have to reject that generation's value, so it stays.
   */
  cleanup(now: number, inFlightSince: number): Promise<number>;
}

export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === "function";
}
