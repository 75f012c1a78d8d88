import { createExecutionContext, env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { createCache, MemoryStore } from "../../src/index.js";
import { KvStore } from "../../worker/kv-store.js";
import { FaultyStore } from "../support/faulty-store.js";
import { echo, originCount, originFail, testRuntime } from "./helpers.js";

const admin = { authorization: "Bearer test-admin-token", "content-type": "application/json" };
// workerd logs "Network connection lost" as an uncaught exception for any failed connection,
// even a bare fetch whose rejection is caught: expected noise from the origin-down tests.
afterEach(async () => {
  await fetch(`${env.TEST_ORIGIN_URL}/__test/reset`);
});

describe("freshness (RFC 9111 through http-cache-semantics)", () => {
  it("stores a cacheable response and serves it fresh, with an RFC 9211 Cache-Status", async () => {
    const { send } = testRuntime();
    const path = echo({ cc: "public, max-age=60" });
    const miss = await send(path);
    expect(miss.cacheStatus).toBe("edgecache; fwd=miss; stored");
    const hit = await send(path);
    expect(hit.cacheStatus).toBe("edgecache; hit; ttl=60");
    expect(hit.body).toBe(miss.body);
    expect(await originCount(path)).toBe(1);
  });

  it("honours s-maxage over max-age at the edge", async () => {
    const { send, clock } = testRuntime();
    const path = echo({ cc: "public, max-age=5, s-maxage=120" });
    await send(path);
    clock.advance(60);
    expect((await send(path)).cacheStatus).toBe("edgecache; hit; ttl=60");
  });

  it("lets CDN-Cache-Control decide at the edge while clients keep the origin's Cache-Control", async () => {
    const { send, clock } = testRuntime();
    const path = echo({ cc: "public, max-age=5", cdncc: "max-age=300" });
    await send(path);
    clock.advance(100);
    const hit = await send(path);
    expect(hit.cacheStatus).toMatch(/^edgecache; hit; ttl=200/);
    expect(hit.response.headers.get("cache-control")).toBe("public, max-age=5");
  });

  it("expires at max-age less the origin's Age, and sends a growing Age", async () => {
    const { send, clock } = testRuntime();
    const path = echo({ cc: "public, max-age=60", age: 50 });
    await send(path);
    clock.advance(5);
    const hit = await send(path);
    expect(hit.response.headers.get("age")).toBe("55");
    clock.advance(6);
    expect((await send(path)).cacheStatus).toBe("edgecache; fwd=miss; stored");
  });

  it("honours Expires when there is no max-age", async () => {
    const { send } = testRuntime();
    const future = echo({ expires: new Date(Date.now() + 3600_000).toUTCString() });
    await send(future);
    expect((await send(future)).cacheStatus).toMatch(/^edgecache; hit/);
    const past = echo({ expires: new Date(Date.now() - 3600_000).toUTCString() });
    expect((await send(past)).cacheStatus).toBe("edgecache; fwd=miss; detail=no-freshness");
    await send(past);
    expect(await originCount(past)).toBe(2);
  });

  it("never stores private, no-store or Set-Cookie responses", async () => {
    const { send } = testRuntime();
    for (const [params, reason] of [
      [{ cc: "private, max-age=60" }, "private"],
      [{ cc: "no-store" }, "no-store"],
      [{ cc: "public, max-age=60", cookie: 1 }, "set-cookie"],
    ] as const) {
      const path = echo(params);
      const first = await send(path);
      expect(first.cacheStatus).toBe(`edgecache; fwd=miss; detail=${reason}`);
      await send(path);
      expect(await originCount(path)).toBe(2);
    }
  });

  it("gives a Set-Cookie response only to the request that fetched it, never to one that waited on it", async () => {
    const { runtime } = testRuntime();
    const path = echo({ cc: "public, max-age=60", cookie: 1, delay: 150 });
    const responses = await Promise.all(Array.from({ length: 4 }, () => runtime.fetch(new Request(`http://localhost${path}`), env, createExecutionContext())));
    // Every request got its own origin response (and its own cookie): none was shared.
    expect(await originCount(path)).toBe(4);
    expect(responses.every((r) => r.headers.get("set-cookie")?.startsWith("session="))).toBe(true);
  });

  it("revalidates no-cache responses every time, reusing the body on a 304", async () => {
    const { send } = testRuntime();
    const path = echo({ cc: "no-cache", etag: '"v1"', body: "reused" });
    const first = await send(path);
    const second = await send(path);
    expect(second.cacheStatus).toBe("edgecache; fwd=stale; fwd-status=304; stored");
    expect(second.body).toBe(first.body);
    expect(await originCount(path)).toBe(2);
  });

  it("refreshes an expired entry with If-None-Match, and a 304 renews it", async () => {
    const { send, clock } = testRuntime();
    const path = echo({ cc: "public, max-age=10", etag: '"abc"' });
    const first = await send(path);
    clock.advance(11);
    const revalidated = await send(path);
    expect(revalidated.cacheStatus).toBe("edgecache; fwd=stale; fwd-status=304; stored");
    expect(revalidated.body).toBe(first.body);
    expect((await send(path)).cacheStatus).toBe("edgecache; hit; ttl=10");
  });

  it("revalidates with If-Modified-Since when there is only Last-Modified", async () => {
    const { send, clock } = testRuntime();
    const path = echo({ cc: "public, max-age=10", lm: new Date(Date.now() - 86_400_000).toUTCString(), headers: 1 });
    await send(path);
    clock.advance(11);
    const second = await send(path);
    // The origin echoes what it received: the conditional header the cache sent.
    expect(second.cacheStatus).toBe("edgecache; fwd=miss; stored");
    expect(JSON.parse(second.body)["if-modified-since"]).toBeDefined();
  });

  it("treats max-age=0 with stale-while-revalidate as stale at once, served while refreshing", async () => {
    const { send } = testRuntime();
    const path = echo({ cc: "public, max-age=0, stale-while-revalidate=60" });
    await send(path);
    const stale = await send(path);
    expect(stale.cacheStatus).toMatch(/^edgecache; hit; ttl=0; detail=stale-while-revalidate$/);
    expect(await originCount(path)).toBe(2);
  });
});

describe("stale-while-revalidate and stale-if-error", () => {
  it("serves a stale response at once and refreshes it through waitUntil", async () => {
    const { send, clock } = testRuntime();
    const path = echo({ cc: "public, max-age=10, stale-while-revalidate=60" });
    const first = await send(path);
    clock.advance(15);
    const stale = await send(path);
    expect(stale.cacheStatus).toBe("edgecache; hit; ttl=-5; detail=stale-while-revalidate");
    expect(stale.body).toBe(first.body);
    // The refresh ran inside waitOnExecutionContext: the next read is fresh, with the new body.
    expect(await originCount(path)).toBe(2);
    const fresh = await send(path);
    expect(fresh.cacheStatus).toBe("edgecache; hit; ttl=10");
    expect(fresh.body).not.toBe(first.body);
  });

  it("answers from a stale copy while the origin fails, within stale-if-error", async () => {
    const { send, clock } = testRuntime();
    const path = echo({ cc: "public, max-age=10, stale-if-error=600" });
    const first = await send(path);
    clock.advance(20);
    await originFail("/__test/echo", "500");
    const rescued = await send(path);
    expect(rescued.status).toBe(200);
    expect(rescued.cacheStatus).toBe("edgecache; hit; ttl=-10; detail=stale-if-error");
    expect(rescued.body).toBe(first.body);
    await originFail("/__test/echo", "close");
    expect((await send(path)).body).toBe(first.body);
  });

  it("never lets a purged copy stand in for a failing origin", async () => {
    const { send, clock } = testRuntime();
    const path = echo({ cc: "public, max-age=10, stale-if-error=600" });
    await send(path);
    clock.advance(20);
    // Past its freshness the copy is kept only for stale-if-error; a purge of the URL removes it all the same.
    const purge = await send("/_cache/purge", { method: "POST", headers: admin, body: JSON.stringify({ keys: [path] }) });
    expect(JSON.parse(purge.body).keys).toBe(0);
    await originFail("/__test/echo", "500");
    expect((await send(path)).status).toBe(503);
  });

  it("passes the origin's error through once stale-if-error has run out", async () => {
    const { send, clock } = testRuntime();
    const path = echo({ cc: "public, max-age=10, stale-if-error=60" });
    await send(path);
    clock.advance(100);
    await originFail("/__test/echo", "500");
    const failed = await send(path);
    expect(failed.status).toBe(503);
    expect(failed.cacheStatus).toBe("edgecache; fwd=miss; fwd-status=503; detail=origin-error");
  });

  it("answers 502 with a clear body when the origin cannot be reached, and counts the error", async () => {
    const { send, runtime } = testRuntime({ env: { ORIGIN: "http://127.0.0.1:9" } });
    const down = await send(echo({ cc: "public, max-age=60" }));
    expect(down.status).toBe(502);
    expect(down.body).toMatch(/^edgecache: the origin could not be reached .*no stale copy may stand in/);
    expect(down.cacheStatus).toBe("edgecache; fwd=miss; detail=origin-unreachable");
    expect(runtime.cache.stats().errors).toBe(1);
  });

  it("answers 504 when the origin is too slow", async () => {
    const { send } = testRuntime({ env: { ORIGIN_TIMEOUT_MS: "100" } });
    const slow = await send(echo({ cc: "public, max-age=60", delay: 1000 }));
    expect(slow.status).toBe(504);
    expect(slow.body).toMatch(/did not answer within 100 ms/);
  });
});

describe("coalescing, keys and variants", () => {
  it("makes one origin fetch for many concurrent misses of a URL", async () => {
    const { runtime } = testRuntime();
    const path = echo({ cc: "public, max-age=60", delay: 100 });
    const responses = await Promise.all(Array.from({ length: 50 }, () => runtime.fetch(new Request(`http://localhost${path}`), env, createExecutionContext())));
    const statuses = responses.map((r) => r.headers.get("cache-status"));
    expect(await originCount(path)).toBe(1);
    expect(statuses.filter((s) => s === "edgecache; fwd=miss; stored")).toHaveLength(1);
    expect(statuses.filter((s) => s === "edgecache; fwd=miss; stored; collapsed")).toHaveLength(49);
    expect(new Set(await Promise.all(responses.map((r) => r.text()))).size).toBe(1);
  });

  it("keys variants by the Vary'd request header, sending it to the origin only when keyed", async () => {
    const { send } = testRuntime();
    const path = echo({ cc: "public, max-age=60", vary: "Accept-Language" });
    const plain = await send(path, { headers: { "accept-language": "fr" } });
    // First sight: learned from a request sent without the header, then fetched for fr.
    expect(plain.body).toMatch(/lang=fr/);
    const english = await send(path, { headers: { "accept-language": "en" } });
    expect(english.body).toMatch(/lang=en/);
    expect(english.cacheStatus).toBe("edgecache; fwd=vary-miss; stored");
    expect((await send(path, { headers: { "accept-language": "fr" } })).cacheStatus).toMatch(/^edgecache; hit/);
    expect((await send(path, { headers: { "accept-language": "FR " } })).body).toBe(plain.body);
  });

  it("cannot be poisoned through headers it does not key on", async () => {
    const { send } = testRuntime();
    const path = echo({ cc: "public, max-age=60", headers: 1 });
    const attack = await send(path, { headers: { "x-forwarded-host": "evil.example", "x-original-url": "/admin", "accept-language": "xx" } });
    const seen = JSON.parse(attack.body) as Record<string, string>;
    expect(seen["x-forwarded-host"]).toBe("localhost");
    expect(seen["x-original-url"]).toBeUndefined();
    expect(seen["accept-language"]).toBeUndefined();
    const victim = await send(path);
    expect(victim.body).toBe(attack.body);
  });

  it("bypasses the cache for requests with Authorization or cookies, and for ranges", async () => {
    const { send } = testRuntime();
    const path = echo({ cc: "public, max-age=60" });
    const authorized = await send(path, { headers: { authorization: "Bearer user-token" } });
    expect(authorized.cacheStatus).toBe("edgecache; fwd=bypass; detail=authorization");
    expect((await send(path, { headers: { cookie: "session=1" } })).cacheStatus).toBe("edgecache; fwd=bypass; detail=cookie");
    expect((await send(path, { headers: { range: "bytes=0-1" } })).cacheStatus).toBe("edgecache; fwd=bypass; detail=range");
    // Nothing a bypassed request fetched was stored for others.
    expect((await send(path)).cacheStatus).toBe("edgecache; fwd=miss; stored");
  });

  it("answers HEAD from the GET entry, and fills it on a miss", async () => {
    const { send } = testRuntime();
    const path = echo({ cc: "public, max-age=60", body: "twelve bytes" });
    const head = await send(path, { method: "HEAD" });
    expect(head.body).toBe("");
    expect(head.cacheStatus).toBe("edgecache; fwd=miss; stored");
    const get = await send(path);
    expect(get.cacheStatus).toMatch(/^edgecache; hit/);
    expect(head.response.headers.get("content-length")).toBe(String(new TextEncoder().encode(get.body).byteLength));
    expect(await originCount(path)).toBe(1);
  });

  it("answers a matching If-None-Match from the cache with 304", async () => {
    const { send } = testRuntime();
    const path = echo({ cc: "public, max-age=60", etag: '"e1"' });
    await send(path);
    const conditional = await send(path, { headers: { "if-none-match": '"e1"' } });
    expect(conditional.status).toBe(304);
    expect(conditional.body).toBe("");
  });
});

describe("other methods, tags, policies and failures", () => {
  it("passes POST through and invalidates the URL it targeted", async () => {
    const { send } = testRuntime();
    const path = echo({ cc: "public, max-age=60" });
    await send(path);
    const post = await send(path, { method: "POST", body: "edit" });
    expect(post.cacheStatus).toBe("edgecache; fwd=method");
    expect((await send(path)).cacheStatus).toBe("edgecache; fwd=miss; stored");
    await send(path, { method: "DELETE" });
    expect((await send(path)).cacheStatus).toBe("edgecache; fwd=miss; stored");
  });

  it("purges every variant of a URL, through an unsafe method or the admin API", async () => {
    const { send } = testRuntime();
    const target = echo({ cc: "public, max-age=60", vary: "Accept-Language" });
    const fill = async () => {
      await send(target, { headers: { "accept-language": "fr" } });
      await send(target, { headers: { "accept-language": "de" } });
    };
    await fill();
    await send(target, { method: "PUT", body: "edit" });
    expect((await send(target, { headers: { "accept-language": "de" } })).cacheStatus).toMatch(/fwd=miss/);
    await fill();
    const purge = await send("/_cache/purge", { method: "POST", headers: admin, body: JSON.stringify({ keys: [target] }) });
    // The vary marker, the variant learned without the header, fr and de.
    expect(JSON.parse(purge.body)).toMatchObject({ purged: 4, keys: 4 });
  });

  it("invalidates a same-origin Location or Content-Location after an unsafe method, never another origin's", async () => {
    const { send } = testRuntime();
    const target = echo({ cc: "public, max-age=60" });
    await send(target);
    await send(echo({ location: `http://other.example${target}` }), { method: "POST" });
    expect((await send(target)).cacheStatus).toMatch(/^edgecache; hit/);
    await send(echo({ location: target }), { method: "POST" });
    expect((await send(target)).cacheStatus).toBe("edgecache; fwd=miss; stored");
  });

  it("takes tags from Cache-Tag, Surrogate-Key and content-type policies, and strips them from clients", async () => {
    const { send } = testRuntime();
    const tagged = echo({ cc: "public, max-age=60", tags: "alpha, beta", sk: "gamma delta" });
    const json = echo({ cc: "public, max-age=60", ctype: "application/json" });
    const first = await send(tagged);
    await send(json);
    expect(first.response.headers.get("cache-tag")).toBeNull();
    expect(first.response.headers.get("surrogate-key")).toBeNull();
    for (const [tag, path] of [["beta", tagged], ["delta", tagged], ["json", json]] as const) {
      const purge = await send("/_cache/purge", { method: "POST", headers: admin, body: JSON.stringify({ tags: [tag] }) });
      expect(JSON.parse(purge.body).tags).toBe(1);
      expect((await send(path)).cacheStatus).toBe("edgecache; fwd=miss; stored");
    }
  });

  it("does not store a response with more tags than one read can check", async () => {
    const { send } = testRuntime();
    const path = echo({ cc: "public, max-age=60", tags: Array.from({ length: 40 }, (_, i) => `t${i}`).join(",") });
    expect((await send(path)).cacheStatus).toBe("edgecache; fwd=miss; detail=too-many-tags");
  });

  it("answers from the origin when the store fails, and counts the error", async () => {
    const faulty = new FaultyStore(new KvStore({ namespace: env.CACHE_KV })).fail("get", new Error("KV is down"));
    const { send, runtime } = testRuntime({ store: faulty });
    const path = echo({ cc: "public, max-age=60" });
    const first = await send(path);
    expect(first.status).toBe(200);
    expect((await send(path)).status).toBe(200);
    expect(await originCount(path)).toBe(2);
    expect(runtime.cache.stats().errors).toBe(2);
  });

  it("applies a content-type policy's ttl and Cache-Control", async () => {
    const { send, clock } = testRuntime({ env: { POLICIES: JSON.stringify({ "text/csv": { ttl: 600, cacheControl: "public, max-age=30" } }) } });
    const path = echo({ cc: "public, max-age=5", ctype: "text/csv" });
    await send(path);
    clock.advance(300);
    const hit = await send(path);
    expect(hit.cacheStatus).toMatch(/^edgecache; hit; ttl=300/);
    expect(hit.response.headers.get("cache-control")).toBe("public, max-age=30");
  });

  it("works on every store kind", async () => {
    for (const STORE of ["kv", "cache-api", "tiered", "memory"]) {
      const { send } = testRuntime({ env: { STORE } });
      const path = echo({ cc: "public, max-age=60" });
      await send(path);
      expect((await send(path)).cacheStatus, STORE).toMatch(/^edgecache; hit/);
    }
    expect(createCache({ store: new MemoryStore() })).toBeDefined();
  });
});
