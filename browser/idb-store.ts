import { type DBSchema, type IDBPDatabase, openDB } from "idb";
import {
  classify,
  EdgecacheError,
  entryFields,
  type EntrySummary,
  expiresAt,
  foldStamps,
  type Invalidation,
  invalidationNames,
  isLive,
  MAX_TAGS_PER_ENTRY,
  prefixName,
  type PurgeMode,
  type PurgeOutcome,
  type PurgeTarget,
  type ScanFilter,
  type Store,
  type StoredEntry,
  storeFailure,
  tagName,
} from "../src/index.js";

/** An entry as kept: the entry itself plus what its indexes need. One record per entry, so no index can drift from it. */
interface EntryRecord extends StoredEntry {
  /** Its tags' and boundary prefixes' invalidation names: the multiEntry index purges walk. */
  names: string[];
  /** When it may be dropped (end of its stale windows); Infinity for permanent entries. */
  expiresAt: number;
  /** Last read, coarsely: least recently used entries are evicted first under quota pressure. */
  lastAccess: number;
}

interface EdgecacheSchema extends DBSchema {
  entries: { key: string; value: EntryRecord; indexes: { names: string; expiresAt: number; lastAccess: number } };
  invalidations: { key: string; value: { name: string } & Invalidation };
  records: { key: string; value: { name: string; value: unknown } };
}

export interface IdbStoreOptions {
  /** Database name. Default "edgecache". */
  name?: string;
  /** Most entries kept; past it the least recently used are evicted. Default 5,000. */
  maxEntries?: number;
  /** A read refreshes an entry's last-access time at most this often (ms), so hits rarely write. Default 60,000. */
  accessGranularityMs?: number;
  /** Milliseconds since the epoch, for last-access times. Default Date.now. */
  clock?: () => number;
}

const DEFAULTS = { name: "edgecache", maxEntries: 5000, accessGranularityMs: 60_000 };
const VERSION = 1;
/** A quota error evicts this share of the entries (at least one) before retrying, a few times at most. */
const EVICT_SHARE = 0.1;
const QUOTA_RETRIES = 5;

/**
 * Entries in IndexedDB, through idb. Values are kept by the structured clone algorithm, so
 * Dates, Maps, Sets and binary bodies come back as they went in. Invalidation stamps are few
 * and read on every hit, so they are also held in memory (loaded at open, written through);
 * the service worker that owns the store is their only writer.
 */
export class IdbStore implements Store {
  readonly name = "indexeddb";
  readonly capabilities = { enumerate: true, consistency: "strong" } as const;
  readonly limits = { maxKeyBytes: Infinity, maxValueBytes: 64 * 1024 * 1024, maxTagsPerEntry: MAX_TAGS_PER_ENTRY };
  readonly #db: IDBPDatabase<EdgecacheSchema>;
  readonly #stamps: Map<string, Invalidation>;
  readonly #settings: typeof DEFAULTS;
  readonly #clock: () => number;
  #count: number;

  private constructor(db: IDBPDatabase<EdgecacheSchema>, stamps: Map<string, Invalidation>, count: number, settings: typeof DEFAULTS, clock: () => number) {
    this.#db = db;
    this.#stamps = stamps;
    this.#count = count;
    this.#settings = settings;
    this.#clock = clock;
  }

  static async open(options: IdbStoreOptions = {}): Promise<IdbStore> {
    const settings = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined && typeof value !== "function")) } as typeof DEFAULTS;
    if (!(Number.isInteger(settings.maxEntries) && settings.maxEntries > 0)) {
      throw new EdgecacheError("INVALID_OPTION", `IdbStore: maxEntries must be a positive integer, got ${String(settings.maxEntries)}`);
    }
    let db: IDBPDatabase<EdgecacheSchema>;
    try {
      db = await openDB<EdgecacheSchema>(settings.name, VERSION, {
        upgrade(database) {
          const entries = database.createObjectStore("entries", { keyPath: "key" });
          entries.createIndex("names", "names", { multiEntry: true });
          entries.createIndex("expiresAt", "expiresAt");
          entries.createIndex("lastAccess", "lastAccess");
          database.createObjectStore("invalidations", { keyPath: "name" });
          database.createObjectStore("records", { keyPath: "name" });
        },
      });
    } catch (error) {
      throw storeFailure("indexeddb", "open", error);
    }
    const tx = db.transaction(["invalidations", "entries"]);
    const stamps = new Map((await tx.objectStore("invalidations").getAll()).map(({ name, hard, soft }) => [name, { hard, soft }]));
    const count = await tx.objectStore("entries").count();
    await tx.done;
    return new IdbStore(db, stamps, count, settings, options.clock ?? Date.now);
  }

  /** Entries held (including expired ones not yet cleaned up). */
  get size(): number {
    return this.#count;
  }

  close(): void {
    this.#db.close();
  }

  async get(key: string): Promise<StoredEntry | undefined> {
    let record: EntryRecord | undefined;
    try {
      record = await this.#db.get("entries", key);
    } catch (error) {
      throw storeFailure(this.name, "get", error);
    }
    if (record === undefined) return undefined;
    const now = this.#clock();
    if (now - record.lastAccess >= this.#settings.accessGranularityMs) {
      // Best effort, off the read's path: it only orders evictions.
      void this.#touch(key, record.createdAt, now);
    }
    return record;
  }

  invalidationFor(entry: StoredEntry): Invalidation | undefined {
    if (this.#stamps.size === 0) return undefined;
    return foldStamps((entry as Partial<EntryRecord>).names ?? invalidationNames(entry.key, entry.tags), this.#stamps);
  }

  check(entry: StoredEntry): void {
    try {
      structuredClone(entry.value);
    } catch (error) {
      throw new EdgecacheError("VALUE_NOT_STORABLE", `the value for "${entry.key}" cannot be kept in IndexedDB (${(error as Error).message}); store plain data, Dates, Maps, Sets or bytes`, { cause: error });
    }
  }

  async set(entry: StoredEntry): Promise<void> {
    const record: EntryRecord = {
      ...entryFields(entry),
      tags: [...entry.tags],
      names: invalidationNames(entry.key, entry.tags),
      expiresAt: expiresAt(entry),
      lastAccess: this.#clock(),
    };
    for (let attempt = 0; ; attempt++) {
      try {
        const tx = this.#db.transaction("entries", "readwrite");
        const existed = (await tx.store.getKey(record.key)) !== undefined;
        await tx.store.put(record);
        await tx.done;
        if (!existed) this.#count++;
        break;
      } catch (error) {
        const name = (error as DOMException | undefined)?.name;
        if (name === "DataCloneError") {
          throw new EdgecacheError("VALUE_NOT_STORABLE", `the value for "${entry.key}" cannot be kept in IndexedDB (${(error as Error).message})`, { cause: error });
        }
        if (name !== "QuotaExceededError") throw storeFailure(this.name, "set", error);
        // Make room, least recently used first, a share at a time: never everything at once.
        if (attempt >= QUOTA_RETRIES || (await this.evict(Math.max(1, Math.ceil(this.#count * EVICT_SHARE)))) === 0) {
          throw new EdgecacheError("VALUE_TOO_LARGE", `IndexedDB is out of quota for "${entry.key}" even after evicting least recently used entries`, { cause: error });
        }
      }
    }
    if (this.#count > this.#settings.maxEntries) await this.evict(this.#count - this.#settings.maxEntries);
  }

  /** Evicts up to `count` least recently used entries; returns how many went. */
  async evict(count: number): Promise<number> {
    const tx = this.#db.transaction("entries", "readwrite");
    let evicted = 0;
    let cursor = await tx.store.index("lastAccess").openCursor();
    while (cursor !== null && evicted < count) {
      await cursor.delete();
      evicted++;
      cursor = await cursor.continue();
    }
    await tx.done;
    this.#count -= evicted;
    return evicted;
  }

  async delete(key: string, ifCreatedAt?: number): Promise<void> {
    try {
      const tx = this.#db.transaction("entries", "readwrite");
      const record = await tx.store.get(key);
      if (record !== undefined && (ifCreatedAt === undefined || record.createdAt === ifCreatedAt)) {
        await tx.store.delete(key);
        this.#count--;
      }
      await tx.done;
    } catch (error) {
      throw storeFailure(this.name, "delete", error);
    }
  }

  async invalidate(target: PurgeTarget, mode: PurgeMode, at: number, now: number): Promise<PurgeOutcome> {
    try {
      if ("key" in target) return { count: await this.#purgeKey(target.key, mode, at, now) };
      const name = "tag" in target ? tagName(target.tag) : prefixName(target.prefix);
      const tx = this.#db.transaction(["entries", "invalidations"], "readwrite");
      const stamp = this.#stamps.get(name) ?? { hard: 0, soft: 0 };
      const next = mode === "hard" ? { ...stamp, hard: Math.max(stamp.hard, at) } : { ...stamp, soft: Math.max(stamp.soft, at) };
      await tx.objectStore("invalidations").put({ name, ...next });
      // One transaction: counting and deleting see exactly the entries the stamp covers.
      let count = 0;
      let cursor = await tx.objectStore("entries").index("names").openCursor(name);
      while (cursor !== null) {
        const record = cursor.value;
        if (record.createdAt <= at) {
          if (isLive(classify(record, this.invalidationFor(record), now))) count++;
          if (mode === "hard") {
            await cursor.delete();
            this.#count--;
          }
        }
        cursor = await cursor.continue();
      }
      await tx.done;
      this.#stamps.set(name, next);
      return { count };
    } catch (error) {
      throw storeFailure(this.name, "purge", error);
    }
  }

  async *scan(filter: ScanFilter): AsyncIterable<EntrySummary> {
    let records: EntryRecord[];
    if (filter.tag !== undefined) records = await this.#db.getAllFromIndex("entries", "names", tagName(filter.tag));
    else if (filter.prefix !== undefined && filter.prefix !== "") records = await this.#db.getAll("entries", IDBKeyRange.bound(filter.prefix, filter.prefix + "\uffff"));
    else records = await this.#db.getAll("entries");
    for (const record of records) {
      if (filter.prefix === undefined || record.key.startsWith(filter.prefix)) yield record;
    }
  }

  async getRecord(name: string): Promise<unknown> {
    return (await this.#db.get("records", name))?.value;
  }

  async setRecord(name: string, value: unknown): Promise<void> {
    await this.#db.put("records", { name, value });
  }

  async cleanup(now: number, inFlightSince: number): Promise<number> {
    const tx = this.#db.transaction(["entries", "invalidations"], "readwrite");
    let removed = 0;
    let oldestKept = Infinity;
    let cursor = await tx.objectStore("entries").openCursor();
    while (cursor !== null) {
      const record = cursor.value;
      const state = classify(record, this.invalidationFor(record), now);
      if (state === "expired" || state === "purged") {
        await cursor.delete();
        removed++;
      } else if (record.createdAt < oldestKept) oldestKept = record.createdAt;
      cursor = await cursor.continue();
    }
    // A stamp older than every entry and every running generation can cover nothing any more.
    const horizon = Math.min(oldestKept, inFlightSince, now);
    for (const [name, stamp] of this.#stamps) {
      if (stamp.hard < horizon && stamp.soft < horizon) {
        await tx.objectStore("invalidations").delete(name);
        this.#stamps.delete(name);
      }
    }
    await tx.done;
    this.#count -= removed;
    return removed;
  }

  /** Drops every entry and stamp: for a client that missed purges and can no longer tell what they covered. */
  async clear(): Promise<void> {
    const tx = this.#db.transaction(["entries", "invalidations"], "readwrite");
    await tx.objectStore("entries").clear();
    await tx.objectStore("invalidations").clear();
    await tx.done;
    this.#stamps.clear();
    this.#count = 0;
  }

  async #purgeKey(key: string, mode: PurgeMode, at: number, now: number): Promise<number> {
    const tx = this.#db.transaction("entries", "readwrite");
    const record = await tx.store.get(key);
    if (record === undefined || record.createdAt > at) {
      await tx.done;
      return 0;
    }
    const live = isLive(classify(record, this.invalidationFor(record), now));
    if (mode === "hard") {
      await tx.store.delete(key);
      this.#count--;
    } else if (live) await tx.store.put({ ...record, softPurgedAt: at });
    await tx.done;
    return live ? 1 : 0;
  }

  async #touch(key: string, createdAt: number, now: number): Promise<void> {
    try {
      const tx = this.#db.transaction("entries", "readwrite");
      const record = await tx.store.get(key);
      if (record !== undefined && record.createdAt === createdAt) await tx.store.put({ ...record, lastAccess: now });
      await tx.done;
    } catch {
      // Ordering evictions is not worth failing anything for.
    }
  }
}
