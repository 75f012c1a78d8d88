/**
 * The Workers benchmark, run inside workerd (bench/workers.ts bundles it and drives it with
 * Miniflare). Every setup runs in this one isolate and is timed here, over many requests, so
 * the transport to the benchmark runner does not drown the difference between them.
 *
 *   GET /hits?n=…     sequential hits per setup, interleaved rounds, median ops/s
 *   GET /cold?n=…     n concurrent cold requests for one URL per setup, and the origin fetches each made
 */
import { Hono } from "hono";
import { cache as honoCache } from "hono/cache";
import { createCache, MemoryStore, NearCache, type Store } from "../../src/index.js";
import { CacheApiStore } from "../../worker/cache-api-store.js";
import { KvStore } from "../../worker/kv-store.js";
import { edgeCache } from "../../worker/proxy.js";

interface Env {
  CACHE_KV: KVNamespace;
}

type Handler = (request: Request, env: Env, ctx: ExecutionContext) => Promise<Response>;

const BODY = "<!doctype html>" + "x".repeat(4096);
let originCalls = 0;
let originDelayMs = 0;

/** The origin every setup fronts: a cacheable 4 KiB page, counted, optionally slow. */
async function origin(): Promise<Response> {
  originCalls++;
  if (originDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, originDelayMs));
  return new Response(BODY, { headers: { "content-type": "text/html", "cache-control": "public, max-age=3600", "cache-tag": "bench" } });
}

function edgecacheSetup(store: Store): Handler {
  const app = new Hono<{ Bindings: Env }>();
  app.use("*", edgeCache({ cache: createCache({ store }), origin }));
  return async (request, env, ctx) => app.fetch(request, env, ctx);
}

function honoCacheSetup(): Handler {
  const app = new Hono<{ Bindings: Env }>();
  app.get("*", honoCache({ cacheName: "hono-bench", cacheControl: "max-age=3600", wait: true }));
  app.get("*", () => origin());
  return async (request, env, ctx) => app.fetch(request, env, ctx);
}

function bareMatchSetup(): Handler {
  return async (request, _env, ctx) => {
    const hit = await caches.default.match(request);
    if (hit !== undefined) return hit;
    const response = await origin();
    ctx.waitUntil(caches.default.put(request, response.clone()));
    return response;
  };
}

function setups(env: Env): Record<string, Handler> {
  const kv = () => new KvStore({ namespace: env.CACHE_KV, prefix: `b${crypto.randomUUID().slice(0, 6)}:` });
  return {
    "edgecache (default: near cache + KV)": edgecacheSetup(new NearCache({ far: kv() })),
    "edgecache (KV store alone)": edgecacheSetup(kv()),
    "edgecache (Cache API store)": edgecacheSetup(new CacheApiStore({ cache: caches.default, index: kv() })),
    "edgecache (memory store)": edgecacheSetup(new MemoryStore()),
    "hono/cache middleware": honoCacheSetup(),
    "bare caches.default.match": bareMatchSetup(),
  };
}

async function drive(handler: Handler, url: string, env: Env, ctx: ExecutionContext): Promise<void> {
  const response = await handler(new Request(url), env, ctx);
  await response.arrayBuffer();
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n") ?? 1000);
    const all = setups(env);
    const names = Object.keys(all);

    if (url.pathname === "/hits") {
      const rounds = Number(url.searchParams.get("rounds") ?? 7);
      originDelayMs = 0;
      const target = (name: string) => `https://bench.example/hit/${encodeURIComponent(name)}`;
      for (const name of names) await drive(all[name]!, target(name), env, ctx);
      // Let the setups' background writes (waitUntil) land before timing hits.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const samples: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
      for (let round = 0; round < rounds; round++) {
        for (const name of round % 2 === 0 ? names : [...names].reverse()) {
          const started = performance.now();
          for (let i = 0; i < n; i++) await drive(all[name]!, target(name), env, ctx);
          samples[name]!.push((n / (performance.now() - started)) * 1000);
        }
      }
      return Response.json({ n, rounds, opsPerSecond: Object.fromEntries(names.map((name) => [name, median(samples[name]!)])) });
    }

    if (url.pathname === "/cold") {
      originDelayMs = Number(url.searchParams.get("delay") ?? 50);
      const results: Record<string, { originFetches: number; ms: number; statuses: number[] }> = {};
      for (const name of names) {
        originCalls = 0;
        const target = `https://bench.example/cold/${encodeURIComponent(name)}/${crypto.randomUUID()}`;
        const started = performance.now();
        const responses = await Promise.all(Array.from({ length: n }, () => all[name]!(new Request(target), env, ctx)));
        await Promise.all(responses.map((response) => response.arrayBuffer()));
        results[name] = { originFetches: originCalls, ms: performance.now() - started, statuses: [...new Set(responses.map((r) => r.status))] };
      }
      return Response.json({ n, results });
    }
    return new Response("GET /hits or /cold\n", { status: 404 });
  },
} satisfies ExportedHandler<Env>;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
