import { createExecutionContext, createScheduledController, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import worker from "../../worker/main.js";
import { echo, testRuntime } from "./helpers.js";

const TOKEN = "test-admin-token";
const json = (body: unknown, token = TOKEN) => ({
  method: "POST",
  headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  body: JSON.stringify(body),
});

interface ZoneCall {
  zone: string;
  body: Record<string, string[]>;
  status: number;
}
const zoneCalls = async () => (await (await fetch(`${env.TEST_ZONE_API_URL}/__calls`)).json()) as ZoneCall[];

beforeEach(async () => {
  await fetch(`${env.TEST_ZONE_API_URL}/__reset`);
});
afterEach(async () => {
  await fetch(`${env.TEST_ORIGIN_URL}/__test/reset`);
});

describe("admin API access", () => {
  it("is off without ADMIN_TOKEN, and says how to turn it on", async () => {
    const { send } = testRuntime({ env: { ADMIN_TOKEN: undefined } });
    const response = await send("/_cache/stats", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body).error).toMatch(/set the ADMIN_TOKEN secret/);
  });

  it("answers 401 to a missing or wrong token, 200 to the right one", async () => {
    expect((await SELF.fetch("http://localhost/_cache/stats")).status).toBe(401);
    const wrong = await SELF.fetch("http://localhost/_cache/stats", { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await SELF.fetch("http://localhost/_cache/stats", { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect((await SELF.fetch("http://localhost/_cache/stats", { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it("never sends /_cache requests to the origin", async () => {
    const response = await SELF.fetch("http://localhost/_cache/unknown", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(404);
    expect(response.headers.get("cache-status")).toBeNull();
    expect((await response.json()) as object).toMatchObject({ routes: expect.arrayContaining(["POST /_cache/purge"]) });
  });
});

describe("POST /_cache/purge", () => {
  it("purges by tags, prefixes, keys and pattern, and reports each count", async () => {
    const { send } = testRuntime({ env: { CF_ZONE_ID: undefined, CF_API_TOKEN: undefined } });
    const a = echo({ cc: "public, max-age=600", tags: "purge-a" });
    const b = echo({ cc: "public, max-age=600", tags: "purge-b" });
    await send(a);
    await send(b);
    await send("/blog/hello-edge");
    await send("/blog/purge-by-tag");
    const response = await send("/_cache/purge", json({ tags: ["purge-a"], prefixes: ["/blog/"], keys: [b] }));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ purged: 4, tags: 1, prefixes: 2, keys: 1, pattern: 0, soft: false });
    for (const path of [a, b, "/blog/hello-edge", "/blog/purge-by-tag"]) expect((await send(path)).cacheStatus).toMatch(/fwd=miss/);

    const byPattern = await send("/_cache/purge", json({ pattern: "http://localhost/blog/*" }));
    expect(JSON.parse(byPattern.body)).toMatchObject({ purged: 2, pattern: 2 });
  });

  it("soft-purges: the old copy is served stale while one refresh runs", async () => {
    const { send } = testRuntime({ env: { CF_ZONE_ID: undefined, CF_API_TOKEN: undefined } });
    const path = echo({ cc: "public, max-age=600", tags: "soft-one" });
    const first = await send(path);
    const purge = await send("/_cache/purge", json({ tags: ["soft-one"], soft: true }));
    expect(JSON.parse(purge.body)).toMatchObject({ purged: 1, soft: true });
    const stale = await send(path);
    expect(stale.cacheStatus).toMatch(/detail=stale-while-revalidate$/);
    expect(stale.body).toBe(first.body);
    const fresh = await send(path);
    expect(fresh.body).not.toBe(first.body);
  });

  it.each([
    ["a body that is not JSON", "{oops", "body", /must be JSON/],
    ["an array body", [], "body", /JSON object/],
    ["nothing to purge", {}, "body", /nothing to purge/],
    ["an unknown field", { tag: ["x"] }, "tag", /unknown field "tag"/],
    ["tags that are not strings", { tags: [1] }, "tags", /tags\[0\] must be a non-empty string/],
    ["a tag with control characters", { tags: ["a\nb"] }, "tags", /control characters/],
    ["too many prefixes", { prefixes: Array.from({ length: 101 }, (_, i) => `/p${i}/`) }, "prefixes", /at most 100/],
    ["a non-boolean soft", { tags: ["x"], soft: "yes" }, "soft", /true or false/],
    ["an empty pattern", { pattern: "" }, "pattern", /glob string/],
    ["a malformed pattern", { pattern: "abc\\" }, "pattern", /lone/],
  ])("answers 400 naming the field for %s", async (_name, body, field, message) => {
    const response = await SELF.fetch("http://localhost/_cache/purge", {
      ...json(null),
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    expect(response.status).toBe(400);
    const answer = (await response.json()) as { error: string; field: string };
    expect(answer.field).toBe(field);
    expect(answer.error).toMatch(message);
  });

  it("refuses a body over 64 KiB with 413", async () => {
    const response = await SELF.fetch("http://localhost/_cache/purge", json({ tags: ["x".repeat(70_000)] }));
    expect(response.status).toBe(413);
  });

  it("forwards purges to the zone's Cloudflare cache in batches of 100, retrying 429s", async () => {
    await fetch(`${env.TEST_ZONE_API_URL}/__throttle?times=2`);
    const tags = Array.from({ length: 150 }, (_, i) => `zone-${i}`);
    const response = await SELF.fetch("http://localhost/_cache/purge", json({ tags, prefixes: ["/blog/"], keys: ["/about"], pattern: "*.png" }));
    const answer = (await response.json()) as { zone: { requests: number; retries: number; sent: Record<string, number>; errors: string[]; pattern: string } };
    expect(answer.zone).toMatchObject({ retries: 2, sent: { tags: 150, prefixes: 1, files: 1 }, errors: [] });
    expect(answer.zone.pattern).toMatch(/not forwarded/);
    const calls = (await zoneCalls()).filter((call) => call.status === 200);
    expect(calls.map((call) => Object.entries(call.body).map(([kind, items]) => `${kind}:${items.length}`)[0])).toEqual(["tags:100", "tags:50", "prefixes:1", "files:1"]);
    expect(calls[2]!.body.prefixes).toEqual(["localhost/blog/"]);
    expect(calls[3]!.body.files).toEqual(["http://localhost/about"]);
    expect(calls.every((call) => call.zone === "zone-test")).toBe(true);
  });

  it("reports a zone purge the API refused, without failing the edge purge", async () => {
    const { send } = testRuntime({ env: { CF_API_TOKEN: "revoked" } });
    const response = await send("/_cache/purge", json({ tags: ["x"] }));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body).zone.errors[0]).toMatch(/HTTP 403.*Authentication error/);
  });
});

describe("stats and warming", () => {
  it("reports the statistics and resets them", async () => {
    const { send } = testRuntime();
    const path = echo({ cc: "public, max-age=60" });
    await send(path);
    await send(path);
    const stats = JSON.parse((await send("/_cache/stats", { headers: { authorization: `Bearer ${TOKEN}` } })).body);
    expect(stats).toMatchObject({ hits: 1, misses: 1, hitRate: 0.5, store: "near cache + kv", scope: "isolate" });
    expect(stats.avgMissTimeMs).toBeGreaterThanOrEqual(0);
    const reset = JSON.parse((await send("/_cache/stats/reset", json(null))).body);
    expect(reset).toMatchObject({ hits: 0, misses: 0, hitRate: 0 });
  });

  it("warms the configured URLs on demand and reports their status", async () => {
    const { send } = testRuntime();
    const before = JSON.parse((await send("/_cache/warm", { headers: { authorization: `Bearer ${TOKEN}` } })).body);
    expect(before.tasks.map((task: { key: string; outcome: string }) => [task.key, task.outcome])).toEqual([
      ["http://localhost:8787/", "never"],
      ["http://localhost:8787/blog/hello-edge", "never"],
    ]);
    const ran = JSON.parse((await send("/_cache/warm", json({ key: "http://localhost:8787/blog/hello-edge" }))).body);
    expect(ran.ran).toEqual([expect.objectContaining({ key: "http://localhost:8787/blog/hello-edge", outcome: "ok", schedule: "*/5 * * * *" })]);
    const unknown = await send("/_cache/warm", json({ key: "http://localhost:8787/nope" }));
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).field).toBe("key");
    // The warmed entry is served as a hit, under its public URL.
    expect((await send("http://localhost:8787/blog/hello-edge")).cacheStatus).toMatch(/^edgecache; hit/);
  });
});

describe("cron triggers", () => {
  it("warms the tasks scheduled on the trigger's cron, keeping their status in KV", async () => {
    const controller = createScheduledController({ cron: "*/5 * * * *", scheduledTime: Date.now() });
    const ctx = createExecutionContext();
    await worker.scheduled(controller, env, ctx);
    await waitOnExecutionContext(ctx);
    const status = (await (await SELF.fetch("http://localhost/_cache/warm", { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { tasks: { outcome: string; lastRunAt: string | null }[] };
    expect(status.tasks.map((task) => task.outcome)).toEqual(["ok", "ok"]);
    expect(status.tasks.every((task) => task.lastRunAt !== null)).toBe(true);
    const home = await SELF.fetch("http://localhost:8787/");
    expect(home.headers.get("cache-status")).toMatch(/^edgecache; hit/);
  });

  it("runs cleanup on the cleanup schedule", async () => {
    const { runtime } = testRuntime();
    const report = await runtime.scheduled("0 * * * *");
    expect(report.cron).toBe("0 * * * *");
    expect(typeof report.cleaned).toBe("number");
    expect((await runtime.scheduled("*/5 * * * *")).cleaned).toBeUndefined();
  });
});

describe("configuration", () => {
  it("answers every request with a clear 500 when misconfigured", async () => {
    const response = await worker.fetch(new Request("http://localhost/"), { ...env, ORIGIN: "not a url" }, createExecutionContext());
    expect(response.status).toBe(500);
    expect(await response.text()).toMatch(/edgecache is misconfigured: ORIGIN must be an absolute http\(s\) URL; got "not a url"/);
    const noKv = await worker.fetch(new Request("http://localhost/"), { ...env, CACHE_KV: undefined } as never, createExecutionContext());
    expect(await noKv.text()).toMatch(/needs a KV namespace bound as CACHE_KV/);
  });
});
