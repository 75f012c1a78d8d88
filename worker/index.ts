/**
 * The edgecache Worker: a caching proxy in front of ORIGIN, with an admin API under /_cache and
 * warming and cleanup on cron triggers. Its parts are exported for Workers of your own.
 */
import { ConfigError, type Env } from "./config.js";
import { runtimeFor } from "./runtime.js";

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
export { FEED_RETENTION_MS, KvPurgeLog, MemoryPurgeLog, PURGE_FEED_PATH, purgeFeed } from "./purge-feed.js";
export type { FeedPage, FeedPurge, PurgeLog } from "./purge-feed.js";
export type { EdgeCacheOptions } from "./proxy.js";
export { createStore, EdgeRuntime, runtimeFor } from "./runtime.js";
export type { RuntimeOverrides, ScheduledReport } from "./runtime.js";
export { ZonePurger } from "./zone-purge.js";
export type { ZonePurgeOptions, ZonePurgeReport } from "./zone-purge.js";

function misconfigured(error: ConfigError): Response {
  return new Response(`edgecache is misconfigured: ${error.message}\n`, {
    status: 500,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
}

export default {
  fetch(request, env, ctx) {
    const runtime = runtimeFor(env);
    return runtime instanceof ConfigError ? misconfigured(runtime) : runtime.fetch(request, env, ctx);
  },
  async scheduled(controller, env, ctx) {
    const runtime = runtimeFor(env);
    if (runtime instanceof ConfigError) throw runtime;
    ctx.waitUntil(runtime.scheduled(controller.cron));
  },
} satisfies ExportedHandler<Env>;
