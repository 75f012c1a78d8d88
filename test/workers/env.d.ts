import type { Env as WorkerEnv } from "../../worker/config.js";

declare global {
  namespace Cloudflare {
    /** The test Worker's env: wrangler.toml's bindings, and the loopback servers from global-setup. */
    interface Env extends WorkerEnv {
      CACHE_KV: KVNamespace;
      TEST_ORIGIN_URL: string;
      TEST_ZONE_API_URL: string;
    }
  }
}
