import { classify, createStamper, entryTimes, type EntryState, type Invalidation, type StoredEntry } from "./entry.js";
import { EdgecacheError, isEdgecacheError } from "./errors.js";
import { type CacheEventType, type CacheListener, EventHub } from "./events.js";
import { compileGlob, type KeyMatcher } from "./glob.js";
import { MemoryStore } from "./memory-store.js";
import { isBoundaryPrefix } from "./names.js";
import {
  describe,
  type EntryOptions,
  mergeEntryOptions,
  validateEntryOptions,
  validateKey,
  validateTag,
  type WaitUntil,
} from "./options.js";
import { type ContentPolicy, contentKey, PolicyRegistry, type ResolvedPolicy } from "./policies.js";
import { type CacheStats, StatsRecorder } from "./stats.js";
import { isPromise, type MaybePromise, type PurgeMode, type Store } from "./store.js";
import { Warmer, type WarmingStatus, type WarmingTask } from "./warming.js";

export type Clock = () => number;

export interface CacheOptions {
  /** Where entries live. Default: a new MemoryStore. */
  store?: Store;
  /** Keeps background work (refreshes, writes, purge sweeps) alive: a Worker's `ctx.waitUntil`, a service worker's `event.waitUntil`. Default: the cache tracks it; see `settled()`. */
  waitUntil?: WaitUntil;
  /** Milliseconds since the epoch. Default: Date.now. */
  clock?: Clock;
  /** ttl, swr, staleIfError and tags for calls that give none. Default: permanent, untagged. */
  defaults?: EntryOptions;
  /** A high-resolution timer for the hit and miss times in stats. Default: performance.now, else the clock. */
  timer?: () => number;
}

export interface CallOptions {
  /** Overrides the cache's waitUntil for this call (a Worker's per-request `ctx.waitUntil`). */
  waitUntil?: WaitUntil;
}

export type GetOrSetOptions = EntryOptions & CallOptions;

export interface SetOptions extends EntryOptions {
  /**
   * When the value's generation started (default: now). A value derived during another key's
   * generation passes that generation's `startedAt`, so a purge made meanwhile covers it too.
   */
  startedAt?: number;
}

export interface GenerateContext<V> {
  /** The key as the caller gave it (without a namespace's prefix). */
  readonly key: string;
  /** The stamp taken when this generation started; pass it as `startedAt` to values written alongside. */
  readonly startedAt: number;
  /**
   * The previous value, if one is still stored and was not purged (stale, or past its windows):
   * revalidate against it (an ETag, a version) instead of regenerating from scratch.
   */
  readonly stale: V | undefined;
  /** The entry options for this value; a generator may change them (e.g. a ttl from the origin's headers). */
  readonly options: EntryOptions;
  /** Hand the value to the callers but do not store it (e.g. an uncacheable response). */
  noStore(): void;
}

export type Generator<V> = (context: GenerateContext<V>) => V | Promise<V>;

/** How a read was answered: from a fresh entry, a stale one (refresh scheduled), the generator, or a stale entry standing in for a failed generator. */
export type ReadOutcome = "hit" | "stale" | "miss" | "stale-if-error";

export interface SwrResult<V> {
  value: V;
  /** True when the value came from a stale entry (outcome "stale" or "stale-if-error"). */
  stale: boolean;
  outcome: ReadOutcome;
}

export interface PurgeOptions {
  /** Soft: mark stale (served while one refresh runs) instead of removing. Default false. */
  soft?: boolean;
  waitUntil?: WaitUntil;
}

export interface ContentOptions extends EntryOptions, CallOptions {
  /** The request's headers, for a policy that varies on some of them. */
  headers?: HeadersInit;
}

/** Everything that namespaces of one cache share. */
class Core {
  readonly store: Store;
  readonly clock: Clock;
  readonly timer: () => number;
  readonly stamp: () => number;
  readonly defaults: EntryOptions;
  readonly stats: StatsRecorder;
  readonly events = new EventHub();
  readonly policies = new PolicyRegistry();
  readonly warmer: Warmer;
  /** Generations running, by full key: concurrent misses and refreshes of one key share one. */
  readonly flights = new Map<string, Flight<unknown>>();
  readonly pending = new Set<Promise<unknown>>();
  readonly waitUntil: WaitUntil;

  constructor(options: CacheOptions) {
    if (typeof options !== "object" || options === null) {
      throw new EdgecacheError("INVALID_OPTION", `createCache: options must be an object, got ${describe(options)}`);
    }
    this.store = options.store ?? new MemoryStore();
    if (typeof this.store.get !== "function" || typeof this.store.invalidate !== "function") {
      throw new EdgecacheError("INVALID_OPTION", "createCache: store must implement the Store interface (see src/store.ts)");
    }
    this.clock = optionalFunction(options.clock, "clock") ?? Date.now;
    const performance = (globalThis as { performance?: { now(): number } }).performance;
    this.timer = optionalFunction(options.timer, "timer") ?? (performance ? () => performance.now() : this.clock);
    this.stamp = createStamper(this.clock);
    validateEntryOptions(options.defaults, "createCache defaults");
    this.defaults = { ...options.defaults };
    this.stats = new StatsRecorder(this.clock());
    this.waitUntil = optionalFunction(options.waitUntil, "waitUntil") ?? ((promise) => this.#track(promise));
    this.warmer = new Warmer(this.store, this.clock, (operation, error) => this.failed(operation, error));
  }

  /** Counts and reports an error the caller does not see (a store that failed, a refresh that failed). */
  failed(operation: string, error: unknown, key?: string): void {
    this.stats.errors++;
    this.events.emit("error", () => ({ ...(key === undefined ? {} : { key }), operation, error }));
  }

  /** Hands background work to waitUntil; its failure is counted, never thrown at a reader. */
  background(promise: Promise<unknown>, waitUntil: WaitUntil | undefined, operation: string): void {
    const guarded = promise.catch((error) => this.failed(operation, error));
    try {
      (waitUntil ?? this.waitUntil)(guarded);
    } catch (error) {
      // A host whose waitUntil refuses (a finished request, a missing context) must not break
      // the read that scheduled the work: track it here instead, and report the refusal.
      this.#track(guarded);
      this.failed("waitUntil", error);
    }
  }

  #track(promise: Promise<unknown>): void {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise)).catch(() => undefined);
  }

  /** The oldest stamp of a generation still running: invalidations from then on must stay. */
  inFlightSince(): number {
    let oldest = Infinity;
    for (const flight of this.flights.values()) if (flight.createdAt < oldest) oldest = flight.createdAt;
    return oldest;
  }
}

interface Flight<V> {
  readonly createdAt: number;
  /** Settles with the generated value: what waiting readers get. */
  readonly value: Promise<V>;
  /** Settles when the value is stored (or known not to be): what warming waits for. */
  readonly stored: Promise<void>;
}

interface Read<V> {
  readonly state: EntryState;
  readonly entry: StoredEntry<V>;
}

function optionalFunction<T>(value: T | undefined, name: string): T | undefined {
  if (value !== undefined && typeof value !== "function") {
    throw new EdgecacheError("INVALID_OPTION", `createCache: ${name} must be a function, got ${describe(value)}`);
  }
  return value;
}

/**
 * A cache: get / set / delete with TTLs, memoization with stampede protection, SWR and
 * stale-if-error, purges by tag, prefix, key and pattern, content policies, warming, stats.
 * `namespace(prefix)` gives another Cache over the same store, core and stats, under a prefix.
 */
export class Cache {
  readonly #core: Core;
  readonly #prefix: string;

  /** @internal use createCache() */
  constructor(core: Core, prefix: string) {
    this.#core = core;
    this.#prefix = prefix;
  }

  /** The key prefix of this namespace ("" for the root cache). */
  get prefix(): string {
    return this.#prefix;
  }

  get store(): Store {
    return this.#core.store;
  }

  /** The cache's clock (ms since the epoch), for code that must agree with its notion of time. */
  get clock(): Clock {
    return this.#core.clock;
  }

  // ── reads ────────────────────────────────────────────────────────────────────────────────

  /** The value while fresh or stale, else undefined. A failing store reads as a miss. */
  async get<V = unknown>(key: string): Promise<V | undefined> {
    const core = this.#core;
    const fullKey = this.#key(key);
    const started = core.timer();
    const read = await this.#readSafely<V>(fullKey);
    if (read !== undefined && (read.state === "fresh" || read.state === "stale")) {
      this.#recordHit(fullKey, started, read.state === "stale");
      return read.entry.value;
    }
    this.#recordMiss(fullKey, started);
    return undefined;
  }

  /** Whether `get()` would answer: true for fresh and stale entries, false after any purge that covers it. */
  async has(key: string): Promise<boolean> {
    const read = await this.#readSafely(this.#key(key));
    return read !== undefined && (read.state === "fresh" || read.state === "stale");
  }

  /**
   * Memoization: the cached value, or the generator's. Concurrent misses of a key share one
   * generator call. A stale value is returned at once while one refresh runs in the background;
   * a failing generator is answered from a stale entry while its stale-if-error window lasts.
   */
  async getOrSet<V>(key: string, generator: Generator<V>, options?: GetOrSetOptions): Promise<V> {
    const result = this.#serve(key, generator, options, "getOrSet");
    return (isPromise(result) ? await result : result).value;
  }

  /** Like getOrSet, and says how the value was found: `{ value, stale, outcome }`. */
  async getWithSwr<V>(key: string, generator: Generator<V>, options?: GetOrSetOptions): Promise<SwrResult<V>> {
    return this.#serve(key, generator, options, "getWithSwr");
  }

  // ── writes ───────────────────────────────────────────────────────────────────────────────

  /** Stores a value. Throws for bad input and for a store that fails: a write the caller asked for must not vanish. */
  async set<V>(key: string, value: V, options?: SetOptions): Promise<void> {
    const fullKey = this.#key(key);
    this.#validate(options, "set");
    this.#assertValue(value, fullKey);
    const core = this.#core;
    const startedAt = options?.startedAt;
    if (startedAt !== undefined && !(typeof startedAt === "number" && startedAt <= core.stamp())) {
      throw new EdgecacheError("INVALID_OPTION", `set: startedAt must be a stamp from the past (a GenerateContext's startedAt), got ${describe(startedAt)}`);
    }
    await this.#write(fullKey, value, mergeEntryOptions(core.defaults, options), startedAt ?? core.stamp());
  }

  /** Removes the entry; true if a live (fresh or stale) entry was removed. */
  async delete(key: string): Promise<boolean> {
    const fullKey = this.#key(key);
    return this.#purgeKey(fullKey, "hard", this.#core.stamp());
  }

  // ── purges ───────────────────────────────────────────────────────────────────────────────

  /** Purges every entry carrying the tag, in O(1); returns how many live entries it covered. */
  async invalidateTag(tag: string, options?: PurgeOptions): Promise<number> {
    validateTag(tag, "invalidateTag");
    return this.#invalidateName({ tag }, `tag:${tag}`, options);
  }

  async invalidateTags(tags: readonly string[], options?: PurgeOptions): Promise<number> {
    if (!Array.isArray(tags)) throw new EdgecacheError("INVALID_TAG", `invalidateTags: expected an array of tags, got ${describe(tags)}`);
    for (const tag of tags) validateTag(tag, "invalidateTags");
    let count = 0;
    for (const tag of new Set(tags)) count += await this.#invalidateName({ tag }, `tag:${tag}`, options);
    return count;
  }

  /**
   * Purges every key starting with `prefix` (within this namespace). At a separator boundary
   * (`/blog/`, `user:42:`) this is O(1); any other prefix enumerates the store.
   */
  async invalidatePrefix(prefix: string, options?: PurgeOptions): Promise<number> {
    if (typeof prefix !== "string") {
      throw new EdgecacheError("INVALID_KEY", `invalidatePrefix: the prefix must be a string, got ${describe(prefix)}`);
    }
    const fullPrefix = this.#prefix + prefix;
    if (isBoundaryPrefix(fullPrefix)) return this.#invalidateName({ prefix: fullPrefix }, `prefix:${fullPrefix}`, options);
    return this.#invalidateEnumerated(`prefix:${fullPrefix}`, fullPrefix, () => true, options);
  }

  /** Purges every key matching a glob (`*` any run, `?` one character, `\` escapes); returns how many. */
  async invalidatePattern(pattern: string, options?: PurgeOptions): Promise<number> {
    const matches = compileGlob(pattern);
    // The literal head of the pattern narrows the enumeration.
    const head = /^[^*?\\]*/.exec(pattern)![0];
    const fullPrefix = this.#prefix + head;
    const prefixLength = this.#prefix.length;
    return this.#invalidateEnumerated(`pattern:${pattern}`, fullPrefix, (fullKey) => matches(fullKey.slice(prefixLength)), options);
  }

  /** Purges these keys; returns how many were live. */
  async invalidateKeys(keys: readonly string[], options?: PurgeOptions): Promise<number> {
    if (!Array.isArray(keys)) throw new EdgecacheError("INVALID_KEY", `invalidateKeys: expected an array of keys, got ${describe(keys)}`);
    const fullKeys = [...new Set(keys.map((key) => this.#key(key)))];
    const core = this.#core;
    const mode: PurgeMode = options?.soft === true ? "soft" : "hard";
    const at = core.stamp();
    let count = 0;
    for (const fullKey of fullKeys) if (await this.#purgeKey(fullKey, mode, at)) count++;
    core.events.emit("purge", () => ({ target: `keys:${keys.length}`, mode, count }));
    return count;
  }

  /** Purges everything in this namespace (everything, for the root cache). */
  async clear(options?: PurgeOptions): Promise<number> {
    return this.invalidatePrefix("", options);
  }

  // ── namespaces, policies, warming ────────────────────────────────────────────────────────

  /** A Cache whose keys live under `prefix`; end it with a separator (`user:`) to make clearing it O(1). */
  namespace(prefix: string): Cache {
    if (typeof prefix !== "string" || prefix.length === 0) {
      throw new EdgecacheError("INVALID_KEY", `namespace: the prefix must be a non-empty string such as "user:", got ${describe(prefix)}`);
    }
    return new Cache(this.#core, this.#prefix + prefix);
  }

  registerPolicy(name: string, policy: ContentPolicy): ResolvedPolicy {
    return this.#core.policies.register(name, policy);
  }

  /** The policy registered under `name` (its `cacheControl` is the header to send with the content). */
  getPolicy(name: string): ResolvedPolicy {
    return this.#core.policies.get(name);
  }

  /** The policy for a response's Content-Type (`text/html`, then `text/*`, then `*\/*`), if any. */
  policyForContentType(contentType: string | null | undefined): ResolvedPolicy | undefined {
    return this.#core.policies.forContentType(contentType);
  }

  /** Caches content under its policy; the key includes the vary-on headers' values. Returns the key. */
  async cacheContent<V>(type: string, id: string, content: V, options: ContentOptions = {}): Promise<string> {
    const policy = this.#core.policies.get(type);
    this.#validate(options, "cacheContent");
    const key = contentKey(policy, id, options.headers);
    await this.set(key, content, {
      ttl: options.ttl ?? policy.ttl,
      swr: options.swr ?? policy.swr,
      staleIfError: options.staleIfError ?? policy.staleIfError,
      tags: [...new Set([...policy.tags, ...(options.tags ?? [])])],
    });
    return key;
  }

  async getCachedContent<V = unknown>(type: string, id: string, options: { headers?: HeadersInit } = {}): Promise<V | undefined> {
    return this.get<V>(contentKey(this.#core.policies.get(type), id, options.headers));
  }

  registerWarmingTask<V>(task: WarmingTask<V>): void {
    if (typeof task !== "object" || task === null) {
      throw new EdgecacheError("INVALID_OPTION", `registerWarmingTask: expected { key, generator, ttl?, tags?, schedule? }, got ${describe(task)}`);
    }
    const fullKey = this.#key(task.key);
    this.#validate(task, `registerWarmingTask("${task.key}")`);
    this.#core.warmer.register({ ...task, key: fullKey } as WarmingTask, (registered) => this.#warmOne(registered));
  }

  /** Regenerates every warming task of this namespace, or the one for `key`; reports each run. */
  async warm(key?: string): Promise<WarmingStatus[]> {
    if (key !== undefined) return this.#unprefixed(await this.#core.warmer.warm(this.#key(key)));
    return this.#unprefixed(await this.#core.warmer.warm(undefined, (fullKey) => fullKey.startsWith(this.#prefix)));
  }

  /** Runs the tasks due for a cron trigger (its cron string) or at a time. */
  async runScheduled(cronOrDate: string | Date | number): Promise<WarmingStatus[]> {
    return this.#unprefixed(await this.#core.warmer.runScheduled(cronOrDate, (fullKey) => fullKey.startsWith(this.#prefix)));
  }

  async warmingStatus(): Promise<WarmingStatus[]> {
    return this.#unprefixed(await this.#core.warmer.status((fullKey) => fullKey.startsWith(this.#prefix)));
  }

  // ── stats, events, maintenance ───────────────────────────────────────────────────────────

  stats(): CacheStats {
    return this.#core.stats.snapshot(this.#core.clock());
  }

  resetStats(): void {
    this.#core.stats.reset(this.#core.clock());
  }

  on<T extends CacheEventType>(type: T, listener: CacheListener<T>): () => void {
    if (typeof listener !== "function") {
      throw new EdgecacheError("INVALID_OPTION", `on("${String(type)}"): the listener must be a function`);
    }
    return this.#core.events.on(type, listener);
  }

  /** Removes expired and purged entries and stale index records; returns how many records went. */
  async cleanup(): Promise<number> {
    const core = this.#core;
    return core.store.cleanup(core.clock(), core.inFlightSince());
  }

  /** Resolves when background work the cache tracks itself (no waitUntil given) has finished. */
  async settled(): Promise<void> {
    while (this.#core.pending.size > 0) await Promise.allSettled([...this.#core.pending]);
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────

  #key(key: string): string {
    validateKey(key, Infinity);
    const fullKey = this.#prefix + key;
    const limit = this.#core.store.limits.maxKeyBytes;
    if (limit !== Infinity) validateKey(fullKey, limit);
    return fullKey;
  }

  #validate(options: EntryOptions | undefined, where: string): void {
    validateEntryOptions(options, where, this.#core.store.limits.maxTagsPerEntry);
  }

  #unprefixed(statuses: WarmingStatus[]): WarmingStatus[] {
    if (this.#prefix === "") return statuses;
    return statuses.map((status) => ({ ...status, key: status.key.slice(this.#prefix.length) }));
  }

  #badGenerator(where: string, generator: unknown): never {
    throw new EdgecacheError("INVALID_OPTION", `${where}: the generator must be a function returning the value, got ${describe(generator)}`);
  }

  #assertValue(value: unknown, fullKey: string): void {
    if (value === undefined) {
      throw new EdgecacheError("VALUE_NOT_STORABLE", `the value for "${fullKey}" is undefined, which reads back as a miss; store null for "no value"`);
    }
  }

  /** Reads and classifies an entry, synchronously when the store answers synchronously. */
  #read<V>(fullKey: string): MaybePromise<Read<V> | undefined> {
    const store = this.#core.store;
    const entry = store.get(fullKey) as MaybePromise<StoredEntry<V> | undefined>;
    if (isPromise(entry)) return entry.then((found) => this.#classify(found));
    return this.#classify(entry);
  }

  #classify<V>(entry: StoredEntry<V> | undefined): MaybePromise<Read<V> | undefined> {
    if (entry === undefined) return undefined;
    const invalidation = this.#core.store.invalidationFor(entry);
    if (isPromise(invalidation)) return invalidation.then((found) => ({ state: classify(entry, found, this.#core.clock()), entry }));
    return { state: classify(entry, invalidation, this.#core.clock()), entry };
  }

  async #readSafely<V>(fullKey: string): Promise<Read<V> | undefined> {
    try {
      return await this.#read<V>(fullKey);
    } catch (error) {
      return this.#readFailed(fullKey, error);
    }
  }

  /** A store that cannot be read degrades to a miss: the generator or origin answers instead. */
  #readFailed(fullKey: string, error: unknown): undefined {
    this.#core.failed("read", error, fullKey);
    return undefined;
  }

  #recordHit(fullKey: string, started: number, stale: boolean): void {
    const core = this.#core;
    const ms = core.timer() - started;
    core.stats.hit(ms, stale);
    if (stale) core.events.emit("stale", () => ({ key: fullKey, durationMs: ms, reason: "swr" as const }));
    else core.events.emit("hit", () => ({ key: fullKey, durationMs: ms }));
  }

  #recordMiss(fullKey: string, started: number): void {
    const core = this.#core;
    const ms = core.timer() - started;
    core.stats.miss(ms);
    core.events.emit("miss", () => ({ key: fullKey, durationMs: ms }));
  }

  /**
   * The read path of getOrSet and getWithSwr. It stays synchronous up to the answer when the
   * store answers synchronously, so a memory hit costs no promise turn; a store that fails, in
   * either way, reads as a miss.
   */
  #serve<V>(key: string, generator: Generator<V>, options: GetOrSetOptions | undefined, where: string): MaybePromise<SwrResult<V>> {
    const fullKey = this.#key(key);
    if (typeof generator !== "function") this.#badGenerator(where, generator);
    if (options !== undefined) this.#validate(options, where);
    const started = this.#core.timer();
    let read: MaybePromise<Read<V> | undefined>;
    try {
      read = this.#read<V>(fullKey);
    } catch (error) {
      read = this.#readFailed(fullKey, error);
    }
    if (isPromise(read)) {
      return read.then(
        (found) => this.#answer(key, fullKey, generator, options, found, started),
        (error) => this.#answer(key, fullKey, generator, options, this.#readFailed(fullKey, error), started),
      );
    }
    return this.#answer(key, fullKey, generator, options, read, started);
  }

  #answer<V>(key: string, fullKey: string, generator: Generator<V>, options: GetOrSetOptions | undefined, read: Read<V> | undefined, started: number): MaybePromise<SwrResult<V>> {
    if (read?.state === "fresh") {
      this.#recordHit(fullKey, started, false);
      return { value: read.entry.value, stale: false, outcome: "hit" };
    }
    if (read?.state === "stale") {
      this.#recordHit(fullKey, started, true);
      this.#refresh(key, fullKey, generator, options, read.entry);
      return { value: read.entry.value, stale: true, outcome: "stale" };
    }
    return this.#generateForMiss(key, fullKey, generator, options, read, started);
  }

  async #generateForMiss<V>(
    key: string,
    fullKey: string,
    generator: Generator<V>,
    options: GetOrSetOptions | undefined,
    read: Read<V> | undefined,
    started: number,
  ): Promise<SwrResult<V>> {
    const core = this.#core;
    // Only an entry within its stale-if-error window may answer for a failure; a purged one never,
    // and a purged one is not even offered for revalidation: a purge means "this changed".
    const fallback = read?.state === "error-only" ? read.entry : undefined;
    const previous = read !== undefined && read.state !== "purged" ? read.entry : undefined;
    try {
      const value = await this.#flight(key, fullKey, generator, options, previous).value;
      this.#recordMiss(fullKey, started);
      return { value, stale: false, outcome: "miss" };
    } catch (error) {
      // An EdgecacheError is the caller's to fix (a value that cannot be stored): never masked by stale data.
      if (fallback !== undefined && core.clock() < fallback.errorUntil && !isEdgecacheError(error)) {
        const ms = core.timer() - started;
        core.stats.hit(ms, true);
        core.events.emit("stale", () => ({ key: fullKey, durationMs: ms, reason: "stale-if-error" as const }));
        return { value: fallback.value, stale: true, outcome: "stale-if-error" };
      }
      this.#recordMiss(fullKey, started);
      throw error;
    }
  }

  /** Schedules one background refresh of a stale entry; a refresh already running is not doubled. */
  #refresh<V>(key: string, fullKey: string, generator: Generator<V>, options: GetOrSetOptions | undefined, stale: StoredEntry<V>): void {
    const core = this.#core;
    if (core.flights.has(fullKey)) return;
    const started = core.timer();
    const flight = this.#flight(key, fullKey, generator, options, stale);
    // A failed refresh keeps the stale entry; the flight has counted the failure, and it is
    // reported as a revalidate event, never thrown at a reader.
    const refresh = flight.value.then(() => flight.stored);
    core.background(
      refresh.then(
        () => core.events.emit("revalidate", () => ({ key: fullKey, durationMs: core.timer() - started, ok: true })),
        () => core.events.emit("revalidate", () => ({ key: fullKey, durationMs: core.timer() - started, ok: false })),
      ),
      options?.waitUntil,
      "revalidate",
    );
  }

  /**
   * The one generation of a key at a time. Waiters get the value as soon as the generator
   * returns and the store has accepted it (`check`); the write completes in the background, and
   * the flight stays registered until it has, so a reader arriving in between joins it instead
   * of generating again.
   */
  #flight<V>(key: string, fullKey: string, generator: Generator<V>, options: GetOrSetOptions | undefined, stale: StoredEntry<V> | undefined): Flight<V> {
    const core = this.#core;
    const running = core.flights.get(fullKey) as Flight<V> | undefined;
    if (running !== undefined) return running;

    const createdAt = core.stamp();
    const entryOptions = { ...mergeEntryOptions(core.defaults, options) };
    let storable = true;
    let entry: StoredEntry<V> | undefined;
    const context: GenerateContext<V> = {
      key,
      startedAt: createdAt,
      stale: stale?.value,
      options: entryOptions,
      noStore: () => {
        storable = false;
      },
    };
    const value = (async () => {
      const generated = await generator(context);
      this.#assertValue(generated, fullKey);
      this.#validate(entryOptions, `the generator for "${key}"`);
      if (storable) {
        entry = this.#entry(fullKey, generated, entryOptions, createdAt);
        core.store.check?.(entry);
      }
      return generated;
    })();
    // Counted once per generation, however many readers share it.
    value.catch((error) => core.failed("generate", error, fullKey));
    const stored = value.then(
      () => (entry === undefined ? undefined : this.#persist(entry)),
      () => undefined,
    );
    const flight: Flight<V> = { createdAt, value, stored };
    core.flights.set(fullKey, flight);
    const landed = stored.finally(() => {
      if (core.flights.get(fullKey) === flight) core.flights.delete(fullKey);
    });
    core.background(landed, options?.waitUntil, "write");
    return flight;
  }

  #entry<V>(fullKey: string, value: V, options: EntryOptions, createdAt: number): StoredEntry<V> {
    return { key: fullKey, value, tags: options.tags ?? [], ...entryTimes(createdAt, this.#core.clock(), options) };
  }

  async #write<V>(fullKey: string, value: V, options: EntryOptions, createdAt: number): Promise<void> {
    await this.#persist(this.#entry(fullKey, value, options, createdAt));
  }

  /**
   * Stores an entry unless a purge that covers it came after its generation started: such a
   * value is dead on arrival, and writing it would only make a later purge count it. On a
   * synchronous store the check and the write happen in one turn, so no purge slips between.
   * (On an eventually consistent store the readers' own check suffices; the read is not spent.)
   */
  #persist<V>(entry: StoredEntry<V>): Promise<void> | undefined {
    const store = this.#core.store;
    if (store.capabilities.consistency !== "strong") return this.#set(entry);
    const invalidation = store.invalidationFor(entry);
    if (isPromise(invalidation)) return invalidation.then((found) => (isDeadOnArrival(entry, found) ? undefined : this.#set(entry)));
    return isDeadOnArrival(entry, invalidation) ? undefined : this.#set(entry);
  }

  async #set<V>(entry: StoredEntry<V>): Promise<void> {
    const core = this.#core;
    await core.store.set(entry);
    core.stats.sets++;
    core.events.emit("set", () => ({ key: entry.key, tags: entry.tags }));
  }

  async #invalidateName(target: { tag: string } | { prefix: string }, label: string, options: PurgeOptions | undefined): Promise<number> {
    const core = this.#core;
    const mode: PurgeMode = options?.soft === true ? "soft" : "hard";
    const outcome = await core.store.invalidate(target, mode, core.stamp(), core.clock());
    if (outcome.background !== undefined) core.background(outcome.background, options?.waitUntil, "purge");
    core.events.emit("purge", () => ({ target: label, mode, count: outcome.count }));
    return outcome.count;
  }

  async #invalidateEnumerated(label: string, fullPrefix: string, matches: KeyMatcher, options: PurgeOptions | undefined): Promise<number> {
    const core = this.#core;
    if (!core.store.capabilities.enumerate) {
      throw new EdgecacheError(
        "UNSUPPORTED_BY_STORE",
        `the ${core.store.name} store cannot list keys, so "${label}" cannot be purged; purge by tag, by a prefix ending in "/", ":" or "#", or by key`,
      );
    }
    const mode: PurgeMode = options?.soft === true ? "soft" : "hard";
    const at = core.stamp();
    let count = 0;
    for await (const summary of core.store.scan({ prefix: fullPrefix })) {
      if (summary.createdAt > at || !matches(summary.key)) continue;
      if (await this.#purgeKey(summary.key, mode, at)) count++;
    }
    core.events.emit("purge", () => ({ target: label, mode, count }));
    return count;
  }

  /** Purges one key; true if its entry was live. Hard removes it, soft marks it stale. */
  async #purgeKey(fullKey: string, mode: PurgeMode, at: number): Promise<boolean> {
    const core = this.#core;
    const { count } = await core.store.invalidate({ key: fullKey }, mode, at, core.clock());
    if (count > 0 && mode === "hard") {
      core.stats.deletes++;
      core.events.emit("delete", () => ({ key: fullKey }));
    }
    return count > 0;
  }

  async #warmOne(task: WarmingTask): Promise<void> {
    const fullKey = task.key;
    const key = fullKey.slice(this.#prefix.length);
    // A warm run regenerates even a fresh value; if a generation is already running, it joins it.
    const flight = this.#flight(key, fullKey, task.generator as Generator<unknown>, task, undefined);
    await flight.value;
    await flight.stored;
  }
}

function isDeadOnArrival(entry: StoredEntry, invalidation: Invalidation | undefined): boolean {
  return invalidation !== undefined && invalidation.hard >= entry.createdAt;
}

export function createCache(options: CacheOptions = {}): Cache {
  return new Cache(new Core(options), "");
}
