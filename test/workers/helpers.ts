import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import type { Store } from "../../src/index.js";
import { EdgeRuntime, type RuntimeOverrides } from "../../worker/runtime.js";
import { manualClock } from "../support/clock.js";

/** A fresh path segment, so tests sharing the origin and KV never see each other's entries. */
export const unique = () => crypto.randomUUID().slice(0, 8);

/** An absolute URL on the Worker's public host for an origin path. */
export const site = (path: string) => `http://localhost${path}`;

/** A scripted origin response: /__test/echo?… with these query parameters. */
export function echo(params: Record<string, string | number>): string {
  const query = new URLSearchParams({ id: unique(), ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])) });
  return `/__test/echo?${query}`;
}

export async function originCount(pathAndQuery: string): Promise<number> {
  const response = await fetch(`${env.TEST_ORIGIN_URL}/__test/count?path=${encodeURIComponent(pathAndQuery)}`);
  return ((await response.json()) as { count: number }).count;
}

export async function originFail(pathPrefix: string, mode: "500" | "close" | "off"): Promise<void> {
  await fetch(`${env.TEST_ORIGIN_URL}/__test/fail?path=${encodeURIComponent(pathPrefix)}&mode=${mode}`);
}

/** A runtime on the test's env with a manual clock (KV and the Cache API ignore fake timers). */
export function testRuntime(overrides: RuntimeOverrides & { env?: Partial<typeof env> } = {}) {
  const clock = manualClock(Date.now());
  const { env: envOverrides, ...rest } = overrides;
  const runtime = new EdgeRuntime({ ...env, ...envOverrides }, { clock: clock.now, ...rest });
  /** Sends a request through the Worker and waits for everything it handed to waitUntil. */
  const send = async (input: string, init?: RequestInit) => {
    const ctx = createExecutionContext();
    const response = await runtime.fetch(new Request(input.startsWith("/") ? site(input) : input, init), env, ctx);
    const body = await response.text();
    await waitOnExecutionContext(ctx);
    return { response, body, status: response.status, cacheStatus: response.headers.get("cache-status") ?? "" };
  };
  return { runtime, clock, send };
}

export type Sent = Awaited<ReturnType<ReturnType<typeof testRuntime>["send"]>>;

/** The KV namespace with every call counted; the real namespace does the work. */
export function countingKv(namespace: KVNamespace) {
  const counts = { get: 0, getKeys: 0, put: 0, delete: 0, list: 0, getWithMetadata: 0 };
  const counted = new Proxy(namespace, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (property in counts) counts[property as keyof typeof counts]++;
        if (property === "get" && Array.isArray(args[0])) counts.getKeys += args[0].length;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return {
    namespace: counted,
    counts,
    reset: () => {
      for (const key of Object.keys(counts)) counts[key as keyof typeof counts] = 0;
    },
  };
}

export type { Store };
