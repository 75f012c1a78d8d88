import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Three projects, one command: the engine in Node, the Worker inside workerd (real KV, Cache
// API, waitUntil and scheduled events), the service worker in real Chromium.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            main: "./worker/main.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ORIGIN: inject("originUrl"),
                ADMIN_TOKEN: "test-admin-token",
                CF_ZONE_ID: "zone-test",
                CF_API_TOKEN: "zone-api-test-token",
                CF_API_BASE: `${inject("zoneApiUrl")}/client/v4`,
                TEST_ORIGIN_URL: inject("originUrl"),
                TEST_ZONE_API_URL: inject("zoneApiUrl"),
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          globalSetup: ["test/workers/global-setup.ts"],
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/e2e/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // One Chromium at a time: these machines have two cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
