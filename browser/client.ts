import type { CacheStats, WarmingStatus } from "../src/index.js";
import { type ClientAnswer, type ClientRequest, MESSAGE_SOURCE } from "./messages.js";
import type { SyncReport } from "./purge-sync.js";

/** An error the service worker answered with; `code` is the EdgecacheError code, when there is one. */
export class ServiceWorkerError extends Error {
  override readonly name = "ServiceWorkerError";
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface EdgecacheClient {
  purgeTag(tag: string, options?: { soft?: boolean }): Promise<number>;
  purgePrefix(prefix: string, options?: { soft?: boolean }): Promise<number>;
  purgeUrl(url: string, options?: { soft?: boolean }): Promise<number>;
  /** The worker's cache statistics, and how many entries IndexedDB holds. */
  stats(): Promise<CacheStats & { entries: number }>;
  resetStats(): Promise<CacheStats>;
  warmingStatus(): Promise<WarmingStatus[]>;
  warm(): Promise<WarmingStatus[]>;
  /** Learn the edge's purges now. */
  syncPurges(): Promise<SyncReport>;
  /** While the page is open, tell the worker every `everyMs` (warming on schedule, purge sync). Returns a stop function. */
  keepFresh(everyMs?: number): () => void;
}

/**
 * The page's side of edgecache's service worker: purge locally, read stats and warming status.
 *
 *   const edgecache = edgecacheClient();
 *   await edgecache.purgeTag("blog");
 */
export function edgecacheClient(container: ServiceWorkerContainer = navigator.serviceWorker): EdgecacheClient {
  const ask = async <T>(request: ClientRequest): Promise<T> => {
    const registration = await container.ready;
    const worker = container.controller ?? registration.active;
    if (worker === null) throw new ServiceWorkerError("no active service worker: register edgecache's service worker first");
    const channel = new MessageChannel();
    return new Promise<T>((resolve, reject) => {
      channel.port1.onmessage = (event: MessageEvent<ClientAnswer>) => {
        channel.port1.close();
        if (event.data.ok) resolve(event.data.result as T);
        else reject(new ServiceWorkerError(event.data.error, event.data.code));
      };
      worker.postMessage({ source: MESSAGE_SOURCE, request }, [channel.port2]);
    });
  };
  return {
    purgeTag: (tag, options = {}) => ask({ type: "purge-tag", tag, ...options }),
    purgePrefix: (prefix, options = {}) => ask({ type: "purge-prefix", prefix, ...options }),
    purgeUrl: (url, options = {}) => ask({ type: "purge-url", url, ...options }),
    stats: () => ask({ type: "stats" }),
    resetStats: () => ask({ type: "reset-stats" }),
    warmingStatus: () => ask({ type: "warming-status" }),
    warm: () => ask({ type: "warm" }),
    syncPurges: () => ask({ type: "sync-purges" }),
    keepFresh(everyMs = 60_000) {
      const tick = () => void ask({ type: "tick" }).catch(() => undefined);
      tick();
      const timer = setInterval(tick, everyMs);
      return () => clearInterval(timer);
    },
  };
}
