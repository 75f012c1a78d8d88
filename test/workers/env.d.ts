import type { Env as WorkerEnv } from "../../worker/config.js";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      TEST_ORIGIN_URL: string;
      TEST_ZONE_API_URL: string;
    }
  }
}
