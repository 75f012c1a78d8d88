/**
 * Runs in Node before the workerd tests: the demo origin (with its /__test/ routes) and a
 * stand-in of Cloudflare's purge API, both on loopback, where the Worker reaches them with
 * real HTTP.
 */
import type { TestProject } from "vitest/node";
import { startOrigin } from "../../demo/origin.js";
import { startZoneApi } from "../support/zone-api.js";

export const ZONE_API_TOKEN = "zone-api-test-token";

export default async function setup(project: TestProject) {
  const origin = await startOrigin({ testRoutes: true });
  const zoneApi = await startZoneApi(ZONE_API_TOKEN);
  project.provide("originUrl", origin.url);
  project.provide("zoneApiUrl", zoneApi.url);
  return async () => {
    await origin.close();
    await zoneApi.close();
  };
}
