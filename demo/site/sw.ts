/**
 * The demo's service worker: edgecache in front of the whole site, warming the pages the demo
 * shows, and following the edge's purges.
 */
import { installEdgecache } from "../../browser/index.js";

declare const self: ServiceWorkerGlobalScope;

installEdgecache(self, { warm: { urls: ["/app/", "/app/app.js", "/blog/hello-edge"] } });
