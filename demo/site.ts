/**
 * The offline-capable demo site the origin serves under /app/: a page, its script, and the
 * service worker that runs edgecache in the browser. Scripts are bundled on first request.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { bundle } from "./bundle.js";

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>edgecache offline demo</title>
<style>body{font:16px system-ui;max-width:48rem;margin:2rem auto;padding:0 1rem}small{color:#555}pre{white-space:pre-wrap}</style>
<h1>edgecache, in the browser</h1>
<p>Network: <b id="network">…</b>. Load this page, go offline (DevTools › Network › Offline), reload: it is still here.
Purge the tag "blog" at the edge, come back online, reload: the post is fetched anew.</p>
<h2>/blog/hello-edge</h2><p id="post">…</p><small id="post-status"></small>
<h2>/api/time</h2><pre id="time">…</pre><small id="time-status"></small>
<p><button id="reload">Fetch again</button> <button id="purge-edge">Purge tag "blog" at the edge</button>
<button id="sync">Learn the edge's purges now</button> <button id="stats">Browser cache stats</button></p>
<pre id="log"></pre>
<script src="/app/app.js"></script>
`;

const scripts = new Map<string, Promise<string>>();
const script = (entry: string) => {
  let built = scripts.get(entry);
  if (built === undefined) scripts.set(entry, (built = bundle(entry, "browser")));
  return built;
};

/** Origin routes for /app/: true when the request was answered. */
export async function siteRoutes(_request: IncomingMessage, url: URL, response: ServerResponse): Promise<boolean> {
  switch (url.pathname) {
    case "/app":
      response.writeHead(301, { location: "/app/" });
      response.end();
      return true;
    case "/app/":
      response.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "public, max-age=30, stale-while-revalidate=300", "cache-tag": "app" });
      response.end(PAGE);
      return true;
    case "/app/app.js":
      response.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=300", "cache-tag": "app" });
      response.end(await script("demo/site/app.ts"));
      return true;
    case "/app/sw.js":
      // A service worker script must always be checked with the server, never cached.
      response.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" });
      response.end(await script("demo/site/sw.ts"));
      return true;
    default:
      return false;
  }
}
