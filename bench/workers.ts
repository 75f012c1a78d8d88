/**
 * Bundles bench/workers/bench-worker.ts with esbuild and runs it in workerd through Miniflare
 * (local KV and Cache API), then prints its measurements side by side as ratios.
 */
import { Miniflare } from "miniflare";
import { bundle } from "../demo/bundle.js";
import { formatRate, table } from "./harness.js";

const TARGETS = { honoRatio: 1.0, bareRatio: 0.8 };

export async function benchWorkers(): Promise<void> {
  const mf = new Miniflare({
    modules: true,
    script: await bundle("bench/workers/bench-worker.ts", "workerd"),
    compatibilityDate: "2026-04-20",
    kvNamespaces: ["CACHE_KV"],
  });
  try {
    const hits = (await (await mf.dispatchFetch("http://bench/hits?n=1000&rounds=7")).json()) as { n: number; opsPerSecond: Record<string, number> };
    const hono = hits.opsPerSecond["hono/cache middleware"]!;
    const bare = hits.opsPerSecond["bare caches.default.match"]!;
    console.log(`\n## Workers: a cache hit, timed inside workerd (${hits.n} sequential requests × 7 rounds, median)\n`);
    const rows = [["setup", "hits/s", "× hono/cache", "× bare match"]];
    for (const [name, rate] of Object.entries(hits.opsPerSecond)) rows.push([name, formatRate(rate), (rate / hono).toFixed(2), (rate / bare).toFixed(2)]);
    console.log(table(rows));
    console.log(`(targets for edgecache: ≥ ${TARGETS.honoRatio.toFixed(1)}× hono/cache and ≥ ${TARGETS.bareRatio.toFixed(1)}× the bare match)`);

    const cold = (await (await mf.dispatchFetch("http://bench/cold?n=1000&delay=50")).json()) as {
      n: number;
      results: Record<string, { originFetches: number; ms: number; statuses: number[] }>;
    };
    console.log(`\n## Workers: ${cold.n} concurrent cold requests for one URL (origin answers in 50 ms)\n`);
    const coldRows = [["setup", "origin fetches", "all answered in", "statuses"]];
    for (const [name, result] of Object.entries(cold.results)) {
      coldRows.push([name, String(result.originFetches), `${result.ms.toFixed(0)} ms`, result.statuses.join(",")]);
    }
    console.log(table(coldRows));
    console.log("(target for edgecache: exactly 1 origin fetch)");
  } finally {
    await mf.dispose();
  }
}
