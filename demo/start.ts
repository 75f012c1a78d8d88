/**
 * `npm start`: the demo origin on 127.0.0.1:8788 and the edgecache Worker in front of it with
 * `wrangler dev` on http://localhost:8787 (local KV persisted under .wrangler/state, a dev admin
 * token). Ctrl-C stops both.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { startOrigin } from "./origin.js";
import { siteRoutes } from "./site.js";

export const DEV_ADMIN_TOKEN = "dev-admin-token";
const ORIGIN_PORT = 8788;
const WORKER_PORT = 8787;

const origin = await startOrigin({ port: ORIGIN_PORT, routes: siteRoutes });
console.log(`demo origin on ${origin.url}`);

const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
const worker = spawn(
  process.execPath,
  [wrangler, "dev", "--port", String(WORKER_PORT), "--persist-to", ".wrangler/state", "--var", `ADMIN_TOKEN:${DEV_ADMIN_TOKEN}`, "--var", `ORIGIN:${origin.url}`],
  { stdio: ["inherit", "pipe", "inherit"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
);

let announced = false;
worker.stdout.on("data", (chunk: Buffer) => {
  process.stdout.write(chunk);
  if (!announced && /Ready on/i.test(chunk.toString())) {
    announced = true;
    console.log(`
  edgecache is running on http://localhost:${WORKER_PORT} in front of ${origin.url}

    curl -i http://localhost:${WORKER_PORT}/blog/hello-edge            # a miss, then a hit
    curl -i http://localhost:${WORKER_PORT}/api/time                    # stale after 5 s, refreshed behind it
    curl -i -X POST -H 'authorization: Bearer ${DEV_ADMIN_TOKEN}' \\
         -d '{"tags":["blog"]}' http://localhost:${WORKER_PORT}/_cache/purge
    curl -s -H 'authorization: Bearer ${DEV_ADMIN_TOKEN}' http://localhost:${WORKER_PORT}/_cache/stats
    curl "http://localhost:${WORKER_PORT}/cdn-cgi/handler/scheduled?cron=*/5+*+*+*+*"   # a cron trigger: warming

  Open http://localhost:${WORKER_PORT}/app/ for the offline-capable site (edgecache in its service worker).
`);
  }
});

const stop = async (code: number) => {
  worker.kill("SIGTERM");
  await origin.close();
  process.exit(code);
};
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
worker.on("exit", (code) => void stop(code ?? 0));
