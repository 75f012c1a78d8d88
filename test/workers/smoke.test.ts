import { env, SELF } from "cloudflare:test";
import { expect, it } from "vitest";

it("proxies a miss to the origin and answers the second request from KV", async () => {
  const url = `http://localhost/__test/echo?cc=public,s-maxage=60&tags=smoke&body=smoke-${crypto.randomUUID()}`;
  const first = await SELF.fetch(url);
  expect(first.status).toBe(200);
  expect(first.headers.get("cache-status")).toBe("edgecache; fwd=miss; stored");
  const body = await first.text();
  const second = await SELF.fetch(url);
  expect(second.headers.get("cache-status")).toMatch(/^edgecache; hit; ttl=\d+/);
  expect(await second.text()).toBe(body);
  const count = (await (await fetch(`${env.TEST_ORIGIN_URL}/__test/count?path=${encodeURIComponent(new URL(url).pathname + new URL(url).search)}`)).json()) as { count: number };
  expect(count.count).toBe(1);
});
