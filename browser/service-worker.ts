import { registerQuotaErrorCallback } from "workbox-core";
import { registerRoute } from "workbox-routing";
import { type Cache, type ContentPolicy, createCache, HttpCache, isEdgecacheError, PURGE_FEED_PATH } from "../src/index.js";
import { IdbStore } from "./idb-store.js";
import { type ClientAnswer, type ClientRequest, MESSAGE_SOURCE } from "./messages.js";
import { PurgeSync } from "./purge-sync.js";
import { EdgecacheStrategy } from "./strategy.js";

export interface EdgecacheWorkerOptions {
  /** Which requests edgecache answers. Default: same-origin requests, except the worker's own script, the purge feed and /_cache/. */
  match?: (context: { url: URL; request: Request }) => boolean;
  /** IndexedDB database name. Default "edgecache". */
  database?: string;
  /** Most entries kept; least recently used go first. Default 5,000. */
  maxEntries?: number;
  /**
   * Seconds a stored response may stand in while offline or while the origin fails, even if it
   * says less (never for no-store, no-cache or must-revalidate responses). Default 7 days.
   */
  offlineSeconds?: number;
  /** Store responses marked `private`: this cache belongs to one user, but only if you ask. Default false. */
  storePrivate?: boolean;
  /** Content-type policies (ttl, swr, tags, varyOn, cacheControl) by MIME type. */
  policies?: Record<string, ContentPolicy>;
  /** URLs to keep warm: fetched on install, and every `everyMs` (default 10 minutes) while a page is open. */
  warm?: { urls: string[]; everyMs?: number };
  /** Path of the edge's purge feed; false not to follow the edge's purges. Default "/.well-known/edgecache/purges". */
  purgeFeed?: string | false;
  /** Ask the feed at most this often (ms), on navigations and while a page is open. Default 3,000 (the feed itself is cached 5 s at the edge). */
  purgeSyncMs?: number;
}

export interface EdgecacheWorker {
  store: IdbStore;
  cache: Cache;
  http: HttpCache;
  purges: PurgeSync | undefined;
}

const DEFAULTS = { database: "edgecache", maxEntries: 5000, offlineSeconds: 7 * 24 * 3600, storePrivate: false, purgeFeed: PURGE_FEED_PATH, purgeSyncMs: 3000 };
const LAST_WARM_RECORD = "warm:last";

/**
 * Sets edgecache up in a service worker: IndexedDB store, engine, the Workbox strategy on a
 * route, purges learnt from the edge, warming, the page API and Workbox's quota callback.
 *
 *   installEdgecache(self, { warm: { urls: ["/", "/app.js"] } });
 */
export function installEdgecache(scope: ServiceWorkerGlobalScope, options: EdgecacheWorkerOptions = {}): { ready: Promise<EdgecacheWorker>; strategy: EdgecacheStrategy } {
  const settings = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) } as Omit<typeof DEFAULTS, "purgeFeed"> &
    EdgecacheWorkerOptions & { purgeFeed: string | false };
  const site = scope.location.origin;
  const warmEveryMs = settings.warm?.everyMs ?? 10 * 60_000;
  const feedPath = settings.purgeFeed === false ? undefined : new URL(settings.purgeFeed, site).pathname;

  const ready = (async (): Promise<EdgecacheWorker> => {
    const store = await IdbStore.open({ name: settings.database, maxEntries: settings.maxEntries });
    const cache = createCache({ store });
    for (const [type, policy] of Object.entries(settings.policies ?? {})) cache.registerPolicy(type, policy);
    const http = new HttpCache({
      cache,
      // Warming and refreshes, like the strategy's fetches, bypass the browser's HTTP cache.
      origin: (request) => fetch(new Request(request, { cache: "no-store" })),
      shared: false,
      name: "edgecache-sw",
      // Offline with nothing stored, the page sees a network error, as it would without us.
      networkErrors: "throw",
      storePrivate: settings.storePrivate,
      minStaleIfError: settings.offlineSeconds,
      stripTagHeaders: false,
    });
    for (const url of settings.warm?.urls ?? []) cache.registerWarmingTask(http.warmingTask(new URL(url, site).href));
    const purges =
      feedPath === undefined
        ? undefined
        : new PurgeSync({ cache, http, clearAll: () => store.clear(), feedUrl: new URL(feedPath, site).href, minIntervalMs: settings.purgeSyncMs });
    // Workbox calls this when any of its caches runs out of quota: make room here too.
    registerQuotaErrorCallback(() => store.evict(Math.max(1, Math.ceil(store.size / 10))));
    return { store, cache, http, purges };
  })();

  const warmIfDue = async (force = false) => {
    const { cache, store } = await ready;
    const last = ((await store.getRecord(LAST_WARM_RECORD)) as number | undefined) ?? -Infinity;
    if (!force && Date.now() - last < warmEveryMs) return [];
    await store.setRecord(LAST_WARM_RECORD, Date.now());
    return cache.warm();
  };

  const scriptPath = new URL(scope.serviceWorker?.scriptURL ?? "/sw.js", site).pathname;
  const match =
    settings.match ??
    (({ url }: { url: URL }) => url.origin === site && url.pathname !== scriptPath && url.pathname !== feedPath && !url.pathname.startsWith("/_cache/"));
  const strategy = new EdgecacheStrategy({
    http: ready.then(({ http }) => http),
    ...(feedPath === undefined ? {} : { beforeNavigation: () => ready.then(({ purges }) => purges?.sync()) }),
  });
  registerRoute(({ url, request }) => match({ url, request }), strategy, "GET");
  // Writes go through too, so a successful one invalidates what it targets here as well.
  for (const method of ["POST", "PUT", "PATCH", "DELETE"] as const) registerRoute(({ url, request }) => match({ url, request }), strategy, method);

  scope.addEventListener("install", (event) => {
    event.waitUntil(warmIfDue(true).catch(() => undefined).then(() => scope.skipWaiting()));
  });
  scope.addEventListener("activate", (event) => {
    event.waitUntil(Promise.all([scope.clients.claim(), ready.then(({ purges }) => purges?.sync({ force: true })), warmIfDue()]).catch(() => undefined));
  });

  scope.addEventListener("message", (event) => {
    const data = event.data as { source?: string; request?: ClientRequest } | undefined;
    if (data?.source !== MESSAGE_SOURCE || data.request === undefined) return;
    const port = event.ports[0];
    event.waitUntil(
      answer(data.request).then(
        (result) => port?.postMessage({ ok: true, result } satisfies ClientAnswer),
        (error: unknown) => port?.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error), ...(isEdgecacheError(error) ? { code: error.code } : {}) } satisfies ClientAnswer),
      ),
    );
  });

  async function answer(request: ClientRequest): Promise<unknown> {
    const { cache, http, purges, store } = await ready;
    switch (request.type) {
      case "purge-tag":
        return cache.invalidateTag(request.tag, { soft: request.soft === true });
      case "purge-prefix":
        return cache.invalidatePrefix(new URL(request.prefix, site).href, { soft: request.soft === true });
      case "purge-url":
        return http.purgeUrl(new URL(request.url, site).href, { soft: request.soft === true });
      case "stats":
        return { ...cache.stats(), entries: store.size };
      case "reset-stats":
        cache.resetStats();
        return cache.stats();
      case "warming-status":
        return cache.warmingStatus();
      case "warm":
        return warmIfDue(true);
      case "sync-purges":
        return purges?.sync({ force: true }) ?? { applied: 0, purged: 0 };
      case "tick":
        return { warmed: (await warmIfDue()).length, purges: await purges?.sync() };
      default:
        throw new Error(`unknown request ${JSON.stringify(request)}`);
    }
  }

  return { ready, strategy };
}
