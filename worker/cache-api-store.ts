import {
  classify,
  decode,
  EdgecacheError,
  type EntrySummary,
  expiresAt,
  type Invalidation,
  invalidationNames,
  isLive,
  type PurgeMode,
  type PurgeOutcome,
  type PurgeTarget,
  type ScanFilter,
  type Store,
  type StoredEntry,
  storeFailure,
} from "../src/index.js";
import type { KvStore } from "./kv-store.js";

export interface CacheApiStoreOptions {
  /** Where bodies live: `caches.default`, or `await caches.open("edgecache")`. */
  cache: Cache;
  /** The KV store that keeps the key index, tag manifests and invalidation stamps (and, tiered, the bodies). */
  index: KvStore;
  /** Also keep bodies in KV: a data center that misses locally reads KV and refills its cache. Default false. */
  tiered?: boolean;
  /** Origin of the synthetic URLs bodies are cached under. Default "https://edgecache.internal". */
  keyOrigin?: string;
}

const ONE_YEAR = 31_536_000;
/** Name of a single key's invalidation: bodies live in every data center, so a key purge must be a stamp too. */
const keyName = (key: string) => "k:" + key;

/**
 * Bodies in the Workers Cache API, which is per data center and cannot list; its index,
 * manifests and invalidation stamps live in KV (through a KvStore), so purges reach every data
 * center and can be counted. With `tiered`, bodies are also written to KV, and a data center
 * that misses reads KV and refills its own cache: the Cache API in front of KV.
 *
 * Costs: a hit is a local cache match plus one KV bulk read of stamps (tags, boundary prefixes
 * and the key's own name); a set is one cache put plus the KV index writes; a key purge is one
 * KV write, reaching every data center with KV's propagation (~60 s).
 */
export class CacheApiStore implements Store {
  readonly name: string;
  readonly capabilities = { enumerate: true, consistency: "eventual" } as const;
  readonly limits: Store["limits"];
  readonly #cache: Cache;
  readonly #index: KvStore;
  readonly #tiered: boolean;
  readonly #keyOrigin: string;

  constructor(options: CacheApiStoreOptions) {
    if (typeof options?.cache?.match !== "function") {
      throw new EdgecacheError("INVALID_OPTION", "CacheApiStore: cache must be a Cache, e.g. caches.default");
    }
    if (typeof options.index?.stampsFor !== "function") {
      throw new EdgecacheError("INVALID_OPTION", "CacheApiStore: index must be a KvStore (the Cache API cannot list, so its index lives in KV)");
    }
    this.#cache = options.cache;
    this.#index = options.index;
    this.#tiered = options.tiered ?? false;
    this.#keyOrigin = options.keyOrigin ?? "https://edgecache.internal";
    this.name = this.#tiered ? "tiered (cache api + kv)" : "cache-api";
    // One name more per entry than KV (its key's): keep the stamps within one bulk read.
    this.limits = { ...options.index.limits, maxTagsPerEntry: options.index.limits.maxTagsPerEntry - 1 };
  }

  async get(key: string): Promise<StoredEntry | undefined> {
    const url = this.#url(key);
    let response: Response | undefined;
    try {
      response = await this.#cache.match(url);
    } catch (error) {
      throw storeFailure(this.name, "match", error);
    }
    if (response !== undefined) {
      const entry = decode(await response.arrayBuffer()) as StoredEntry;
      return entry.key === key ? entry : undefined;
    }
    if (!this.#tiered) return undefined;
    const entry = await this.#index.get(key);
    if (entry !== undefined) await this.#putLocal(entry, this.#index.encode(entry));
    return entry;
  }

  invalidationFor(entry: StoredEntry): Promise<Invalidation | undefined> {
    return this.#index.stampsFor([...invalidationNames(entry.key, entry.tags), keyName(entry.key)]);
  }

  check(entry: StoredEntry): void {
    this.#index.encode(entry);
  }

  async set(entry: StoredEntry): Promise<void> {
    const bytes = this.#index.encode(entry);
    if (this.#tiered) await this.#index.set(entry);
    else await this.#index.setIndex(entry);
    await this.#putLocal(entry, bytes);
  }

  async delete(key: string, ifCreatedAt?: number): Promise<void> {
    await this.#index.delete(key, ifCreatedAt);
    try {
      await this.#cache.delete(this.#url(key));
    } catch (error) {
      throw storeFailure(this.name, "delete", error);
    }
  }

  async invalidate(target: PurgeTarget, mode: PurgeMode, at: number, now: number): Promise<PurgeOutcome> {
    if (!("key" in target)) return this.#index.invalidate(target, mode, at, now);
    const key = target.key;
    const local = await this.get(key);
    const live = local !== undefined && local.createdAt <= at ? isLive(classify(local, await this.invalidationFor(local), now)) : await this.#liveInIndex(key, at, now);
    // Every data center's copy answers to the key's own stamp; the local one goes at once.
    await this.#index.writeStamp(mode, keyName(key), at);
    if (mode === "hard") await this.delete(key);
    return { count: live ? 1 : 0 };
  }

  scan(filter: ScanFilter): AsyncIterable<EntrySummary> {
    return this.#index.scan(filter);
  }

  getRecord(name: string): Promise<unknown> {
    return this.#index.getRecord(name);
  }

  setRecord(name: string, value: unknown): Promise<void> {
    return this.#index.setRecord(name, value);
  }

  /** Cleans the KV side; cached bodies expire by their own max-age. */
  cleanup(now: number): Promise<number> {
    return this.#index.cleanup(now);
  }

  /** Whether another data center may hold a live copy, as far as the shared index tells. */
  async #liveInIndex(key: string, at: number, now: number): Promise<boolean> {
    const summary = await this.#index.summary(key);
    return summary !== undefined && summary.createdAt <= at && now < summary.staleUntil;
  }

  async #putLocal(entry: StoredEntry, bytes: Uint8Array): Promise<void> {
    const end = expiresAt(entry);
    const maxAge = Number.isFinite(end) ? Math.max(1, Math.ceil((end - entry.createdAt) / 1000)) : ONE_YEAR;
    try {
      await this.#cache.put(this.#url(entry.key), new Response(bytes, { headers: { "cache-control": `max-age=${maxAge}` } }));
    } catch (error) {
      throw storeFailure(this.name, "put", error);
    }
  }

  #url(key: string): string {
    return `${this.#keyOrigin}/${encodeURIComponent(key)}`;
  }
}
