/**
 * The entry model: a value plus the times that decide how a read finds it.
 *
 *   createdAt ─── fresh ───▶ freshUntil ─── stale (served, refreshed once) ───▶ staleUntil
 *                                      └─── usable only if a refresh fails ───▶ errorUntil
 *
 * `createdAt` is a stamp taken when the value's generation *started*, so a value fetched before
 * a purge can never survive that purge. All times are milliseconds since the epoch; `Infinity`
 * means "never". Stale-while-revalidate and stale-if-error are separate windows because they
 * answer different questions: "may I serve this while I refresh?" and "may I serve this when the
 * refresh fails?" (RFC 5861).
 */
export interface EntryTimes {
  readonly createdAt: number;
  readonly freshUntil: number;
  /** End of the stale-while-revalidate window (≥ freshUntil). */
  readonly staleUntil: number;
  /** End of the stale-if-error window (≥ freshUntil). */
  readonly errorUntil: number;
}

export interface StoredEntry<V = unknown> extends EntryTimes {
  readonly key: string;
  readonly value: V;
  readonly tags: readonly string[];
  /** Set by a soft purge of this one key: the entry reads as stale from then on. */
  readonly softPurgedAt?: number;
}

/** The latest hard and soft invalidation stamps that apply to an entry (0: never). */
export interface Invalidation {
  hard: number;
  soft: number;
}

/**
 * How a read finds an entry. Only `fresh` and `stale` are served to a plain `get()`;
 * `error-only` is kept solely as a stale-if-error fallback; `expired` and `purged` are misses.
 */
export type EntryState = "fresh" | "stale" | "error-only" | "expired" | "purged";

export interface Lifetime {
  /** Seconds the entry is fresh; undefined or Infinity: permanent. */
  ttl?: number | undefined;
  /** Seconds after freshness during which it is served stale while one refresh runs. */
  swr?: number | undefined;
  /** Seconds after freshness during which it answers for a failing generator. */
  staleIfError?: number | undefined;
}

export function entryTimes(createdAt: number, now: number, lifetime: Lifetime): EntryTimes {
  const ttl = lifetime.ttl ?? Infinity;
  const freshUntil = now + ttl * 1000;
  return {
    createdAt,
    freshUntil,
    staleUntil: freshUntil + (lifetime.swr ?? 0) * 1000,
    errorUntil: freshUntil + (lifetime.staleIfError ?? 0) * 1000,
  };
}

/** The latest hard and soft stamps among these names' (undefined if none has any). */
export function foldStamps(names: Iterable<string>, stamps: ReadonlyMap<string, Invalidation>): Invalidation | undefined {
  let found: Invalidation | undefined;
  for (const name of names) found = mergeInvalidations(found, stamps.get(name));
  return found;
}

/** The later of two invalidations, field by field. */
export function mergeInvalidations(a: Invalidation | undefined, b: Invalidation | undefined): Invalidation | undefined {
  if (a === undefined) return b === undefined ? undefined : { hard: b.hard, soft: b.soft };
  if (b === undefined) return a;
  return { hard: Math.max(a.hard, b.hard), soft: Math.max(a.soft, b.soft) };
}

/** An entry's own fields, leaving behind whatever bookkeeping a store keeps on the same object. */
export function entryFields<V>(entry: StoredEntry<V>): StoredEntry<V> {
  const { key, value, createdAt, freshUntil, staleUntil, errorUntil, tags, softPurgedAt } = entry;
  const fields = { key, value, createdAt, freshUntil, staleUntil, errorUntil, tags };
  return softPurgedAt === undefined ? fields : { ...fields, softPurgedAt };
}

/** When a store may physically drop the entry. */
export function expiresAt(entry: EntryTimes): number {
  return entry.staleUntil > entry.errorUntil ? entry.staleUntil : entry.errorUntil;
}

export function classify(entry: StoredEntry, invalidation: Invalidation | undefined, now: number): EntryState {
  const created = entry.createdAt;
  if (invalidation !== undefined && invalidation.hard >= created) return "purged";
  if (now >= expiresAt(entry)) return "expired";
  const softPurged =
    (entry.softPurgedAt !== undefined && entry.softPurgedAt >= created) ||
    (invalidation !== undefined && invalidation.soft >= created);
  if (!softPurged && now < entry.freshUntil) return "fresh";
  // A soft purge turns the rest of the entry's servable life into stale time.
  if (now < entry.staleUntil) return "stale";
  return now < entry.errorUntil ? "error-only" : "expired";
}

/** Whether `has()` reports the entry: fresh or stale, never purged or expired. */
export function isLive(state: EntryState): boolean {
  return state === "fresh" || state === "stale";
}

/**
 * Live as far as the entry's own record tells, without consulting invalidation records. Stores
 * use it while enumerating for a purge, where the purge's own stamp is checked separately.
 */
export function isLiveIgnoringInvalidations(entry: StoredEntry, now: number): boolean {
  return now < entry.staleUntil;
}

/**
 * Stamps are strictly increasing within one engine even when the clock stands still (tests with
 * a frozen clock, several operations in one millisecond), so "created before the purge" is never
 * a tie. The step is a binary fraction of a millisecond, exact in a double at today's epoch.
 */
export function createStamper(clock: () => number): () => number {
  let last = -Infinity;
  return () => {
    const now = clock();
    last = now > last ? now : last + 2 ** -10;
    return last;
  };
}
