import type { MiddlewareHandler } from "hono";
import type { FeedPage, FeedPurge } from "../src/index.js";

export type { FeedPage, FeedPurge };

export interface PurgeLog {
  append(purge: FeedPurge): Promise<void>;
  since(at: number, now: number): Promise<FeedPurge[]>;
  readonly retentionMs: number;
}

/** Purges are kept a week: a browser offline longer than that drops its whole cache. */
export const FEED_RETENTION_MS = 7 * 24 * 3600 * 1000;
const METADATA_BYTES = 1000;

/**
 * The purge log in KV: one record per purge, keyed by time, so concurrent purges from anywhere
 * never overwrite each other, and expiring with the retention. The purge itself rides in the
 * record's metadata when it fits, so reading the feed is listing, not reading.
 */
export class KvPurgeLog implements PurgeLog {
  readonly retentionMs = FEED_RETENTION_MS;
  readonly #kv: KVNamespace;
  readonly #prefix: string;

  constructor(namespace: KVNamespace, prefix = "ec:feed:") {
    this.#kv = namespace;
    this.#prefix = prefix;
  }

  async append(purge: FeedPurge): Promise<void> {
    const key = `${this.#prefix}${String(Math.floor(purge.at)).padStart(16, "0")}:${crypto.randomUUID().slice(0, 8)}`;
    const json = JSON.stringify(purge);
    const fits = new TextEncoder().encode(json).byteLength <= METADATA_BYTES;
    await this.#kv.put(key, fits ? "" : json, { metadata: fits ? purge : { at: purge.at, large: true }, expirationTtl: this.retentionMs / 1000 });
  }

  async since(at: number): Promise<FeedPurge[]> {
    const purges: FeedPurge[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#kv.list<FeedPurge & { large?: boolean }>({ prefix: this.#prefix, ...(cursor === undefined ? {} : { cursor }) });
      for (const record of page.keys) {
        const metadata = record.metadata;
        if (metadata === undefined || metadata.at <= at) continue;
        purges.push(metadata.large ? ((await this.#kv.get(record.name, "json")) as FeedPurge) : metadata);
      }
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor !== undefined);
    return purges.sort((a, b) => a.at - b.at);
  }
}

/** The purge log of one isolate, for STORE = "memory" (development). */
export class MemoryPurgeLog implements PurgeLog {
  readonly retentionMs = FEED_RETENTION_MS;
  readonly #purges: FeedPurge[] = [];

  async append(purge: FeedPurge): Promise<void> {
    this.#purges.push(purge);
  }

  async since(at: number, now: number): Promise<FeedPurge[]> {
    return this.#purges.filter((purge) => purge.at > at && purge.at > now - this.retentionMs);
  }
}

/** How long an isolate reuses a feed answer; CDNs may too (Cache-Control). */
const FEED_MAX_AGE_SECONDS = 5;

/**
 * The purge feed: appends purges to the log, and answers
 * GET /.well-known/edgecache/purges?since=<ms> with the purges made after `since`. Public and
 * cacheable for a few seconds. Clients round `since` down to the minute so that many of them
 * share an answer; they filter the exact time themselves. A purge made through this isolate
 * drops the isolate's remembered answers at once.
 */
export class PurgeFeed {
  readonly #log: PurgeLog;
  readonly #clock: () => number;
  readonly #memo = new Map<number, { until: number; page: FeedPage }>();

  constructor(log: PurgeLog, clock: () => number) {
    this.#log = log;
    this.#clock = clock;
  }

  async append(purge: FeedPurge): Promise<void> {
    await this.#log.append(purge);
    this.#memo.clear();
  }

  async page(since: number): Promise<FeedPage> {
    const now = this.#clock();
    let hit = this.#memo.get(since);
    if (hit === undefined || hit.until <= now) {
      const page: FeedPage = { now, oldest: now - this.#log.retentionMs, purges: await this.#log.since(since, now) };
      hit = { until: now + FEED_MAX_AGE_SECONDS * 1000, page };
      if (this.#memo.size > 1000) this.#memo.clear();
      this.#memo.set(since, hit);
    }
    return hit.page;
  }

  /** The Hono handler for the feed's route. */
  handler(): MiddlewareHandler {
    return async (c) => {
      const raw = c.req.query("since") ?? "0";
      const since = Number(raw);
      if (!Number.isFinite(since) || since < 0) {
        return c.json({ error: `since must be a time in ms since the epoch (≥ 0), got "${raw}"`, field: "since" }, 400);
      }
      c.header("cache-control", `public, max-age=${FEED_MAX_AGE_SECONDS}`);
      return c.json(await this.page(since));
    };
  }
}

