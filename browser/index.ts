/**
 * edgecache in the browser: an IndexedDB store, a Workbox strategy, purges learnt from the edge,
 * warming, and the page's client. `installEdgecache(self)` in a service worker sets it all up.
 */
export { IdbStore } from "./idb-store.js";
export type { IdbStoreOptions } from "./idb-store.js";
export { EdgecacheStrategy } from "./strategy.js";
export type { EdgecacheStrategyOptions } from "./strategy.js";
export { PurgeSync } from "./purge-sync.js";
export type { PurgeSyncOptions, SyncReport } from "./purge-sync.js";
export { installEdgecache } from "./service-worker.js";
export type { EdgecacheWorker, EdgecacheWorkerOptions } from "./service-worker.js";
export { edgecacheClient, ServiceWorkerError } from "./client.js";
export type { EdgecacheClient } from "./client.js";
export type { ClientAnswer, ClientRequest } from "./messages.js";
