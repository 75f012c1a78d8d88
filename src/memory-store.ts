import { classify, foldStamps, type Invalidation, isLive, type StoredEntry } from "./entry.js";
import { EdgecacheError } from "./errors.js";
import { invalidationNames, MAX_TAGS_PER_ENTRY, prefixName, tagName } from "./names.js";
import { estimateSize } from "./size-of.js";
import type { EntrySummary, PurgeMode, PurgeOutcome, PurgeTarget, ScanFilter, Store } from "./store.js";

export interface MemoryStoreOptions {
  /** Most entries held before the least recently used one is evicted. Default 10,000. */
  maxEntries?: number;
  /** Most bytes held, as `sizeOf` measures them. Default 64 MiB. */
  maxBytes?: number;
  /** Measures a value in bytes. Default: a quick structural estimate. */
  sizeOf?: (value: unknown) => number;
}

const DEFAULTS = {
  maxEntries: 10_000,
  maxBytes: 64 * 1024 * 1024,
  sizeOf: (value: unknown) => estimateSize(value),
} satisfies Required<MemoryStoreOptions>;

/** Bookkeeping bytes charged per entry on top of its key and value. */
const NODE_OVERHEAD = 160;
/** Purged entries are unlinked in slices of this many, between which other work runs. */
const SWEEP_SLICE = 4096;

/** An entry as held here: the stored fields, its invalidation names, and its place in the LRU list. */
interface Node extends StoredEntry {
  /** Mutable here: a soft purge of one key marks the node in place. */
  softPurgedAt?: number;
  readonly names: readonly string[];
  readonly size: number;
  older: Node | undefined;
  newer: Node | undefined;
}

/** The entries holding one invalidation name, and a lower bound of their stale-until times. */
interface Members {
  readonly nodes: Set<Node>;
  minStaleUntil: number;
}

function positiveInteger(value: number, name: string): number {
  if (!(Number.isInteger(value) && value > 0) && value !== Infinity) {
    throw new EdgecacheError("INVALID_OPTION", `MemoryStore: ${name} must be a positive integer or Infinity, got ${String(value)}`);
  }
  return value;
}

/**
 * The embedded default store, bounded by entries and by bytes with least-recently-used eviction.
 * Values are held by reference, as lru-cache and Map hold them: nothing is serialized, so every
 * type survives and a hit costs no copy; a caller that mutates a cached object mutates the cache.
 *
 * Each invalidation name (tag or boundary prefix) keeps the set of entries holding it, so a purge
 * counts what it covers without visiting them. A hard purge detaches the set at once; its entries
 * are already unreadable through the invalidation record, and are unlinked in the background (as
 * Redis UNLINK frees memory), so purging 100,000 entries costs the caller what purging 10 does.
 */
export class MemoryStore implements Store {
  readonly name = "memory";
  readonly capabilities = { enumerate: true, consistency: "strong" } as const;
  readonly limits: { readonly maxKeyBytes: number; readonly maxValueBytes: number; readonly maxTagsPerEntry: number };

  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #sizeOf: (value: unknown) => number;
  readonly #entries = new Map<string, Node>();
  readonly #members = new Map<string, Members>();
  readonly #invalidations = new Map<string, Invalidation>();
  readonly #records = new Map<string, unknown>();
  readonly #measured = new WeakMap<StoredEntry, number>();
  #bytes = 0;
  #oldest: Node | undefined;
  #newest: Node | undefined;
  #sweepQueue: Iterator<Node>[] = [];
  #sweeping: Promise<void> | undefined;

  constructor(options: MemoryStoreOptions = {}) {
    const settings = { ...DEFAULTS, ...options };
    this.#maxEntries = positiveInteger(settings.maxEntries, "maxEntries");
    this.#maxBytes = positiveInteger(settings.maxBytes, "maxBytes");
    if (typeof settings.sizeOf !== "function") {
      throw new EdgecacheError("INVALID_OPTION", "MemoryStore: sizeOf must be a function (value) => bytes");
    }
    this.#sizeOf = settings.sizeOf;
    this.limits = { maxKeyBytes: Infinity, maxValueBytes: this.#maxBytes - NODE_OVERHEAD, maxTagsPerEntry: MAX_TAGS_PER_ENTRY };
  }

  /** Entries held, including purged ones not yet swept. */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes held, as measured by `sizeOf`. */
  get bytes(): number {
    return this.#bytes;
  }

  get(key: string): StoredEntry | undefined {
    const node = this.#entries.get(key);
    if (node !== undefined && node !== this.#newest) {
      this.#unlinkFromList(node);
      this.#linkNewest(node);
    }
    return node;
  }

  invalidationFor(entry: StoredEntry): Invalidation | undefined {
    if (this.#invalidations.size === 0) return undefined;
    return foldStamps((entry as Partial<Node>).names ?? invalidationNames(entry.key, entry.tags), this.#invalidations);
  }

  check(entry: StoredEntry): void {
    this.#measure(entry);
  }

  async set(entry: StoredEntry): Promise<void> {
    const size = this.#measure(entry);
    const previous = this.#entries.get(entry.key);
    if (previous !== undefined) this.#remove(previous);
    // Fields written out, not spread: every node then has one V8 shape, and a hit's property
    // reads stay monomorphic (spreading made hits several times slower).
    const node: Node = {
      key: entry.key,
      value: entry.value,
      createdAt: entry.createdAt,
      freshUntil: entry.freshUntil,
      staleUntil: entry.staleUntil,
      errorUntil: entry.errorUntil,
      tags: entry.tags,
      softPurgedAt: entry.softPurgedAt,
      names: invalidationNames(entry.key, entry.tags),
      size,
      older: undefined,
      newer: undefined,
    };
    this.#entries.set(node.key, node);
    this.#linkNewest(node);
    this.#bytes += size;
    for (const name of node.names) {
      let members = this.#members.get(name);
      if (members === undefined) this.#members.set(name, (members = { nodes: new Set(), minStaleUntil: Infinity }));
      members.nodes.add(node);
      if (node.staleUntil < members.minStaleUntil) members.minStaleUntil = node.staleUntil;
    }
    while (this.#oldest !== undefined && (this.#entries.size > this.#maxEntries || this.#bytes > this.#maxBytes)) {
      this.#remove(this.#oldest);
    }
  }

  /** The entry's size in bytes, measured once per entry object (check() then set()). */
  #measure(entry: StoredEntry): number {
    let size = this.#measured.get(entry);
    if (size === undefined) {
      size = this.#sizeOf(entry.value) + 2 * entry.key.length + NODE_OVERHEAD;
      this.#measured.set(entry, size);
    }
    if (size > this.#maxBytes) {
      throw new EdgecacheError(
        "VALUE_TOO_LARGE",
        `MemoryStore: the value for "${entry.key}" measures ${size} bytes, over maxBytes (${this.#maxBytes}); raise maxBytes or cache a smaller value`,
      );
    }
    return size;
  }

  async delete(key: string, ifCreatedAt?: number): Promise<void> {
    const node = this.#entries.get(key);
    if (node !== undefined && (ifCreatedAt === undefined || node.createdAt === ifCreatedAt)) this.#remove(node);
  }

  async invalidate(target: PurgeTarget, mode: PurgeMode, at: number, now: number): Promise<PurgeOutcome> {
    // Entries of earlier hard purges must be gone before counting, or they would count twice.
    this.#drainSweeps(Infinity);
    if ("key" in target) return { count: this.#purgeKey(target.key, mode, at, now) };
    const name = "tag" in target ? tagName(target.tag) : prefixName(target.prefix);
    const invalidation = this.#invalidations.get(name) ?? { hard: 0, soft: 0 };
    if (mode === "hard") invalidation.hard = Math.max(invalidation.hard, at);
    else invalidation.soft = Math.max(invalidation.soft, at);
    this.#invalidations.set(name, invalidation);

    const members = this.#members.get(name);
    if (members === undefined) return { count: 0 };
    const count = this.#countLive(members, at, now, mode === "soft");
    if (mode === "soft") return { count };
    this.#members.delete(name);
    this.#sweepQueue.push(members.nodes.values());
    return { count, background: this.#scheduleSweep() };
  }

  #purgeKey(key: string, mode: PurgeMode, at: number, now: number): number {
    const node = this.#entries.get(key);
    if (node === undefined || node.createdAt > at) return 0;
    const live = isLive(classify(node, this.invalidationFor(node), now));
    if (mode === "hard") this.#remove(node);
    else if (live) node.softPurgedAt = at;
    return live ? 1 : 0;
  }

  async *scan(filter: ScanFilter): AsyncIterable<EntrySummary> {
    this.#drainSweeps(Infinity);
    let nodes: Iterable<Node>;
    if (filter.tag !== undefined) nodes = this.#members.get(tagName(filter.tag))?.nodes ?? [];
    else nodes = this.#entries.values();
    const prefix = filter.prefix;
    // Snapshot, so callers may delete while they iterate.
    for (const node of [...nodes]) if (prefix === undefined || node.key.startsWith(prefix)) yield node;
  }

  async getRecord(name: string): Promise<unknown> {
    return this.#records.get(name);
  }

  async setRecord(name: string, value: unknown): Promise<void> {
    this.#records.set(name, value);
  }

  async cleanup(now: number, inFlightSince: number): Promise<number> {
    this.#drainSweeps(Infinity);
    let removed = 0;
    let oldestKept = Infinity;
    for (const node of [...this.#entries.values()]) {
      const state = classify(node, this.invalidationFor(node), now);
      if (state === "expired" || state === "purged") {
        this.#remove(node);
        removed++;
      } else if (node.createdAt < oldestKept) oldestKept = node.createdAt;
    }
    // An invalidation older than every entry and every running generation can no longer cover
    // anything that is or will be stored here.
    const horizon = Math.min(oldestKept, inFlightSince, now);
    for (const [name, invalidation] of this.#invalidations) {
      if (invalidation.hard < horizon && invalidation.soft < horizon) this.#invalidations.delete(name);
    }
    return removed;
  }

  #countLive(members: Members, at: number, now: number, prune: boolean): number {
    if (members.minStaleUntil > now) return members.nodes.size;
    let count = 0;
    let minStaleUntil = Infinity;
    for (const node of members.nodes) {
      if (node.staleUntil > now) {
        if (node.createdAt <= at) count++;
        if (node.staleUntil < minStaleUntil) minStaleUntil = node.staleUntil;
      } else if (prune) {
        // Past its stale window an entry is never live again; the invalidation record still
        // covers it, so it need not stay indexed to be purged.
        members.nodes.delete(node);
      }
    }
    members.minStaleUntil = minStaleUntil;
    return count;
  }

  #scheduleSweep(): Promise<void> {
    this.#sweeping ??= new Promise<void>((resolve) => {
      const step = () => {
        if (this.#drainSweeps(SWEEP_SLICE)) {
          this.#sweeping = undefined;
          resolve();
        } else defer(step);
      };
      defer(step);
    });
    return this.#sweeping;
  }

  /** Unlinks up to `budget` purged entries; true when nothing is left to sweep. */
  #drainSweeps(budget: number): boolean {
    while (this.#sweepQueue.length > 0) {
      const nodes = this.#sweepQueue[0]!;
      for (;;) {
        if (budget-- <= 0) return false;
        const next = nodes.next();
        if (next.done) break;
        if (this.#entries.get(next.value.key) === next.value) this.#remove(next.value);
      }
      this.#sweepQueue.shift();
    }
    return true;
  }

  #remove(node: Node): void {
    if (this.#entries.get(node.key) !== node) return;
    this.#entries.delete(node.key);
    this.#unlinkFromList(node);
    this.#bytes -= node.size;
    for (const name of node.names) {
      const members = this.#members.get(name);
      if (members === undefined) continue;
      members.nodes.delete(node);
      if (members.nodes.size === 0) this.#members.delete(name);
    }
  }

  #linkNewest(node: Node): void {
    node.older = this.#newest;
    node.newer = undefined;
    if (this.#newest !== undefined) this.#newest.newer = node;
    this.#newest = node;
    this.#oldest ??= node;
  }

  #unlinkFromList(node: Node): void {
    if (node.older !== undefined) node.older.newer = node.newer;
    else this.#oldest = node.newer;
    if (node.newer !== undefined) node.newer.older = node.older;
    else this.#newest = node.older;
    node.older = node.newer = undefined;
  }
}

/** Runs `step` after other queued work: a macrotask where the platform has timers. */
function defer(step: () => void): void {
  const timers = globalThis as { setTimeout?: (callback: () => void, ms: number) => unknown };
  if (typeof timers.setTimeout === "function") timers.setTimeout(step, 0);
  else queueMicrotask(step);
}
