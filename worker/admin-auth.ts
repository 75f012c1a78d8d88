import type { MiddlewareHandler } from "hono";

const encoder = new TextEncoder();

/**
 * Bearer-token guard for the admin API. No token configured: the API is off (403, saying how to
 * turn it on). A missing or wrong token: 401. Tokens are compared as SHA-256 digests in constant
 * time, so neither their content nor their length leaks through timing.
 */
export const adminAuth = (token: string | undefined): MiddlewareHandler => {
  const expected = token === undefined ? undefined : digest(token);
  return async function adminAuth(c, next) {
    if (expected === undefined) {
      return c.json({ error: "the admin API is off: set the ADMIN_TOKEN secret to turn it on (wrangler secret put ADMIN_TOKEN, or --var ADMIN_TOKEN:… with wrangler dev)" }, 403);
    }
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1];
    if (presented === undefined || !crypto.subtle.timingSafeEqual(await digest(presented), await expected)) {
      c.header("www-authenticate", 'Bearer realm="edgecache admin"');
      return c.json({ error: presented === undefined ? "missing token: send Authorization: Bearer <ADMIN_TOKEN>" : "wrong token" }, 401);
    }
    await next();
  };
};

async function digest(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(text));
}
