import { type Cache, EdgecacheError, type FeedPage, type HttpCache } from "../src/index.js";

export interface PurgeSyncOptions {
  cache: Cache;
  http: HttpCache;
  /** Drops everything: for a client away longer than the feed remembers. */
  clearAll: () => Promise<void>;
  /** The feed's absolute URL, e.g. `${origin}/.well-known/edgecache/purges`. */
  feedUrl: string;
  /** Ask the feed at most this often (ms) unless forced. Default 10,000. */
  minIntervalMs?: number;
  fetch?: (request: Request) => Promise<Response>;
  clock?: () => number;
}

export interface SyncReport {
  /** Purges applied. */
  applied: number;
  /** Entries they removed or marked stale. */
  purged: number;
  /** Why nothing was asked: too soon since the last time, or no network. */
  skipped?: "throttled" | "offline";
  /** The client had been away longer than the feed remembers, so everything was dropped. */
  cleared?: boolean;
}

const SINCE_RECORD = "purge-feed:since";
/** Clients ask from the start of a minute, so that many share the edge's (cacheable) answer. */
const BUCKET_MS = 60_000;

/**
 * Learns the edge's purges and applies them here, so a purge at the edge also removes what it
 * covers from this browser. Edge and browser clocks differ, so a purge is applied as of the
 * moment it is learnt: it may also drop a copy fetched after the edge purged (refetched on next
 * use), never keep one fetched before.
 */
export class PurgeSync {
  readonly #options: Required<Omit<PurgeSyncOptions, "fetch" | "clock">> & Pick<PurgeSyncOptions, "fetch">;
  readonly #clock: () => number;
  #lastAttempt = -Infinity;
  #running: Promise<SyncReport> | undefined;

  constructor(options: PurgeSyncOptions) {
    if (typeof options?.feedUrl !== "string" || !/^https?:\/\//.test(options.feedUrl)) {
      throw new EdgecacheError("INVALID_OPTION", `PurgeSync: feedUrl must be an absolute URL, got ${String(options?.feedUrl)}`);
    }
    this.#options = { minIntervalMs: 10_000, ...options };
    this.#clock = options.clock ?? Date.now;
  }

  /** Fetches the purges made since the last sync and applies them (one sync at a time). */
  sync(options: { force?: boolean } = {}): Promise<SyncReport> {
    this.#running ??= this.#sync(options.force === true).finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #sync(force: boolean): Promise<SyncReport> {
    const now = this.#clock();
    if (!force && now - this.#lastAttempt < this.#options.minIntervalMs) return { applied: 0, purged: 0, skipped: "throttled" };
    const { cache, http } = this.#options;
    const since = (await cache.store.getRecord(SINCE_RECORD)) as number | undefined;
    const url = new URL(this.#options.feedUrl);
    url.searchParams.set("since", String(since === undefined ? 0 : Math.floor(since / BUCKET_MS) * BUCKET_MS));
    let page: FeedPage;
    try {
      const fetcher = this.#options.fetch ?? ((request: Request) => fetch(request));
      // Past the browser's HTTP cache: a copy from a few seconds ago may predate the purge that
      // brought us here. (Shared caches on the way may still share answers.)
      const response = await fetcher(new Request(url, { cache: "no-store" }));
      if (!response.ok) return { applied: 0, purged: 0, skipped: "offline" };
      page = (await response.json()) as FeedPage;
    } catch {
      return { applied: 0, purged: 0, skipped: "offline" };
    }
    // Only a sync that reached the edge counts against the interval: back online, the next one goes.
    this.#lastAttempt = now;
    const report: SyncReport = { applied: 0, purged: 0 };
    if (since === undefined) {
      // First contact: nothing stored here predates it by much; start the log from now.
    } else if (page.oldest > since) {
      await this.#options.clearAll();
      report.cleared = true;
    } else {
      for (const purge of page.purges) {
        if (purge.at <= since) continue;
        const soft = { soft: purge.soft };
        if (purge.tags?.length) report.purged += await cache.invalidateTags(purge.tags, soft);
        for (const prefix of purge.prefixes ?? []) report.purged += await cache.invalidatePrefix(prefix, soft);
        for (const key of purge.keys ?? []) report.purged += /^https?:/.test(key) ? await http.purgeUrl(key, soft) : await cache.invalidateKeys([key], soft);
        if (purge.pattern !== undefined) report.purged += await cache.invalidatePattern(purge.pattern, soft);
        report.applied++;
      }
    }
    await cache.store.setRecord(SINCE_RECORD, page.now);
    return report;
  }
}
