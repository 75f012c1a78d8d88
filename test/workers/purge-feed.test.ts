import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { FeedPage } from "../../worker/purge-feed.js";
import { echo, testRuntime } from "./helpers.js";

const admin = { authorization: "Bearer test-admin-token", "content-type": "application/json" };

describe("the purge feed for browser caches", () => {
  it("publishes admin purges and unsafe-method invalidations, after a given time", async () => {
    const { send, clock } = testRuntime();
    const start = clock.now();
    clock.advance(1);
    const path = echo({ cc: "public, max-age=60" });
    await send(path);
    await send("/_cache/purge", { method: "POST", headers: admin, body: JSON.stringify({ tags: ["feed-tag"], prefixes: ["/feed/"], soft: true }) });
    clock.advance(1);
    await send(path, { method: "POST", body: "edit" });
    const page = JSON.parse((await send(`/.well-known/edgecache/purges?since=${start}`)).body) as FeedPage;
    const mine = page.purges.filter((purge) => purge.at > start);
    expect(mine).toEqual([
      { at: start + 1000, tags: ["feed-tag"], prefixes: ["http://localhost/feed/"], soft: true },
      { at: start + 2000, keys: [`http://localhost${path}`], soft: false },
    ]);
    expect(page.oldest).toBe(page.now - 7 * 24 * 3600 * 1000);
    const later = JSON.parse((await send(`/.well-known/edgecache/purges?since=${start + 1500}`)).body) as FeedPage;
    expect(later.purges.filter((purge) => purge.at > start).map((purge) => purge.at)).toEqual([start + 2000]);
  });

  it("reports a purge it could not publish, without failing the purge", async () => {
    const failingFeed = new Proxy(env.CACHE_KV, {
      get(target, property) {
        const value = Reflect.get(target, property) as (...args: unknown[]) => unknown;
        if (property !== "put") return value.bind(target);
        return (key: string, ...rest: unknown[]) => (key.startsWith("ec:feed:") ? Promise.reject(new Error("KV PUT failed: 429")) : value.call(target, key, ...rest));
      },
    });
    const { send } = testRuntime({ env: { CACHE_KV: failingFeed } });
    const path = echo({ cc: "public, max-age=60", tags: "unpublished" });
    await send(path);
    const purge = await send("/_cache/purge", { method: "POST", headers: admin, body: JSON.stringify({ tags: ["unpublished"] }) });
    expect(purge.status).toBe(200);
    expect(JSON.parse(purge.body)).toMatchObject({ purged: 1, feed: "not published to browsers: KV PUT failed: 429" });
  });

  it("is public, cacheable for a few seconds, and checks its input", async () => {
    const { send } = testRuntime();
    const ok = await send("/.well-known/edgecache/purges?since=0");
    expect(ok.status).toBe(200);
    expect(ok.response.headers.get("cache-control")).toBe("public, max-age=5");
    const bad = await send("/.well-known/edgecache/purges?since=yesterday");
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).field).toBe("since");
  });

  it("tells clients a response's tags in Edgecache-Tag, while Cache-Tag stays internal", async () => {
    const { send } = testRuntime();
    const first = await send(echo({ cc: "public, max-age=60", tags: "a,b", sk: "c" }));
    expect(first.response.headers.get("edgecache-tag")).toBe("a,b,c");
    expect(first.response.headers.get("cache-tag")).toBeNull();
  });
});
