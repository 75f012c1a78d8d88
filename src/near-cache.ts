import { type Invalidation, mergeInvalidations, type StoredEntry } from "./entry.js";
import { EdgecacheError } from "./errors.js";
import { MemoryStore } from "./memory-store.js";
import { isPromise, type MaybePromise, type PurgeMode, type PurgeOutcome, type PurgeTarget, type ScanFilter, type Store } from "./store.js";

export interface NearCacheOptions {
  /** The shared store behind it (KV, the Cache API): the source of truth. */
  far: Store;
  /**
   * How long (ms) this engine serves an entry, and trusts the purge stamps it read with it,
   * before asking the far store again. Purges made through this engine apply at once; purges
   * made elsewhere reach it within this time (on top of the far store's own propagation).
   * Default 1000.
   */
  ttlMs?: number;
  /** Entries held near. Default 1,000. */
  maxEntries?: number;
  /** Bytes held near. Default 32 MiB. */
  maxBytes?: number;
  /** Milliseconds since the epoch; give the cache's clock so both agree. Default Date.now. */
  clock?: () => number;
}

interface Loaded {
  readonly createdAt: number;
  readonly at: number;
  /** The far store's stamps for the entry when it was loaded (undefined: none newer than it). */
  readonly far: Invalidation | undefined;
}

const DEFAULTS = { ttlMs: 1000, maxEntries: 1000, maxBytes: 32 * 1024 * 1024 };

/**
 * A memory tier in front of a shared store, per engine (per Workers isolate). A hit within
 * `ttlMs` of loading the entry costs no I/O at all: no read of the entry, no read of its purge
 * stamps. Past that, or on a miss, it reads the far store as usual and keeps what it read.
 * Everything written and purged goes to the far store; purges are also applied here at once.
 */
export class NearCache implements Store {
  readonly name: string;
  readonly capabilities: Store["capabilities"];
  readonly limits: Store["limits"];
  readonly #far: Store;
  readonly #near: MemoryStore;
  readonly #loaded = new Map<string, Loaded>();
  readonly #ttlMs: number;
  readonly #clock: () => number;
  /** Load records kept: beyond the near entries' count they can only be for evicted entries. */
  readonly #maxLoaded: number;

  constructor(options: NearCacheOptions) {
    if (typeof options?.far?.get !== "function") {
      throw new EdgecacheError("INVALID_OPTION", "NearCache: far must be a Store (the shared store it fronts, e.g. a KvStore)");
    }
    const settings = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) } as typeof DEFAULTS & NearCacheOptions;
    if (!(typeof settings.ttlMs === "number" && settings.ttlMs >= 0)) {
      throw new EdgecacheError("INVALID_OPTION", `NearCache: ttlMs must be a number of milliseconds ≥ 0, got ${String(settings.ttlMs)}`);
    }
    this.#far = options.far;
    this.#near = new MemoryStore({ maxEntries: settings.maxEntries, maxBytes: settings.maxBytes });
    this.#ttlMs = settings.ttlMs;
    this.#maxLoaded = 2 * settings.maxEntries;
    this.#clock = options.clock ?? Date.now;
    this.name = `near cache + ${options.far.name}`;
    this.capabilities = options.far.capabilities;
    this.limits = options.far.limits;
  }

  get(key: string): MaybePromise<StoredEntry | undefined> {
    const node = this.#near.get(key);
    if (node !== undefined && this.#recent(key, node.createdAt) !== undefined) return node;
    return this.#load(key);
  }

  invalidationFor(entry: StoredEntry): MaybePromise<Invalidation | undefined> {
    const local = this.#near.invalidationFor(entry);
    const loaded = this.#recent(entry.key, entry.createdAt);
    if (loaded !== undefined) return mergeInvalidations(local, loaded.far);
    const far = this.#far.invalidationFor(entry);
    return isPromise(far) ? far.then((found) => mergeInvalidations(local, found)) : mergeInvalidations(local, far);
  }

  check(entry: StoredEntry): void {
    this.#far.check?.(entry);
  }

  async set(entry: StoredEntry): Promise<void> {
    await this.#far.set(entry);
    await this.#keep(entry, undefined);
  }

  async delete(key: string, ifCreatedAt?: number): Promise<void> {
    await this.#far.delete(key, ifCreatedAt);
    this.#loaded.delete(key);
    await this.#near.delete(key, ifCreatedAt);
  }

  async invalidate(target: PurgeTarget, mode: PurgeMode, at: number, now: number): Promise<PurgeOutcome> {
    const outcome = await this.#far.invalidate(target, mode, at, now);
    // Applied here too, so this engine never serves what it has just purged.
    const near = await this.#near.invalidate(target, mode, at, now);
    if ("key" in target) this.#loaded.delete(target.key);
    const background = [outcome.background, near.background].filter((work) => work !== undefined);
    return background.length === 0 ? { count: outcome.count } : { count: outcome.count, background: Promise.all(background) };
  }

  scan(filter: ScanFilter) {
    return this.#far.scan(filter);
  }

  getRecord(name: string): Promise<unknown> {
    return this.#far.getRecord(name);
  }

  setRecord(name: string, value: unknown): Promise<void> {
    return this.#far.setRecord(name, value);
  }

  async cleanup(now: number, inFlightSince: number): Promise<number> {
    await this.#near.cleanup(now, inFlightSince);
    for (const [key, loaded] of this.#loaded) if (this.#clock() - loaded.at >= this.#ttlMs) this.#loaded.delete(key);
    return this.#far.cleanup(now, inFlightSince);
  }

  /** What was loaded for this generation of the key, if it is recent enough to trust. */
  #recent(key: string, createdAt: number): Loaded | undefined {
    const loaded = this.#loaded.get(key);
    return loaded !== undefined && loaded.createdAt === createdAt && this.#clock() - loaded.at < this.#ttlMs ? loaded : undefined;
  }

  async #load(key: string): Promise<StoredEntry | undefined> {
    const entry = await this.#far.get(key);
    if (entry === undefined) {
      this.#loaded.delete(key);
      await this.#near.delete(key);
      return undefined;
    }
    await this.#keep(entry, await this.#far.invalidationFor(entry));
    return entry;
  }

  async #keep(entry: StoredEntry, far: Invalidation | undefined): Promise<void> {
    if (this.#ttlMs === 0) return;
    try {
      await this.#near.set(entry);
    } catch {
      // Too large to keep near: it is simply read from the far store each time.
      return;
    }
    // Re-inserted at the end, so the map stays in load order and the oldest loads go first.
    this.#loaded.delete(entry.key);
    this.#loaded.set(entry.key, { createdAt: entry.createdAt, at: this.#clock(), far });
    for (const key of this.#loaded.keys()) {
      if (this.#loaded.size <= this.#maxLoaded) break;
      this.#loaded.delete(key);
    }
  }
}

