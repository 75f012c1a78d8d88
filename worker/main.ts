/**
 * The edgecache Worker: a caching proxy in front of ORIGIN, with an admin API under /_cache, the
 * purge feed for browsers, and warming and cleanup on cron triggers.
 *
 * workerd treats every named export of a Worker's main module as an entrypoint, so this module
 * exports the handler alone; the parts are exported from worker/index.ts.
 */
import { ConfigError, type Env } from "./config.js";
import { runtimeFor } from "./runtime.js";

function misconfigured(error: ConfigError): Response {
  return new Response(`edgecache is misconfigured: ${error.message}\n`, {
    status: 500,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
}

export default {
  fetch(request, env, ctx) {
    const runtime = runtimeFor(env);
    return runtime instanceof ConfigError ? misconfigured(runtime) : runtime.fetch(request, env, ctx);
  },
  async scheduled(controller, env, ctx) {
    const runtime = runtimeFor(env);
    if (runtime instanceof ConfigError) throw runtime;
    ctx.waitUntil(runtime.scheduled(controller.cron));
  },
} satisfies ExportedHandler<Env>;
