import { describe, expect, it } from "vitest";
import { createCache, HttpCache, MemoryStore } from "../../src/index.js";
import { manualClock } from "../support/clock.js";

/** An origin in process: a Vary'd page whose body counts the requests for each language. */
function varyingOrigin() {
  let requests = 0;
  const origin = async (request: Request) => {
    requests++;
    const language = request.headers.get("accept-language") ?? "default";
    return new Response(`${language} #${requests}`, { headers: { "cache-control": "public, max-age=60", vary: "Accept-Language" } });
  };
  return { origin, requests: () => requests };
}

describe("HttpCache variants", () => {
  it("never serves a variant from before its marker's generation", async () => {
    const clock = manualClock();
    const store = new MemoryStore();
    const cache = createCache({ store, clock: clock.now });
    const { origin } = varyingOrigin();
    const http = new HttpCache({ cache, origin });
    const url = "https://example.test/page";
    const fr = () => http.handle(new Request(url, { headers: { "accept-language": "fr" } })).then((r) => r.text());
    const first = await fr();
    expect(await fr()).toBe(first);
    // The marker alone goes (evicted, cleaned up), the fr variant stays in the store...
    await store.delete(url);
    expect(await http.purgeUrl(url)).toBe(0);
    // ...and a marker made afresh starts a new generation: the old variant is never served again.
    expect(await fr()).not.toBe(first);
  });

  it("keeps its variants when a marker is refreshed with the same headers", async () => {
    const clock = manualClock();
    const cache = createCache({ store: new MemoryStore(), clock: clock.now });
    const { origin, requests } = varyingOrigin();
    const http = new HttpCache({ cache, origin });
    const url = "https://example.test/page";
    const fr = () => http.handle(new Request(url, { headers: { "accept-language": "fr" } })).then((r) => r.text());
    await fr();
    const before = requests();
    clock.advance(61);
    await fr();
    // The marker and the fr variant were both stale: two refetches, and the marker kept its generation.
    expect(requests() - before).toBe(2);
    expect(await fr()).toMatch(/^fr #/);
    expect(requests() - before).toBe(2);
  });
});
