/**
 * Runs before the browser tests: the demo origin (site and /__test/ routes) and the edgecache
 * Worker in front of it in workerd (Miniflare, local KV), so the service worker under test talks
 * to a real edge. Chromium must be installed: these tests never skip.
 */
import { existsSync } from "node:fs";
import { Miniflare } from "miniflare";
import type { TestProject } from "vitest/node";
import { bundle } from "../../demo/bundle.js";
import { startOrigin } from "../../demo/origin.js";
import { siteRoutes } from "../../demo/site.js";
import { CHROMIUM_PATH } from "./app.js";

export default async function setup(project: TestProject) {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`The browser tests drive a real Chromium and found none at ${CHROMIUM_PATH}: install it (apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH.`);
  }
  const origin = await startOrigin({ testRoutes: true, routes: siteRoutes });
  const edge = new Miniflare({
    modules: true,
    script: await bundle("worker/main.ts", "workerd"),
    compatibilityDate: "2026-04-20",
    kvNamespaces: ["CACHE_KV"],
    bindings: { ORIGIN: origin.url, ADMIN_TOKEN: "dev-admin-token" },
    host: "127.0.0.1",
    port: 0,
  });
  const url = (await edge.ready).href.replace(/\/$/, "");
  project.provide("edgeUrl", url);
  project.provide("e2eOriginUrl", origin.url);
  return async () => {
    await edge.dispose();
    await origin.close();
  };
}
