/**
 * The body of `POST /_cache/purge`, validated: `{ tags?, prefixes?, keys?, pattern?, soft? }`.
 * Prefixes and keys may be absolute URLs or paths (resolved against the admin request's own
 * origin, the site it was sent to); anything else is taken as a plain engine key.
 */
export interface PurgeRequest {
  tags: string[];
  prefixes: string[];
  keys: string[];
  pattern: string | undefined;
  soft: boolean;
}

export const PURGE_LIMITS = { tags: 1000, prefixes: 100, keys: 1000, itemLength: 8192, patternLength: 1024 } as const;

/** A purge request that cannot be carried out, and the field to fix. */
export class BadPurgeRequest extends Error {
  override readonly name = "BadPurgeRequest";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const FIELDS = new Set(["tags", "prefixes", "keys", "pattern", "soft"]);

export function parsePurgeRequest(body: unknown, site: URL): PurgeRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new BadPurgeRequest("body", 'the body must be a JSON object such as {"tags": ["blog"]}');
  }
  for (const field of Object.keys(body)) {
    if (!FIELDS.has(field)) throw new BadPurgeRequest(field, `unknown field "${field}"; use tags, prefixes, keys, pattern or soft`);
  }
  const fields = body as Record<string, unknown>;
  const request: PurgeRequest = {
    tags: list(fields.tags, "tags", PURGE_LIMITS.tags),
    prefixes: list(fields.prefixes, "prefixes", PURGE_LIMITS.prefixes).map((prefix) => resolve(prefix, site)),
    keys: list(fields.keys, "keys", PURGE_LIMITS.keys).map((key) => resolve(key, site)),
    pattern: undefined,
    soft: false,
  };
  if (fields.pattern !== undefined) {
    if (typeof fields.pattern !== "string" || fields.pattern === "" || fields.pattern.length > PURGE_LIMITS.patternLength) {
      throw new BadPurgeRequest("pattern", `pattern must be a glob string of 1 to ${PURGE_LIMITS.patternLength} characters, such as "https://example.com/blog/*"`);
    }
    request.pattern = fields.pattern;
  }
  if (fields.soft !== undefined) {
    if (typeof fields.soft !== "boolean") throw new BadPurgeRequest("soft", "soft must be true or false");
    request.soft = fields.soft;
  }
  if (request.tags.length + request.prefixes.length + request.keys.length === 0 && request.pattern === undefined) {
    throw new BadPurgeRequest("body", "nothing to purge: give tags, prefixes, keys or a pattern");
  }
  return request;
}

function list(value: unknown, field: string, max: number): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new BadPurgeRequest(field, `${field} must be an array of strings`);
  if (value.length > max) throw new BadPurgeRequest(field, `${field} may list at most ${max} items per request; got ${value.length}`);
  value.forEach((item, i) => {
    if (typeof item !== "string" || item.length === 0 || item.length > PURGE_LIMITS.itemLength) {
      throw new BadPurgeRequest(field, `${field}[${i}] must be a non-empty string of at most ${PURGE_LIMITS.itemLength} characters`);
    }
  });
  return [...new Set(value as string[])];
}

/** Paths and absolute URLs become absolute URLs (cache keys); other strings stay plain keys. */
function resolve(item: string, site: URL): string {
  if (item.startsWith("/")) return new URL(item, site.origin).href;
  if (/^https?:\/\//i.test(item)) return new URL(item).href;
  return item;
}
