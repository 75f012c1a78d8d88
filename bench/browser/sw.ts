/**
 * The browser benchmark's service worker: three ways to answer a cache hit, side by side in one
 * worker. /bench/edgecache/* through edgecache's Workbox strategy (IndexedDB), /bench/workbox/*
 * through Workbox's StaleWhileRevalidate (Cache Storage), /bench/bare/* through caches.match.
 */
import { registerRoute } from "workbox-routing";
import { StaleWhileRevalidate } from "workbox-strategies";
import { EdgecacheStrategy, IdbStore } from "../../browser/index.js";
import { createCache, HttpCache } from "../../src/index.js";

declare const self: ServiceWorkerGlobalScope;

const http = IdbStore.open({ name: "bench" }).then(
  (store) => new HttpCache({ cache: createCache({ store }), origin: (request) => fetch(new Request(request, { cache: "no-store" })), shared: false, name: "edgecache-sw", networkErrors: "throw" }),
);
registerRoute(({ url }) => url.pathname.startsWith("/bench/edgecache/"), new EdgecacheStrategy({ http }));
registerRoute(({ url }) => url.pathname.startsWith("/bench/workbox/"), new StaleWhileRevalidate({ cacheName: "bench-workbox" }));

self.addEventListener("fetch", (event) => {
  if (!new URL(event.request.url).pathname.startsWith("/bench/bare/")) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open("bench-bare");
      const hit = await cache.match(event.request);
      if (hit !== undefined) return hit;
      const response = await fetch(event.request);
      event.waitUntil(cache.put(event.request, response.clone()));
      return response;
    })(),
  );
});
self.addEventListener("install", () => void self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
