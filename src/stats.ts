/**
 * Counters for one engine (one isolate, one service worker): what `cache.stats()` reports.
 * Kept as plain numbers so recording a hit costs a few additions.
 */
export interface CacheStats {
  hits: number;
  misses: number;
  staleHits: number;
  sets: number;
  deletes: number;
  errors: number;
  /** (hits + staleHits) / reads, 0..1; 0 before the first read. */
  hitRate: number;
  /** Mean time of a read answered from the cache (fresh or stale), in ms. */
  avgHitTimeMs: number;
  /** Mean time of a read that had to generate, generator included, in ms. */
  avgMissTimeMs: number;
  /** Reads per second since creation or the last reset (over at least one second). */
  requestsPerSecond: number;
  /** When counting started, ms since the epoch. */
  since: number;
}

export class StatsRecorder {
  hits = 0;
  misses = 0;
  staleHits = 0;
  sets = 0;
  deletes = 0;
  errors = 0;
  #hitTime = 0;
  #missTime = 0;
  #since: number;

  constructor(now: number) {
    this.#since = now;
  }

  hit(ms: number, stale: boolean): void {
    if (stale) this.staleHits++;
    else this.hits++;
    this.#hitTime += ms;
  }

  miss(ms: number): void {
    this.misses++;
    this.#missTime += ms;
  }

  snapshot(now: number): CacheStats {
    const answered = this.hits + this.staleHits;
    const reads = answered + this.misses;
    return {
      hits: this.hits,
      misses: this.misses,
      staleHits: this.staleHits,
      sets: this.sets,
      deletes: this.deletes,
      errors: this.errors,
      hitRate: reads === 0 ? 0 : answered / reads,
      avgHitTimeMs: answered === 0 ? 0 : this.#hitTime / answered,
      avgMissTimeMs: this.misses === 0 ? 0 : this.#missTime / this.misses,
      requestsPerSecond: reads / Math.max(1, (now - this.#since) / 1000),
      since: this.#since,
    };
  }

  reset(now: number): void {
    this.hits = this.misses = this.staleHits = this.sets = this.deletes = this.errors = 0;
    this.#hitTime = this.#missTime = 0;
    this.#since = now;
  }
}
