import { Hono } from "hono";
import { type Cache, type Clock, createCache, EDGE_TAGS_HEADER, HttpCache, MemoryStore, NearCache, PURGE_FEED_PATH, type Store, type WarmingStatus } from "../src/index.js";
import { adminApi } from "./admin.js";
import { CacheApiStore } from "./cache-api-store.js";
import { ConfigError, type EdgeConfig, type Env, readConfig, type WarmingConfig } from "./config.js";
import { KvStore } from "./kv-store.js";
import { edgeCache, originFetcher } from "./proxy.js";
import { KvPurgeLog, MemoryPurgeLog, PurgeFeed } from "./purge-feed.js";
import type { PurgeRequest } from "./purge-request.js";
import { ZonePurger } from "./zone-purge.js";

/** What tests (and embedders) may replace: time, the store, the way the origin is reached. */
export interface RuntimeOverrides {
  clock?: Clock;
  store?: Store;
  origin?: (request: Request) => Promise<Response>;
  fetch?: typeof fetch;
}

export interface ScheduledReport {
  cron: string;
  warmed: WarmingStatus[];
  /** Records removed, when this trigger is the cleanup schedule. */
  cleaned?: number;
}

/**
 * Everything one isolate keeps between requests: the engine (whose coalescing and stats are
 * per isolate), the HTTP cache, warming tasks and the Hono app. Built from the Worker's env.
 */
export class EdgeRuntime {
  readonly config: EdgeConfig;
  readonly cache: Cache;
  readonly http: HttpCache;
  readonly zone: ZonePurger | undefined;
  /** Purges, published for browser caches at /.well-known/edgecache/purges. */
  readonly feed: PurgeFeed;
  readonly app: Hono<{ Bindings: Env }>;

  constructor(env: Env, overrides: RuntimeOverrides = {}) {
    const config = readConfig(env);
    this.config = config;
    const clock = overrides.clock ?? Date.now;
    this.cache = createCache({ store: overrides.store ?? createStore(config, env, clock), clock });
    for (const [contentType, policy] of Object.entries(config.policies)) this.cache.registerPolicy(contentType, policy);
    const fetcher = overrides.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
    const origin = overrides.origin ?? originFetcher(config.origin, fetcher);
    this.feed = new PurgeFeed(config.store === "memory" ? new MemoryPurgeLog() : new KvPurgeLog(env.CACHE_KV!), clock);
    this.http = new HttpCache({
      cache: this.cache,
      origin,
      forwardHeaders: config.forwardHeaders,
      originTimeoutMs: config.originTimeoutMs,
      // Browser caches behind the edge learn tags from this header, so tag purges can reach them.
      tagsHeader: EDGE_TAGS_HEADER,
      onInvalidate: (keys) => this.feed.append({ at: clock(), keys, soft: false }),
    });
    this.zone = config.zone === undefined ? undefined : new ZonePurger({ ...config.zone, fetch: fetcher });
    for (const task of config.warming) this.#registerWarming(task, origin);

    this.app = new Hono<{ Bindings: Env }>();
    this.app.get(PURGE_FEED_PATH, this.feed.handler());
    const onPurge = async (request: PurgeRequest, at: number) => {
      const { tags, prefixes, keys, pattern, soft } = request;
      await this.feed.append({ at, soft, ...(tags.length ? { tags } : {}), ...(prefixes.length ? { prefixes } : {}), ...(keys.length ? { keys } : {}), ...(pattern === undefined ? {} : { pattern }) });
    };
    this.app.route("/_cache", adminApi({ cache: this.cache, http: this.http, adminToken: config.adminToken, zone: this.zone, onPurge }));
    this.app.use("*", edgeCache({ http: this.http }));
  }

  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    return this.app.fetch(request, env, ctx);
  }

  /** A cron trigger: warm the tasks scheduled on it, and clean up on the cleanup schedule. */
  async scheduled(cron: string): Promise<ScheduledReport> {
    const warmed = await this.cache.runScheduled(cron);
    if (cron.trim() !== this.config.cleanupSchedule.trim()) return { cron, warmed };
    return { cron, warmed, cleaned: await this.cache.cleanup() };
  }

  #registerWarming(task: WarmingConfig, origin: (request: Request) => Promise<Response>): void {
    const url = new URL(task.url, this.config.siteUrl ?? this.config.origin).href;
    const lifetime = { schedule: task.schedule, ttl: task.ttl, swr: task.swr, staleIfError: task.staleIfError, tags: task.tags };
    if (task.key === undefined) {
      this.cache.registerWarmingTask(this.http.warmingTask(url, withoutUndefined(lifetime)));
      return;
    }
    // A plain key: the origin's body, decoded by its content type, kept under the key.
    this.cache.registerWarmingTask({
      key: task.key,
      ...withoutUndefined(lifetime),
      generator: async () => {
        const response = await origin(new Request(url));
        if (!response.ok) throw new Error(`${url} answered ${response.status}`);
        const type = response.headers.get("content-type") ?? "";
        if (type.includes("json")) return (await response.json()) as unknown;
        if (type.startsWith("text/")) return response.text();
        return new Uint8Array(await response.arrayBuffer());
      },
    });
  }
}

/** The configured store, behind an isolate-memory near cache unless NEAR_CACHE_MS is 0. */
export function createStore(config: EdgeConfig, env: Env, clock: Clock = Date.now): Store {
  if (config.store === "memory") return new MemoryStore();
  const kv = new KvStore({ namespace: env.CACHE_KV! });
  const far = config.store === "kv" ? kv : new CacheApiStore({ cache: caches.default, index: kv, tiered: config.store === "tiered" });
  return config.nearCacheMs === 0 ? far : new NearCache({ far, ttlMs: config.nearCacheMs, clock });
}

const runtimes = new WeakMap<Env, EdgeRuntime | ConfigError>();

/** The isolate's runtime for this env (workerd hands every request of an isolate the same env). */
export function runtimeFor(env: Env): EdgeRuntime | ConfigError {
  let runtime = runtimes.get(env);
  if (runtime === undefined) {
    try {
      runtime = new EdgeRuntime(env);
    } catch (error) {
      runtime = error instanceof ConfigError ? error : new ConfigError((error as Error).message);
    }
    runtimes.set(env, runtime);
  }
  return runtime;
}

function withoutUndefined<T extends object>(object: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as never;
}
