/**
 * edgecache's Workers parts, for Workers of your own: stores, the Hono proxy and admin API, the
 * purge feed, zone purges, and the runtime the ready-made Worker (worker/main.ts) is built from.
 */

export { adminApi } from "./admin.js";
export type { AdminOptions } from "./admin.js";
export { adminAuth } from "./admin-auth.js";
export { CacheApiStore } from "./cache-api-store.js";
export type { CacheApiStoreOptions } from "./cache-api-store.js";
export { ConfigError, readConfig } from "./config.js";
export type { EdgeConfig, Env, WarmingConfig } from "./config.js";
export { KvStore } from "./kv-store.js";
export type { KvStoreOptions } from "./kv-store.js";
export { edgeCache, originFetcher } from "./proxy.js";
export { FEED_RETENTION_MS, KvPurgeLog, MemoryPurgeLog, PurgeFeed } from "./purge-feed.js";
export type { FeedPage, FeedPurge, PurgeLog } from "./purge-feed.js";
export type { EdgeCacheOptions } from "./proxy.js";
export { createStore, EdgeRuntime, runtimeFor } from "./runtime.js";
export type { RuntimeOverrides, ScheduledReport } from "./runtime.js";
export { ZonePurger } from "./zone-purge.js";
export type { ZonePurgeOptions, ZonePurgeReport } from "./zone-purge.js";

