/**
 * The browser benchmark, in one Chromium run: a cache hit answered by edgecache's strategy, by
 * Workbox's StaleWhileRevalidate and by a bare caches.match handler, all in one service worker,
 * timed per request from the page over interleaved rounds.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { bundle } from "../demo/bundle.js";
import { launchChromium } from "../test/support/chromium.js";
import { median, table } from "./harness.js";

const SETUPS = ["edgecache", "workbox", "bare"] as const;
const NAMES: Record<(typeof SETUPS)[number], string> = {
  edgecache: "edgecache strategy (IndexedDB)",
  workbox: "workbox StaleWhileRevalidate (Cache Storage)",
  bare: "bare caches.match handler",
};
const BODY = "<p>" + "x".repeat(4096) + "</p>";

export async function benchBrowser(): Promise<void> {
  const sw = await bundle("bench/browser/sw.ts", "browser");
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://bench").pathname;
    if (path === "/bench/sw.js") return void response.writeHead(200, { "content-type": "text/javascript", "cache-control": "no-cache" }).end(sw);
    if (path === "/bench/") return void response.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>bench</title>");
    response.writeHead(200, { "content-type": "text/html", "cache-control": "max-age=3600" }).end(BODY);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const site = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${site}/bench/`);
    await page.evaluate(async () => {
      await navigator.serviceWorker.register("/bench/sw.js", { scope: "/bench/" });
      await navigator.serviceWorker.ready;
    });
    await page.reload();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const perRequest = await page.evaluate(
      async ({ setups, n, rounds }) => {
        const samples: Record<string, number[]> = Object.fromEntries(setups.map((setup) => [setup, []]));
        for (const setup of setups) await (await fetch(`/bench/${setup}/item`)).text();
        await new Promise((resolve) => setTimeout(resolve, 200));
        for (let round = 0; round < rounds; round++) {
          for (const setup of round % 2 === 0 ? setups : [...setups].reverse()) {
            const started = performance.now();
            for (let i = 0; i < n; i++) await (await fetch(`/bench/${setup}/item`)).text();
            samples[setup]!.push((performance.now() - started) / n);
          }
        }
        return samples;
      },
      { setups: [...SETUPS], n: 200, rounds: 7 },
    );
    const latency = Object.fromEntries(SETUPS.map((setup) => [setup, median(perRequest[setup]!)])) as Record<(typeof SETUPS)[number], number>;
    console.log("\n## Browser: a cache hit through a service worker, in Chromium (200 requests × 7 rounds, median latency)\n");
    const rows = [["setup", "ms per request", "× workbox (speed)", "× bare match (speed)"]];
    for (const setup of SETUPS) {
      rows.push([NAMES[setup], latency[setup].toFixed(3), (latency.workbox / latency[setup]).toFixed(2), (latency.bare / latency[setup]).toFixed(2)]);
    }
    console.log(table(rows));
    console.log("(target for edgecache: no slower than Workbox's hit, i.e. ≥ 1.00× workbox)");
  } finally {
    await browser.close();
    server.close();
  }
}
