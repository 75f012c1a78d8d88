import type { Context, MiddlewareHandler } from "hono";
import { HttpCache, type HttpCacheOptions, type WaitUntil } from "../src/index.js";

export type EdgeCacheOptions =
  | { http: HttpCache }
  | (Omit<HttpCacheOptions, "origin"> & {
      /** The origin's base URL (path and query are appended), or a function that fetches from it. */
      origin: string | URL | ((request: Request) => Promise<Response>);
    });

/**
 * Hono middleware: a caching proxy in front of an origin. It answers every request itself
 * (from the cache or the origin); refreshes and writes outlive the response through the
 * request's `executionCtx.waitUntil`.
 *
 *   app.use("*", edgeCache({ cache: createCache({ store: new KvStore({ namespace: env.CACHE_KV }) }), origin: "https://origin.example.com" }))
 */
export const edgeCache = (options: EdgeCacheOptions): MiddlewareHandler => {
  const http =
    "http" in options
      ? options.http
      : new HttpCache({ ...options, origin: typeof options.origin === "function" ? options.origin : originFetcher(options.origin) });
  return async function edgeCache(c) {
    return http.handle(c.req.raw, { ...optionalWaitUntil(c) });
  };
};

/**
 * Fetches a request's path and query from the origin. Redirects are handed to the client, not
 * followed. The public host goes along as X-Forwarded-Host, taken from the URL (which is part of
 * the cache key), never from the client's headers (which are not).
 */
export function originFetcher(base: string | URL, fetcher: typeof fetch = (input, init) => fetch(input, init)): (request: Request) => Promise<Response> {
  const origin = new URL(base);
  const basePath = origin.pathname.replace(/\/$/, "");
  return (request) => {
    const url = new URL(request.url);
    const target = new URL(basePath + url.pathname + url.search, origin);
    const forwarded = new Request(target.href, request);
    forwarded.headers.set("x-forwarded-host", url.host);
    forwarded.headers.set("x-forwarded-proto", url.protocol.slice(0, -1));
    return fetcher(forwarded, { redirect: "manual" });
  };
}

/** The request's waitUntil, when it has an execution context (app.fetch without one has none). */
export function optionalWaitUntil(c: Context): { waitUntil?: WaitUntil } {
  try {
    const executionCtx = c.executionCtx;
    return { waitUntil: (promise) => executionCtx.waitUntil(promise) };
  } catch {
    return {};
  }
}
