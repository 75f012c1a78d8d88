/**
 * Bundles TypeScript entry points for the browser and for workerd with esbuild, in memory. Used
 * by the demo origin (the service worker and page script it serves), the browser tests and the
 * benchmarks (the Worker they run in Miniflare).
 */
import { build } from "esbuild";

export type BundleTarget = "browser" | "workerd";

export async function bundle(entry: string, target: BundleTarget): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    // Service workers and pages load classic scripts most widely; workerd wants modules.
    format: target === "workerd" ? "esm" : "iife",
    platform: "browser",
    target: "es2022",
    conditions: target === "workerd" ? ["workerd", "worker", "browser"] : ["browser"],
    // Workbox keeps its development logging behind this.
    define: { "process.env.NODE_ENV": '"production"' },
    write: false,
    logLevel: "warning",
  });
  return result.outputFiles[0]!.text;
}
