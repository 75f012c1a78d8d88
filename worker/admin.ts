import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { type Cache, EdgecacheError, type HttpCache, isEdgecacheError } from "../src/index.js";
import { adminAuth } from "./admin-auth.js";
import { optionalWaitUntil } from "./proxy.js";
import { BadPurgeRequest, parsePurgeRequest, type PurgeRequest } from "./purge-request.js";
import type { ZonePurger, ZonePurgeReport } from "./zone-purge.js";

export interface AdminOptions {
  cache: Cache;
  http: HttpCache;
  /** Undefined: the admin API answers 403 to everything. */
  adminToken: string | undefined;
  /** Also purge Cloudflare's cache for the zone. */
  zone?: ZonePurger | undefined;
  /** Told of every purge that went through (to publish it to browsers). */
  onPurge?: ((request: PurgeRequest, at: number) => Promise<void>) | undefined;
}

/** Largest admin request body: enough for the list limits in PURGE_LIMITS. */
const MAX_BODY_BYTES = 64 * 1024;

/** Which request field an engine error is about, for a 400 that names it. */
const FIELD_OF: Partial<Record<string, string>> = { INVALID_TAG: "tags", TOO_MANY_TAGS: "tags", INVALID_PATTERN: "pattern", INVALID_KEY: "keys", UNKNOWN_TASK: "key" };

/**
 * The admin API, mounted under /_cache: purge by tags, prefixes, keys or pattern (hard or soft),
 * statistics, and warming. JSON in and out.
 */
export function adminApi(options: AdminOptions): Hono {
  const { cache, http } = options;
  const app = new Hono();
  app.use("*", adminAuth(options.adminToken));
  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json({ error: `the body may be at most ${MAX_BODY_BYTES} bytes`, field: "body" }, 413),
    }),
  );

  app.post("/purge", async (c) => {
    const body = await c.req.json().catch(() => invalidJson);
    if (body === invalidJson) return c.json({ error: "the body must be JSON", field: "body" }, 400);
    const request = parsePurgeRequest(body, new URL(c.req.url));
    const at = cache.clock();
    const purge = { soft: request.soft, ...optionalWaitUntil(c) };
    const counts = { tags: 0, prefixes: 0, keys: 0, pattern: 0 };
    if (request.tags.length > 0) counts.tags = await cache.invalidateTags(request.tags, purge);
    for (const prefix of request.prefixes) counts.prefixes += await cache.invalidatePrefix(prefix, purge);
    for (const key of request.keys) {
      counts.keys += isUrl(key) ? await http.purgeUrl(key, purge) : await cache.invalidateKeys([key], purge);
    }
    if (request.pattern !== undefined) counts.pattern = await cache.invalidatePattern(request.pattern, purge);
    // The purge has happened; failing to tell browsers about it is reported, not turned into a failure.
    const published = await Promise.resolve(options.onPurge?.(request, at)).then(
      () => undefined,
      (error: unknown) => `not published to browsers: ${error instanceof Error ? error.message : String(error)}`,
    );
    let zone: ZonePurgeReport | undefined;
    if (options.zone !== undefined) {
      zone = await options.zone.purge({
        tags: request.tags,
        prefixes: request.prefixes.filter(isUrl),
        files: request.keys.filter(isUrl),
      });
    }
    const purged = counts.tags + counts.prefixes + counts.keys + counts.pattern;
    return c.json({
      purged,
      ...counts,
      soft: request.soft,
      ...(published === undefined ? {} : { feed: published }),
      ...(zone === undefined ? {} : { zone: { ...zone, ...(request.pattern === undefined ? {} : { pattern: "not forwarded: Cloudflare purges by tag, prefix, host or URL" }) } }),
    });
  });

  app.get("/stats", (c) => c.json({ ...cache.stats(), store: cache.store.name, scope: "isolate" }));
  app.post("/stats/reset", (c) => {
    cache.resetStats();
    return c.json({ ...cache.stats(), store: cache.store.name, scope: "isolate" });
  });

  app.get("/warm", async (c) => c.json({ tasks: await cache.warmingStatus() }));
  app.post("/warm", async (c) => {
    const text = await c.req.text();
    const body = text.trim() === "" ? {} : await Promise.resolve().then(() => JSON.parse(text)).catch(() => invalidJson);
    if (body === invalidJson || typeof body !== "object" || body === null || Array.isArray(body)) {
      return c.json({ error: 'the body must be empty or a JSON object such as {"key": "https://example.com/"}', field: "body" }, 400);
    }
    const { key, ...rest } = body as { key?: unknown };
    const unknown = Object.keys(rest)[0];
    if (unknown !== undefined) return c.json({ error: `unknown field "${unknown}"; only key is accepted`, field: unknown }, 400);
    if (key !== undefined && typeof key !== "string") return c.json({ error: "key must be a string", field: "key" }, 400);
    const target = typeof key === "string" && key.startsWith("/") ? new URL(key, c.req.url).href : key;
    return c.json({ ran: await cache.warm(target) });
  });

  // A route, not notFound(): mounted with app.route(), a sub-app's notFound is not consulted, and
  // an unknown /_cache path must end here rather than reach the proxy and the origin.
  app.all("*", (c) =>
    c.json({ error: `no admin route ${c.req.method} ${new URL(c.req.url).pathname}`, routes: ["POST /_cache/purge", "GET /_cache/stats", "POST /_cache/stats/reset", "GET /_cache/warm", "POST /_cache/warm"] }, 404),
  );

  app.onError((error, c) => {
    if (error instanceof BadPurgeRequest) return c.json({ error: error.message, field: error.field }, 400);
    if (isEdgecacheError(error)) {
      if (error.code === "STORE_FAILED") return c.json({ error: `the store failed; nothing is known to be purged, retry: ${error.message}` }, 503);
      if (error.code === "UNSUPPORTED_BY_STORE") return c.json({ error: error.message }, 501);
      const field = FIELD_OF[error.code];
      return c.json({ error: error.message, ...(field === undefined ? {} : { field }) }, error.code === "UNKNOWN_TASK" ? 404 : 400);
    }
    return c.json({ error: error instanceof EdgecacheError ? error.message : `internal error: ${error.message}` }, 500);
  });
  return app;
}

const invalidJson = Symbol("invalid JSON");

function isUrl(value: string): boolean {
  return /^https?:\/\//i.test(value);
}
