/**
 * A stand-in for Cloudflare's purge API (POST /client/v4/zones/:zone/purge_cache) on loopback:
 * it checks what the real one checks (bearer token, one kind of item per request, at most 100
 * items), records every call, and can be told to answer 429 with Retry-After for a while.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface ZoneApiCall {
  zone: string;
  body: Record<string, string[]>;
  status: number;
}

export async function startZoneApi(token: string) {
  const calls: ZoneApiCall[] = [];
  let throttle = 0;
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://zone-api");
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { "content-type": "application/json", ...headers });
      response.end(JSON.stringify(body));
    };
    if (url.pathname === "/__calls") return json(200, calls);
    if (url.pathname === "/__reset") {
      calls.length = 0;
      throttle = 0;
      return json(200, {});
    }
    if (url.pathname === "/__throttle") {
      throttle = Number(url.searchParams.get("times") ?? 1);
      return json(200, {});
    }
    const zone = /^\/client\/v4\/zones\/([^/]+)\/purge_cache$/.exec(url.pathname)?.[1];
    if (zone === undefined || request.method !== "POST") return json(404, { success: false, errors: [{ code: 7003, message: "no route" }] });
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, string[]>;
    const record = (status: number) => calls.push({ zone, body, status });
    if (request.headers.authorization !== `Bearer ${token}`) {
      record(403);
      return json(403, { success: false, errors: [{ code: 10000, message: "Authentication error" }] });
    }
    if (throttle > 0) {
      throttle--;
      record(429);
      return json(429, { success: false, errors: [{ code: 971, message: "Please wait and consider throttling your request speed" }] }, { "retry-after": "0" });
    }
    const kinds = Object.keys(body);
    const items = kinds.length === 1 ? body[kinds[0]!]! : [];
    if (kinds.length !== 1 || !["files", "tags", "prefixes", "hosts"].includes(kinds[0]!) || items.length === 0 || items.length > 100) {
      record(400);
      return json(400, { success: false, errors: [{ code: 1012, message: "Request must contain one of files, tags, hosts or prefixes, with 1 to 100 items" }] });
    }
    if (kinds[0] === "prefixes" && items.some((prefix) => /^https?:/.test(prefix))) {
      record(400);
      return json(400, { success: false, errors: [{ code: 1015, message: "prefixes must not include a scheme" }] });
    }
    record(200);
    json(200, { success: true, errors: [], messages: [], result: { id: `purge-${calls.length}` } });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
