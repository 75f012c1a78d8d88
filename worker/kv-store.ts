import {
  decode,
  EdgecacheError,
  encode,
  type EntrySummary,
  expiresAt,
  type Invalidation,
  invalidationNames,
  MAX_IMPLICIT_PREFIXES,
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
import { purgeKeyInPlace } from "../src/key-purge.js";
import { KvLayout } from "./kv-layout.js";

export interface KvStoreOptions {
  /** The KV namespace binding (e.g. `env.CACHE_KV`). */
  namespace: KVNamespace;
  /** Prefix of every key this store writes, so several caches can share one namespace. Default "ec:". */
  prefix?: string;
  /** Most KV operations one purge or cleanup spends on deleting bodies (Workers allow 1,000 per invocation). Default 800. */
  maxDeletesPerCall?: number;
}

/** What a listing's metadata holds for an entry or a manifest record. Infinity is kept as null (JSON). */
interface SummaryMetadata {
  c: number;
  f: number | null;
  s: number | null;
  e: number | null;
  /** The full key, when the KV key holds a shortened one and it fits in KV's 1 KiB of metadata. */
  k?: string;
  /** The entry's tags, when they fit: replacing or deleting the entry then drops its manifests without reading the body. */
  t?: string[];
}

/** One bulk read answers at most this many keys; two stamps per name. */
const BULK_READ_KEYS = 100;
const MAX_TAGS = BULK_READ_KEYS / 2 - MAX_IMPLICIT_PREFIXES - 2;
/** KV refuses an expirationTtl under 60 s; shorter-lived entries are kept a little longer and expire by the engine's own times. */
const MIN_EXPIRATION_TTL = 60;
const MAX_VALUE_BYTES = 25 * 1024 * 1024;
const METADATA_KEY_BYTES = 700;
/** KV keeps at most 1,024 bytes of metadata per key. */
const METADATA_BYTES = 1024;

const toJson = (time: number) => (Number.isFinite(time) ? time : null);
const fromJson = (time: number | null) => (time === null ? Infinity : time);

/**
 * Entries in Workers KV: global, eventually consistent (a write is visible at once where it was
 * made, elsewhere within about 60 s). What each operation costs:
 *
 *  - a hit: 2 round trips, the entry and one bulk read of its invalidation stamps (billed per
 *    key: 1 + 2 × (tags + boundary prefixes)); an entry with neither costs 1;
 *  - a set: 1 read of the previous entry's metadata (to drop manifests of tags it no longer
 *    has), 1 write for the entry + 1 per tag (manifest records, written first, so an entry is
 *    never unindexed);
 *  - a tag or boundary-prefix purge: 1 blind write, then listing to count (1 list per 1,000
 *    entries) and, for a hard purge, deleting bodies in the background;
 *  - a key purge: 1 read + 1 write.
 * A purge reaches every location within KV's propagation time (about 60 s).
 */
export class KvStore implements Store {
  readonly name = "kv";
  readonly capabilities = { enumerate: true, consistency: "eventual" } as const;
  readonly limits = { maxKeyBytes: Infinity, maxValueBytes: MAX_VALUE_BYTES, maxTagsPerEntry: MAX_TAGS };
  readonly layout: KvLayout;
  readonly #kv: KVNamespace;
  readonly #maxDeletes: number;
  readonly #encoded = new WeakMap<StoredEntry, Uint8Array>();

  constructor(options: KvStoreOptions) {
    if (typeof options?.namespace?.get !== "function") {
      throw new EdgecacheError("INVALID_OPTION", "KvStore: namespace must be a KV namespace binding, e.g. env.CACHE_KV (declare it under [[kv_namespaces]] in wrangler.toml)");
    }
    const prefix = options.prefix ?? "ec:";
    if (typeof prefix !== "string" || prefix.length > 32) {
      throw new EdgecacheError("INVALID_OPTION", "KvStore: prefix must be a string of at most 32 characters");
    }
    this.#kv = options.namespace;
    this.#maxDeletes = options.maxDeletesPerCall ?? 800;
    this.layout = new KvLayout(prefix);
  }

  async get(key: string): Promise<StoredEntry | undefined> {
    const kvKey = await this.layout.entry(key);
    let bytes: ArrayBuffer | null;
    try {
      bytes = await this.#kv.get(kvKey, "arrayBuffer");
    } catch (error) {
      throw storeFailure(this.name, "get", error);
    }
    // Null: nothing there. Empty: an index record whose body lives elsewhere (the Cache API store).
    if (bytes === null || bytes.byteLength === 0) return undefined;
    const entry = decode(bytes) as StoredEntry;
    // A shortened KV key may be shared by two long keys; the entry's own key decides.
    return entry.key === key ? entry : undefined;
  }

  async invalidationFor(entry: StoredEntry): Promise<Invalidation | undefined> {
    return this.stampsFor(invalidationNames(entry.key, entry.tags));
  }

  /** Folds the hard and soft stamps of these names, in one bulk read per 50 names. */
  async stampsFor(names: readonly string[]): Promise<Invalidation | undefined> {
    if (names.length === 0) return undefined;
    const keys = await Promise.all(names.flatMap((name) => [this.layout.stamp("hard", name), this.layout.stamp("soft", name)]));
    const hardKeys = new Set(keys.filter((_, i) => i % 2 === 0));
    let found: Invalidation | undefined;
    try {
      for (let i = 0; i < keys.length; i += BULK_READ_KEYS) {
        const values = await this.#kv.get(keys.slice(i, i + BULK_READ_KEYS), "text");
        for (const [key, value] of values) {
          if (value === null) continue;
          const stamp = Number(value);
          found ??= { hard: 0, soft: 0 };
          if (hardKeys.has(key)) found.hard = Math.max(found.hard, stamp);
          else found.soft = Math.max(found.soft, stamp);
        }
      }
    } catch (error) {
      throw storeFailure(this.name, "read invalidations", error);
    }
    return found;
  }

  check(entry: StoredEntry): void {
    this.encode(entry);
  }

  async set(entry: StoredEntry): Promise<void> {
    await this.#write(entry, this.encode(entry));
  }

  /** Writes only the index of an entry whose body lives elsewhere (the Cache API store). */
  async setIndex(entry: StoredEntry): Promise<void> {
    await this.#write(entry, "");
  }

  async #write(entry: StoredEntry, body: Uint8Array | string): Promise<void> {
    const kvKey = await this.layout.entry(entry.key);
    const options = await this.#putOptions(entry, kvKey);
    try {
      const previous = await this.#tagsAt(kvKey, entry.key);
      // Manifests first: an entry that exists is always findable by its tags.
      await this.#putManifests(entry, options);
      await this.#kv.put(kvKey, body, options);
      // Then drop the manifests of tags the previous generation had and this one has not.
      const dropped = previous.filter((tag) => !entry.tags.includes(tag));
      await Promise.all(dropped.map(async (tag) => this.#kv.delete(await this.layout.manifest(tag, entry.key))));
    } catch (error) {
      throw storeFailure(this.name, "set", error);
    }
  }

  /** The tags of the entry stored at `kvKey` (none if there is none), from its metadata if they fit there. */
  async #tagsAt(kvKey: string, key: string): Promise<string[]> {
    const current = await this.#kv.getWithMetadata<SummaryMetadata>(kvKey, "stream");
    await current.value?.cancel();
    if (current.metadata === null) return [];
    if (current.metadata.t !== undefined) return current.metadata.t;
    return [...((await this.get(key))?.tags ?? [])];
  }

  async #putManifests(entry: StoredEntry, options: KVNamespacePutOptions): Promise<void> {
    await Promise.all(entry.tags.map(async (tag) => this.#kv.put(await this.layout.manifest(tag, entry.key), "", options)));
  }

  /** An entry's times from its metadata alone, without reading its body. */
  async summary(key: string): Promise<EntrySummary | undefined> {
    try {
      const current = await this.#kv.getWithMetadata<SummaryMetadata>(await this.layout.entry(key), "stream");
      await current.value?.cancel();
      if (current.metadata === null || (current.metadata.k !== undefined && current.metadata.k !== key)) return undefined;
      return summaryOf(key, current.metadata);
    } catch (error) {
      throw storeFailure(this.name, "read metadata", error);
    }
  }

  /** Deletes the entry and its manifest records (so a later tag purge does not count it). */
  async delete(key: string, ifCreatedAt?: number): Promise<void> {
    const kvKey = await this.layout.entry(key);
    try {
      const current = await this.#kv.getWithMetadata<SummaryMetadata>(kvKey, "stream");
      await current.value?.cancel();
      if (current.metadata === null) return;
      if (ifCreatedAt !== undefined && current.metadata.c !== ifCreatedAt) return;
      const tags = current.metadata.t ?? (await this.get(key))?.tags ?? [];
      await this.#kv.delete(kvKey);
      await Promise.all(tags.map(async (tag) => this.#kv.delete(await this.layout.manifest(tag, key))));
    } catch (error) {
      throw storeFailure(this.name, "delete", error);
    }
  }

  async invalidate(target: PurgeTarget, mode: PurgeMode, at: number, now: number): Promise<PurgeOutcome> {
    if ("key" in target) return { count: await purgeKeyInPlace(this, target.key, mode, at, now) };
    await this.writeStamp(mode, "tag" in target ? tagName(target.tag) : prefixName(target.prefix), at);
    return this.countCovered("tag" in target ? { tag: target.tag } : { prefix: target.prefix }, mode, at, now);
  }

  /** Records a purge of an invalidation name: one blind write. */
  async writeStamp(mode: PurgeMode, name: string, at: number): Promise<void> {
    try {
      await this.#kv.put(await this.layout.stamp(mode, name), String(at));
    } catch (error) {
      throw storeFailure(this.name, "purge", error);
    }
  }

  /**
   * Counts the live entries a purge covers by listing (KV lists lag writes by up to ~60 s, so an
   * entry written elsewhere moments ago may be missed: the purge still covers it, through the
   * stamp). A hard purge deletes the bodies in the background, within the per-call budget; any
   * left are unreadable already and go at their expiry or the next cleanup.
   */
  async countCovered(filter: ScanFilter, mode: PurgeMode, at: number, now: number): Promise<PurgeOutcome> {
    let count = 0;
    const doomed: string[] = [];
    for await (const summary of this.#listSummaries(filter)) {
      if (summary.createdAt > at) continue;
      if (now < summary.staleUntil) count++;
      if (mode !== "hard") continue;
      doomed.push(summary.listedAs, ...(summary.entryKey === undefined ? [] : [summary.entryKey]));
      // All the entry's manifests go with it, or a purge of another of its tags would count it again.
      for (const tag of summary.tags ?? []) doomed.push(await this.layout.manifest(tag, summary.key));
    }
    if (doomed.length === 0) return { count };
    const budget = [...new Set(doomed)].slice(0, this.#maxDeletes);
    return { count, background: this.#deleteAll(budget) };
  }

  async *scan(filter: ScanFilter): AsyncIterable<EntrySummary> {
    for await (const summary of this.#listSummaries(filter)) yield summary;
  }

  async getRecord(name: string): Promise<unknown> {
    try {
      const bytes = await this.#kv.get(this.layout.record(name), "arrayBuffer");
      return bytes === null ? undefined : decode(bytes);
    } catch (error) {
      throw storeFailure(this.name, "read record", error);
    }
  }

  async setRecord(name: string, value: unknown): Promise<void> {
    try {
      await this.#kv.put(this.layout.record(name), encode(value));
    } catch (error) {
      throw storeFailure(this.name, "write record", error);
    }
  }

  /**
   * Removes expired entries, entries a hard purge covers, and manifest records whose entry is
   * gone or was replaced, from listings and stamp reads alone: no body is read. KV expires
   * entries by itself (at least 60 s after their end), so this is mostly about purged bodies and
   * stale index records. It deletes at most `maxDeletesPerCall` records per call; a cron trigger
   * calling it regularly works through a large namespace over time.
   */
  async cleanup(now: number): Promise<number> {
    const entries = new Map<string, EntrySummary & { names: string[] }>();
    const doomed = new Set<string>();
    for await (const summary of this.#listSummaries({})) {
      if (now >= expiresAt(summary)) doomed.add(summary.listedAs);
      else entries.set(summary.listedAs, { ...summary, names: invalidationNames(summary.key, summary.tags ?? []) });
    }
    // A manifest whose entry is gone, or was replaced since (another creation stamp), is stale.
    const manifests: { name: string; entry: string }[] = [];
    for await (const record of this.#list(this.layout.allManifests)) {
      const metadata = record.metadata as SummaryMetadata | undefined;
      const entryKvKey = metadata?.k === undefined ? undefined : await this.layout.entry(metadata.k);
      const entry = entryKvKey === undefined ? undefined : entries.get(entryKvKey);
      if (entry === undefined || entry.createdAt !== metadata?.c) doomed.add(record.name);
      else manifests.push({ name: record.name, entry: entryKvKey! });
    }
    const hard = await this.#hardStamps([...new Set([...entries.values()].flatMap((entry) => entry.names))]);
    for (const [kvKey, entry] of entries) {
      if (entry.names.some((name) => (hard.get(name) ?? 0) >= entry.createdAt)) doomed.add(kvKey);
    }
    for (const manifest of manifests) if (doomed.has(manifest.entry)) doomed.add(manifest.name);
    const removing = [...doomed].slice(0, this.#maxDeletes);
    await this.#deleteAll(removing);
    return removing.length;
  }

  /** Hard stamps of these names, in bulk reads of 100. */
  async #hardStamps(names: readonly string[]): Promise<Map<string, number>> {
    const stamps = new Map<string, number>();
    const keys = await Promise.all(names.map((name) => this.layout.stamp("hard", name)));
    try {
      for (let i = 0; i < keys.length; i += BULK_READ_KEYS) {
        const values = await this.#kv.get(keys.slice(i, i + BULK_READ_KEYS), "text");
        keys.slice(i, i + BULK_READ_KEYS).forEach((key, j) => {
          const value = values.get(key);
          if (value !== null && value !== undefined) stamps.set(names[i + j]!, Number(value));
        });
      }
    } catch (error) {
      throw storeFailure(this.name, "read invalidations", error);
    }
    return stamps;
  }

  /** The entry in the typed codec, checked against KV's value limit; encoded once per entry object. */
  encode(entry: StoredEntry): Uint8Array {
    let bytes = this.#encoded.get(entry);
    if (bytes === undefined) {
      bytes = encode(entry);
      this.#encoded.set(entry, bytes);
    }
    if (bytes.byteLength > MAX_VALUE_BYTES) {
      throw new EdgecacheError(
        "VALUE_TOO_LARGE",
        `KvStore: the entry for "${entry.key.slice(0, 80)}" encodes to ${bytes.byteLength} bytes; Workers KV takes at most 25 MiB per value`,
      );
    }
    return bytes;
  }

  async #putOptions(entry: StoredEntry, kvKey: string): Promise<KVNamespacePutOptions> {
    const metadata: SummaryMetadata = {
      c: entry.createdAt,
      f: toJson(entry.freshUntil),
      s: toJson(entry.staleUntil),
      e: toJson(entry.errorUntil),
    };
    // Manifests and listings must lead back to the full key; keep it when the KV key cannot.
    if (!kvKey.endsWith(entry.key) || entry.tags.length > 0) {
      if (new TextEncoder().encode(entry.key).byteLength <= METADATA_KEY_BYTES) metadata.k = entry.key;
    }
    if (new TextEncoder().encode(JSON.stringify({ ...metadata, t: entry.tags })).byteLength <= METADATA_BYTES) {
      metadata.t = [...entry.tags];
    }
    const end = expiresAt(entry);
    if (!Number.isFinite(end)) return { metadata };
    // Relative to the entry's own creation, so a test clock and the platform's agree.
    const lifetime = Math.ceil((end - entry.createdAt) / 1000);
    return { metadata, expirationTtl: Math.max(MIN_EXPIRATION_TTL, lifetime) };
  }

  async *#listSummaries(filter: ScanFilter): AsyncIterable<EntrySummary & { listedAs: string; entryKey?: string; tags?: readonly string[] }> {
    if (filter.tag !== undefined) {
      for await (const record of this.#list(await this.layout.manifestPrefix(filter.tag))) {
        const metadata = record.metadata as SummaryMetadata | undefined;
        if (metadata?.k === undefined) continue;
        if (filter.prefix !== undefined && !metadata.k.startsWith(filter.prefix)) continue;
        yield { ...summaryOf(metadata.k, metadata), listedAs: record.name, entryKey: await this.layout.entry(metadata.k), ...(metadata.t ? { tags: metadata.t } : {}) };
      }
      return;
    }
    const keyPrefix = filter.prefix ?? "";
    const listing = this.layout.entryListing(keyPrefix);
    const entryPrefixLength = this.layout.allEntries.length;
    for await (const record of this.#list(listing.prefix)) {
      const metadata = record.metadata as SummaryMetadata | undefined;
      if (metadata === undefined) continue;
      const key = metadata.k ?? record.name.slice(entryPrefixLength);
      if (!listing.exact && !key.startsWith(keyPrefix)) continue;
      yield { ...summaryOf(key, metadata), listedAs: record.name, ...(metadata.t ? { tags: metadata.t } : {}) };
    }
  }

  async *#list(prefix: string): AsyncIterable<KVNamespaceListKey<unknown>> {
    let cursor: string | undefined;
    do {
      let page: KVNamespaceListResult<unknown>;
      try {
        page = await this.#kv.list({ prefix, ...(cursor === undefined ? {} : { cursor }) });
      } catch (error) {
        throw storeFailure(this.name, "list", error);
      }
      yield* page.keys;
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor !== undefined);
  }

  async #deleteAll(kvKeys: readonly string[]): Promise<void> {
    // A few at a time: Workers allow six simultaneous connections per invocation.
    for (let i = 0; i < kvKeys.length; i += 6) {
      await Promise.all(kvKeys.slice(i, i + 6).map((kvKey) => this.#kv.delete(kvKey)));
    }
  }
}

function summaryOf(key: string, metadata: SummaryMetadata): EntrySummary {
  return {
    key,
    createdAt: metadata.c,
    freshUntil: fromJson(metadata.f),
    staleUntil: fromJson(metadata.s),
    errorUntil: fromJson(metadata.e),
  };
}
