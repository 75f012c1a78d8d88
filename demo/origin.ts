/**
 * The demo origin: a small site whose pages send Cache-Control, ETag, Last-Modified and
 * Cache-Tag, so every feature of the edge cache can be seen with curl. `npm start` serves it
 * behind the Worker; the tests run it too, with `testRoutes`, which add /__test/ endpoints to
 * script responses, count requests and make paths fail.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface OriginOptions {
  port?: number;
  host?: string;
  /** Serve the /__test/ routes (scripted responses, request counts, failure switches). */
  testRoutes?: boolean;
  /** Extra routes, tried before the built-in ones (the browser demo adds its page and service worker). */
  routes?: (request: IncomingMessage, url: URL, response: ServerResponse) => boolean | Promise<boolean>;
}

export interface RunningOrigin {
  url: string;
  close(): Promise<void>;
}

interface Post {
  title: string;
  body: string;
  version: number;
  modified: Date;
}

const startedAt = new Date();
const posts = new Map<string, Post>([
  ["hello-edge", { title: "Hello, edge", body: "Served from the origin, cached at the edge.", version: 1, modified: startedAt }],
  ["purge-by-tag", { title: "Purge by tag", body: "POST /_cache/purge {\"tags\": [\"post:purge-by-tag\"]}", version: 1, modified: startedAt }],
]);

const page = (title: string, body: string) =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title><h1>${title}</h1><p>${body}</p><p><small>rendered at ${new Date().toISOString()}</small></p>\n`;

export async function startOrigin(options: OriginOptions = {}): Promise<RunningOrigin> {
  const hits = new Map<string, number>();
  const failing = new Map<string, "500" | "close">();

  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://origin.local");
    const counted = url.pathname + url.search;
    hits.set(counted, (hits.get(counted) ?? 0) + 1);
    try {
      if (options.routes && (await options.routes(request, url, response))) return;
      if (options.testRoutes && url.pathname.startsWith("/__test/")) return await testRoute(request, url, response, hits, failing);
      for (const [prefix, mode] of failing) {
        if (!url.pathname.startsWith(prefix)) continue;
        if (mode === "close") return void request.socket.destroy();
        return send(response, 500, { "content-type": "text/plain" }, "origin failure (scripted)\n");
      }
      await demoRoute(request, url, response);
    } catch (error) {
      send(response, 500, { "content-type": "text/plain" }, `origin error: ${(error as Error).message}\n`);
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function demoRoute(request: IncomingMessage, url: URL, response: ServerResponse): Promise<void> {
  const { pathname } = url;
  if (pathname === "/") {
    const list = [...posts].map(([slug, post]) => `<li><a href="/blog/${slug}">${post.title}</a></li>`).join("");
    return conditional(request, response, `"home-${[...posts.values()].map((p) => p.version).join(".")}"`, startedAt, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "public, max-age=10, s-maxage=30, stale-while-revalidate=60, stale-if-error=86400",
      "cache-tag": "pages,home",
    }, page("edgecache demo", `Posts:</p><ul>${list}</ul><p>Try <code>curl -i http://localhost:8787/blog/hello-edge</code> twice.`));
  }
  const slug = /^\/blog\/([a-z0-9-]+)$/.exec(pathname)?.[1];
  if (slug !== undefined) {
    const post = posts.get(slug);
    if (request.method === "POST" || request.method === "PUT") {
      // Editing a post: the edge invalidates this URL (RFC 9111 §4.4) when it sees the 2xx.
      const body = await readBody(request);
      const next: Post = { title: post?.title ?? slug, body: body || `${post?.body ?? ""} (edited)`, version: (post?.version ?? 0) + 1, modified: new Date() };
      posts.set(slug, next);
      return send(response, 200, { "content-type": "application/json" }, JSON.stringify({ slug, version: next.version }) + "\n");
    }
    if (post === undefined) return send(response, 404, { "content-type": "text/plain", "cache-control": "public, max-age=30" }, "no such post\n");
    return conditional(request, response, `"${slug}-v${post.version}"`, post.modified, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "public, max-age=0, s-maxage=60, stale-while-revalidate=300, stale-if-error=86400",
      "cache-tag": `blog,post:${slug}`,
    }, page(post.title, post.body));
  }
  switch (pathname) {
    case "/api/time":
      return send(response, 200, {
        "content-type": "application/json",
        "cache-control": "public, s-maxage=5, stale-while-revalidate=30",
        "cache-tag": "api",
      }, JSON.stringify({ now: new Date().toISOString() }) + "\n");
    case "/greeting": {
      const french = /^fr\b/i.test(String(request.headers["accept-language"] ?? ""));
      return send(response, 200, {
        "content-type": "text/plain; charset=utf-8",
        "cache-control": "public, s-maxage=300",
        vary: "Accept-Language",
        "cache-tag": "greeting",
      }, french ? "Bonjour\n" : "Hello\n");
    }
    case "/account":
      return send(response, 200, { "content-type": "text/plain", "cache-control": "private, max-age=60" }, "your account (never shared)\n");
    case "/login":
      return send(response, 200, { "content-type": "text/plain", "cache-control": "public, max-age=60", "set-cookie": "session=abc; HttpOnly" }, "logged in\n");
    case "/live":
      return send(response, 200, { "content-type": "text/plain", "cache-control": "no-store" }, `live at ${Date.now()}\n`);
    default:
      return send(response, 404, { "content-type": "text/plain" }, "not found\n");
  }
}

/** Answers 304 when the request's validators match, else the full response. */
function conditional(request: IncomingMessage, response: ServerResponse, etag: string, modified: Date, headers: Record<string, string>, body: string): void {
  const all = { ...headers, etag, "last-modified": modified.toUTCString() };
  const ifNoneMatch = request.headers["if-none-match"];
  if (ifNoneMatch !== undefined && ifNoneMatch.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag)) {
    return send(response, 304, all, "");
  }
  send(response, 200, all, body);
}

/**
 * /__test/echo: a response scripted by its query (cc, cdncc, tags, sk, etag, lm, status, vary,
 * cookie, expires, age, location, ctype, body, size (padding bytes), random (that many random
 * bytes instead of text), delay, headers=1 to echo the request headers it got).
 * /__test/count?path=…: how many requests that path+query received. /__test/fail: make a path
 * prefix fail ("500" or "close") or recover ("off"). /__test/reset.
 */
async function testRoute(request: IncomingMessage, url: URL, response: ServerResponse, hits: Map<string, number>, failing: Map<string, "500" | "close">): Promise<void> {
  const q = url.searchParams;
  switch (url.pathname) {
    case "/__test/count":
      return send(response, 200, { "content-type": "application/json" }, JSON.stringify({ count: hits.get(q.get("path") ?? "") ?? 0 }));
    case "/__test/fail":
      if (q.get("mode") === "off") failing.delete(q.get("path") ?? "");
      else failing.set(q.get("path") ?? "", q.get("mode") === "close" ? "close" : "500");
      return send(response, 200, { "content-type": "text/plain" }, "ok");
    case "/__test/reset":
      hits.clear();
      failing.clear();
      return send(response, 200, { "content-type": "text/plain" }, "ok");
  }
  for (const [prefix, mode] of failing) {
    if (!(url.pathname + url.search).startsWith(prefix)) continue;
    if (mode === "close") return void request.socket.destroy();
    return send(response, 503, { "content-type": "text/plain", "retry-after": "1" }, "scripted failure\n");
  }
  const delay = Number(q.get("delay") ?? 0);
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  const headers: Record<string, string> = { "content-type": q.get("ctype") ?? "text/plain; charset=utf-8" };
  const set = (name: string, param: string) => {
    const value = q.get(param);
    if (value !== null) headers[name] = value;
  };
  set("cache-control", "cc");
  set("cdn-cache-control", "cdncc");
  set("cache-tag", "tags");
  set("surrogate-key", "sk");
  set("etag", "etag");
  set("last-modified", "lm");
  set("vary", "vary");
  set("expires", "expires");
  set("age", "age");
  set("location", "location");
  if (q.has("cookie")) headers["set-cookie"] = "session=secret; HttpOnly";
  const etag = q.get("etag");
  const inm = request.headers["if-none-match"];
  if (etag !== null && inm !== undefined && inm.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag.replace(/^W\//, ""))) {
    return send(response, 304, headers, "");
  }
  const count = hits.get(url.pathname + url.search) ?? 0;
  const language = request.headers["accept-language"];
  if (q.has("random")) {
    // Incompressible bytes: storage that compresses (IndexedDB in Chromium does) still fills up.
    headers["content-type"] = "application/octet-stream";
    response.writeHead(Number(q.get("status") ?? 200), headers);
    response.end(randomBytes(Number(q.get("random"))));
    return;
  }
  const size = Number(q.get("size") ?? 0);
  const body =
    q.get("headers") === "1"
      ? JSON.stringify(request.headers)
      : `${q.get("body") ?? "echo"} #${count}${language ? ` lang=${language}` : ""}\n` + (size > 0 ? "x".repeat(size) : "");
  send(response, Number(q.get("status") ?? 200), headers, body);
}

function send(response: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  response.writeHead(status, headers);
  response.end(status === 304 || status === 204 ? undefined : body);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
