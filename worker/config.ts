import type { ContentPolicy } from "../src/index.js";

/** The Worker's bindings and variables (wrangler.toml [vars], secrets, [[kv_namespaces]]). */
export interface Env {
  /** Where cache misses go: an absolute http(s) URL. */
  ORIGIN?: string;
  /** The site's public URL, to resolve relative warming URLs (cron triggers carry no request). */
  SITE_URL?: string;
  /** Secret: turns the admin API on. `wrangler secret put ADMIN_TOKEN`. */
  ADMIN_TOKEN?: string;
  CACHE_KV?: KVNamespace;
  /** "kv" (default), "cache-api", "tiered" (Cache API in front of KV) or "memory" (per isolate). */
  STORE?: string;
  /** Content-type policies: { "text/html": { "ttl": 60, "swr": 300, "tags": ["html"] }, ... } (object or JSON). */
  POLICIES?: string | Record<string, ContentPolicy>;
  /** Warming tasks: [{ "url": "/", "schedule": "*\/5 * * * *" }, { "key": "config", "url": "/api/config", "ttl": 300 }]. */
  WARMING?: string | WarmingConfig[];
  /** The cron that also runs cleanup. Default "0 * * * *". */
  CLEANUP_SCHEDULE?: string;
  /** Request headers sent to the origin on cacheable requests, comma-separated (they become part of no key: use with care). */
  FORWARD_HEADERS?: string;
  /** Milliseconds to wait for the origin before answering 504. Default 30000. */
  ORIGIN_TIMEOUT_MS?: string;
  /**
   * Milliseconds an isolate serves a hot entry from its own memory before reading KV again
   * (entry and purge stamps). Purges from elsewhere reach the isolate within this time. 0 turns
   * the near cache off (every hit reads KV). Default 1000.
   */
  NEAR_CACHE_MS?: string;
  /** With CF_API_TOKEN: purges are also forwarded to this zone's Cloudflare cache. */
  CF_ZONE_ID?: string;
  CF_API_TOKEN?: string;
  CF_API_BASE?: string;
}

export interface WarmingConfig {
  /** The URL to keep warm (relative to SITE_URL, or absolute). */
  url: string;
  /** Store the origin's body under this plain key instead of as the URL's HTTP entry. */
  key?: string;
  schedule?: string;
  ttl?: number;
  swr?: number;
  staleIfError?: number;
  tags?: string[];
}

export type StoreKind = "kv" | "cache-api" | "tiered" | "memory";

export interface EdgeConfig {
  origin: URL;
  siteUrl: URL | undefined;
  adminToken: string | undefined;
  store: StoreKind;
  policies: Record<string, ContentPolicy>;
  warming: WarmingConfig[];
  cleanupSchedule: string;
  forwardHeaders: string[];
  originTimeoutMs: number;
  nearCacheMs: number;
  zone: { zoneId: string; apiToken: string; apiBase: string } | undefined;
}

/** A configuration mistake, reported on every request until fixed (and at each cron trigger). */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const STORES: readonly StoreKind[] = ["kv", "cache-api", "tiered", "memory"];

export function readConfig(env: Env): EdgeConfig {
  const origin = absoluteUrl(env.ORIGIN, "ORIGIN", 'set it in wrangler.toml [vars], e.g. ORIGIN = "https://origin.example.com"');
  const siteUrl = env.SITE_URL === undefined ? undefined : absoluteUrl(env.SITE_URL, "SITE_URL", "e.g. https://www.example.com");
  const store = (env.STORE ?? "kv") as StoreKind;
  if (!STORES.includes(store)) throw new ConfigError(`STORE must be one of ${STORES.join(", ")}; got "${env.STORE}"`);
  if (store !== "memory" && typeof env.CACHE_KV?.get !== "function") {
    throw new ConfigError(`STORE "${store}" needs a KV namespace bound as CACHE_KV: add [[kv_namespaces]] binding = "CACHE_KV" to wrangler.toml`);
  }
  const policies = json<Record<string, ContentPolicy>>(env.POLICIES, "POLICIES", {});
  if (typeof policies !== "object" || policies === null || Array.isArray(policies)) {
    throw new ConfigError('POLICIES must be an object keyed by content type, e.g. { "text/html": { "ttl": 60 } }');
  }
  const warming = json<WarmingConfig[]>(env.WARMING, "WARMING", []);
  if (!Array.isArray(warming)) throw new ConfigError('WARMING must be an array, e.g. [{ "url": "/", "schedule": "*/5 * * * *" }]');
  warming.forEach((task, i) => {
    if (typeof task?.url !== "string") throw new ConfigError(`WARMING[${i}].url must be a string (a path such as "/" or an absolute URL)`);
    if (task.url.startsWith("/") && siteUrl === undefined && task.key === undefined) {
      throw new ConfigError(`WARMING[${i}].url "${task.url}" is relative: set SITE_URL so the cron trigger knows which host's entry to warm`);
    }
    if (task.key !== undefined && (typeof task.key !== "string" || task.key === "")) throw new ConfigError(`WARMING[${i}].key must be a non-empty string`);
  });
  const zone = env.CF_ZONE_ID && env.CF_API_TOKEN
    ? { zoneId: env.CF_ZONE_ID, apiToken: env.CF_API_TOKEN, apiBase: env.CF_API_BASE ?? "https://api.cloudflare.com/client/v4" }
    : undefined;
  if ((env.CF_ZONE_ID === undefined) !== (env.CF_API_TOKEN === undefined)) {
    throw new ConfigError("zone purge needs both CF_ZONE_ID and the CF_API_TOKEN secret (or neither)");
  }
  return {
    origin,
    siteUrl,
    adminToken: env.ADMIN_TOKEN === "" ? undefined : env.ADMIN_TOKEN,
    store,
    policies,
    warming,
    cleanupSchedule: env.CLEANUP_SCHEDULE ?? "0 * * * *",
    forwardHeaders: (env.FORWARD_HEADERS ?? "").split(",").map((header) => header.trim()).filter(Boolean),
    originTimeoutMs: positiveNumber(env.ORIGIN_TIMEOUT_MS, "ORIGIN_TIMEOUT_MS", 30_000),
    nearCacheMs: env.NEAR_CACHE_MS === "0" ? 0 : positiveNumber(env.NEAR_CACHE_MS, "NEAR_CACHE_MS", 1000),
    zone,
  };
}

function positiveNumber(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const number = Number(value);
  if (!(number > 0)) throw new ConfigError(`${name} must be a positive number, got "${value}"`);
  return number;
}

function absoluteUrl(value: string | undefined, name: string, hint: string): URL {
  if (value === undefined || value === "") throw new ConfigError(`${name} is not set; ${hint}`);
  try {
    const url = new URL(value);
    if (url.protocol === "http:" || url.protocol === "https:") return url;
  } catch {
    // reported below
  }
  throw new ConfigError(`${name} must be an absolute http(s) URL; got "${value}" (${hint})`);
}

function json<T>(value: string | T | undefined, name: string, fallback: T): T {
  if (value === undefined || value === "") return fallback;
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value) as T;
  } catch (error) {
    throw new ConfigError(`${name} is not valid JSON: ${(error as Error).message}`);
  }
}
