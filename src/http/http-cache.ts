import CachePolicy from "http-cache-semantics";
import type { Cache, GenerateContext, SwrResult } from "../cache.js";
import { EdgecacheError } from "../errors.js";
import { describe, type EntryOptions, type WaitUntil } from "../options.js";
import type { WarmingTask } from "../warming.js";
import { type Directives, parseCacheControl, seconds } from "./cache-control.js";
import { type CacheStatus, formatCacheStatus } from "./cache-status.js";
import { responseTags, TAG_HEADERS } from "./response-tags.js";
import type { StoredEntry } from "../entry.js";
import {
  allowsBody,
  type CachedValue,
  clockedPolicyClass,
  type GeneratedValue,
  type HeaderRecord,
  headerRecord,
  type PassThrough,
  type StoredResponse,
  variantKey,
  type VaryMarker,
} from "./stored-response.js";

export interface HttpCacheOptions {
  /** The engine that keeps the responses. */
  cache: Cache;
  /** Sends a request to the origin (the request keeps its public URL; map it to the origin here). */
  origin: (request: Request) => Promise<Response>;
  /** A shared cache (the edge: `s-maxage` counts, `private` is never stored) or a single user's (a browser). Default true. */
  shared?: boolean;
  /** Store `private` responses. Only a single-user cache may, and only when asked. Default false. */
  storePrivate?: boolean;
  /** The cache's name in Cache-Status. Default "edgecache". */
  name?: string;
  /**
   * Request headers sent to the origin on cacheable requests besides those the cache keys on
   * (Vary, policies' varyOn). Any header sent but not keyed could poison the cache, so the
   * default is none.
   */
  forwardHeaders?: readonly string[];
  /** Requests with cookies bypass a shared cache (never looked up, never stored). Default true. */
  bypassCookies?: boolean;
  /** Largest body stored, in bytes; larger responses stream through. Default 20 MiB. */
  maxBodyBytes?: number;
  /** Remove Cache-Tag and Surrogate-Key from what clients see. Default: true for a shared cache. */
  stripTagHeaders?: boolean;
  /** Milliseconds to wait for the origin before answering 504. Default 30,000. */
  originTimeoutMs?: number;
  /** Vary'd headers not keyed on. Default ["accept-encoding"]: the body is stored decoded and encoding is per hop. */
  ignoreVary?: readonly string[];
  /**
   * Seconds a stored response may stand in for a failing origin (or no network) at least, when
   * it says less itself; never for must-revalidate, no-cache or no-store responses. An offline-
   * capable browser cache wants days; a shared cache should follow the origin. Default 0.
   */
  minStaleIfError?: number;
  /** Send a response's purge tags to clients in this header (e.g. "edgecache-tag"), so a browser cache can honour tag purges. Default: not sent. */
  tagsHeader?: string;
  /** Told of the URLs an unsafe method invalidated (to publish them, e.g. to browsers). */
  onInvalidate?: (urls: string[]) => Promise<void>;
  /**
   * When the origin cannot be reached (or times out) and no stored copy may stand in: "respond"
   * with a 502 or 504 that says so (a proxy), or "throw" the network error (a service worker,
   * whose page then sees a network error, as it would without it). Default "respond".
   */
  networkErrors?: "respond" | "throw";
}

export interface WarmingOverrides extends EntryOptions {
  schedule?: string;
}

export interface HandleOptions {
  /** Keeps refreshes and writes alive after the response (a Worker's ctx.waitUntil, a FetchEvent's waitUntil). */
  waitUntil?: WaitUntil;
  /** The origin for this request and the refresh it may start (a Workbox StrategyHandler's fetch, with its plugins). */
  origin?: (request: Request) => Promise<Response>;
}

const DEFAULTS = {
  networkErrors: "respond" as "respond" | "throw",
  minStaleIfError: 0,
  shared: true,
  storePrivate: false,
  name: "edgecache",
  forwardHeaders: [] as readonly string[],
  bypassCookies: true,
  maxBodyBytes: 20 * 1024 * 1024,
  originTimeoutMs: 30_000,
  ignoreVary: ["accept-encoding"] as readonly string[],
};

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** Stored headers that describe the bytes as received, not the decoded body that is kept. */
const ENCODING_HEADERS = ["content-encoding", "content-length", "transfer-encoding"];

/**
 * The origin answered with a server error: stale-if-error may stand in, else it goes to the
 * client. The body is buffered because every request that joined the generation answers with it.
 */
export class OriginError extends Error {
  override readonly name = "OriginError";
  constructor(
    readonly status: number,
    readonly statusText: string,
    readonly headers: Headers,
    readonly body: ArrayBuffer,
  ) {
    super(`the origin answered ${status} ${statusText}`.trim());
  }

  static async from(response: Response): Promise<OriginError> {
    return new OriginError(response.status, response.statusText, new Headers(response.headers), await response.arrayBuffer());
  }

  toResponse(): Response {
    return new Response(this.body, { status: this.status, statusText: this.statusText, headers: this.headers });
  }
}

interface Found {
  readonly value: StoredResponse | PassThrough;
  readonly outcome: SwrResult<unknown>["outcome"];
  readonly varyMiss: boolean;
}

/** What this request's own generation did, if it ran one (a request that joined another's did not). */
interface Exchange {
  initiated: boolean;
  /** This request's origin, when it brings its own. */
  origin?: ((request: Request) => Promise<Response>) | undefined;
  /** The origin's answer to a revalidation: 304 when the stored body was reused. */
  revalidatedStatus?: number;
}

/**
 * An RFC 9111 HTTP cache over the engine, shared by the Workers proxy and the service worker.
 * Freshness, storability and revalidation come from http-cache-semantics; the engine adds
 * stale-while-revalidate through waitUntil, stale-if-error, coalescing and purges by tag.
 *
 * Keys are absolute request URLs. A URL whose responses vary keeps a marker with the varying
 * request headers, and each variant lives at `url#header=value&...`, so a purge of the URL can
 * drop every variant with one boundary-prefix purge of `url#`.
 */
export class HttpCache {
  readonly #cache: Cache;
  readonly #origin: (request: Request) => Promise<Response>;
  readonly #settings: typeof DEFAULTS & { stripTagHeaders: boolean; tagsHeader?: string; onInvalidate?: (urls: string[]) => Promise<void> };
  readonly #Policy: typeof CachePolicy;

  constructor(options: HttpCacheOptions) {
    if (typeof options?.origin !== "function") {
      throw new EdgecacheError("INVALID_OPTION", "HttpCache: origin must be a function (request) => Promise<Response>");
    }
    if (typeof options.cache?.getWithSwr !== "function") {
      throw new EdgecacheError("INVALID_OPTION", "HttpCache: cache must be a Cache from createCache()");
    }
    const settings = { ...DEFAULTS, ...withoutUndefined(options) };
    if (!(typeof settings.minStaleIfError === "number" && settings.minStaleIfError >= 0)) {
      throw new EdgecacheError("INVALID_OPTION", `HttpCache: minStaleIfError must be a number of seconds ≥ 0, got ${describe(settings.minStaleIfError)}`);
    }
    for (const name of ["maxBodyBytes", "originTimeoutMs"] as const) {
      if (!(typeof settings[name] === "number" && settings[name] > 0)) {
        throw new EdgecacheError("INVALID_OPTION", `HttpCache: ${name} must be a positive number, got ${describe(settings[name])}`);
      }
    }
    this.#cache = options.cache;
    this.#origin = options.origin;
    this.#settings = {
      ...settings,
      forwardHeaders: settings.forwardHeaders.map((header) => header.toLowerCase()),
      ignoreVary: settings.ignoreVary.map((header) => header.toLowerCase()),
      stripTagHeaders: options.stripTagHeaders ?? settings.shared,
    };
    this.#Policy = clockedPolicyClass(options.cache.clock);
  }

  /** Answers a request from the cache or the origin; every response carries Cache-Status. */
  async handle(request: Request, options: HandleOptions = {}): Promise<Response> {
    const method = request.method.toUpperCase();
    if (method !== "GET" && method !== "HEAD") return this.#forwardMethod(request, method, options);
    const bypass = this.#bypassReason(request);
    if (bypass !== undefined) return this.#forward(request, { fwd: "bypass", detail: bypass }, options.origin);

    const key = cacheKey(request.url);
    const exchange: Exchange = { initiated: false, origin: options.origin };
    let found: Found;
    try {
      found = await this.#lookup(key, request, options, exchange);
    } catch (error) {
      return this.#originFailure(error);
    }
    const { value: stored, outcome } = found;
    const initiated = exchange.initiated;
    if (stored.kind === "pass") {
      // Only the request that fetched it may have it; a request that joined fetches its own.
      if (initiated) return this.#withStatus(stored.response, { fwd: "miss", detail: stored.reason });
      return this.#forward(request, { fwd: "miss", detail: stored.reason }, options.origin);
    }
    const head = method === "HEAD";
    const now = this.#cache.clock();
    const ttl = (stored.receivedAt + stored.freshFor * 1000 - now) / 1000;
    switch (outcome) {
      case "hit":
        return this.#respond(stored, request, head, { hit: true, ttl });
      case "stale":
        return this.#respond(stored, request, head, { hit: true, ttl, detail: "stale-while-revalidate" });
      case "stale-if-error":
        return this.#respond(stored, request, head, { hit: true, ttl, detail: "stale-if-error" });
      case "miss":
        if (exchange.revalidatedStatus !== undefined) {
          return this.#respond(stored, request, head, { fwd: "stale", fwdStatus: exchange.revalidatedStatus, stored: true });
        }
        return this.#respond(stored, request, head, {
          fwd: found.varyMiss ? "vary-miss" : "miss",
          stored: true,
          ...(initiated ? {} : { collapsed: true }),
        });
    }
  }

  /**
   * A warming task that keeps a URL's entry fresh: `warm()` and its schedule refetch it from the
   * origin. Lifetime and tags come from the response, unless given here.
   */
  warmingTask(url: string, options: WarmingOverrides = {}): WarmingTask<GeneratedValue> {
    const key = cacheKey(url);
    return {
      key,
      ...(options.schedule === undefined ? {} : { schedule: options.schedule }),
      generator: async (context) => {
        const value = await this.#generate(context, key, key, new Request(key), []);
        if (value.kind === "pass") {
          await value.response.body?.cancel();
          throw new Error(`${key} cannot be cached (${value.reason}), so it cannot be warmed`);
        }
        for (const name of ["ttl", "swr", "staleIfError"] as const) if (options[name] !== undefined) context.options[name] = options[name];
        if (options.tags !== undefined) context.options.tags = [...new Set([...(context.options.tags ?? []), ...options.tags])];
        return value;
      },
    };
  }

  /** Purges a URL and all its variants; returns how many entries were live. */
  async purgeUrl(url: string, options: { soft?: boolean; waitUntil?: WaitUntil } = {}): Promise<number> {
    const key = cacheKey(url);
    // What is stored in any state counts (a copy kept only for stale-if-error must go too); a URL
    // holding nothing costs no write (a KV key takes about one write a second). Variants are
    // reachable only through their marker's generation, so without a marker there are none.
    const stored = (await this.#cache.store.get(this.#cache.prefix + key)) as StoredEntry<CachedValue> | undefined;
    if (stored === undefined) return 0;
    const count = await this.#cache.invalidateKeys([key], options);
    return stored.value.kind === "vary" ? count + (await this.#cache.invalidatePrefix(key + "#", options)) : count;
  }

  async #lookup(key: string, request: Request, options: HandleOptions, exchange: Exchange): Promise<Found> {
    const call = options.waitUntil === undefined ? {} : { waitUntil: options.waitUntil };
    const primary = await this.#cache.getWithSwr<GeneratedValue>(
      key,
      (context) => {
        exchange.initiated = true;
        return this.#generate(context, key, key, request, [], exchange);
      },
      call,
    );
    const value = primary.value;
    if (value.kind !== "vary") return { value, outcome: primary.outcome, varyMiss: false };

    const variant = await this.#cache.getWithSwr<GeneratedValue>(
      variantKey(key, value, request.headers),
      (context) => {
        exchange.initiated = true;
        return this.#generate(context, key, variantKey(key, value, request.headers), request, value.vary, exchange);
      },
      call,
    );
    if (variant.value.kind === "vary") throw new Error(`a variant of ${key} was stored as a vary marker`);
    const outcome = primary.outcome === "miss" ? "miss" : variant.outcome;
    return { value: variant.value, outcome, varyMiss: outcome === "miss" && primary.outcome !== "miss" };
  }

  /**
   * One generation of a key: fetch (revalidating a previous response if there is one), decide
   * what may be stored, and for how long. `vary` is the set already known to key this URL on
   * (empty for the URL itself).
   */
  async #generate(
    context: GenerateContext<GeneratedValue>,
    urlKey: string,
    key: string,
    request: Request,
    vary: readonly string[],
    exchange: Exchange = { initiated: true },
  ): Promise<GeneratedValue> {
    const previous = context.stale?.kind === "response" ? context.stale : undefined;
    const forwarded = this.#forwardedHeaders(request, vary);
    const asked = { url: key, method: "GET", headers: { ...forwarded, host: new URL(request.url).host } };
    let response: Response;
    if (previous !== undefined) {
      const previousPolicy = this.#Policy.fromObject(previous.policy);
      const conditional = previousPolicy.revalidationHeaders(asked) as HeaderRecord;
      delete conditional.host;
      response = await this.#fetchOrigin(request.url, conditional, exchange.origin);
      if (response.status === 304) {
        const update = { status: 304, headers: this.#decisionHeaders(response.headers) };
        const revalidated = previousPolicy.revalidatedPolicy(asked, update);
        if (!revalidated.modified) {
          exchange.revalidatedStatus = 304;
          const clientCacheControl = response.headers.get("cache-control") ?? previous.clientCacheControl;
          return this.#describe(context, urlKey, vary, revalidated.policy, previous.status, previous.statusText, previous.body, forwarded, clientCacheControl);
        }
        response = await this.#fetchOrigin(request.url, forwarded, exchange.origin);
      }
    } else {
      response = await this.#fetchOrigin(request.url, forwarded, exchange.origin);
    }
    if (response.status >= 500) throw await OriginError.from(response);

    const decision = this.#decisionHeaders(response.headers);
    const policy = new this.#Policy(asked, { status: response.status, headers: decision }, { shared: this.#settings.shared });
    const refusal = this.#refusal(policy, response.headers, decision);
    if (refusal !== undefined) return this.#pass(context, response, refusal);
    const length = Number(response.headers.get("content-length") ?? NaN);
    if (length > this.#settings.maxBodyBytes) return this.#pass(context, response, "too-large");
    const body = new Uint8Array(await response.arrayBuffer());
    if (body.byteLength > this.#settings.maxBodyBytes) {
      return this.#pass(context, new Response(body, response), "too-large");
    }
    const clientCacheControl = response.headers.get("cache-control");
    return this.#describe(context, urlKey, vary, policy, response.status, response.statusText, body, forwarded, clientCacheControl);
  }

  /** Why a response may not be stored, or undefined if it may. */
  #refusal(policy: CachePolicy, headers: Headers, decision: HeaderRecord): string | undefined {
    const directives = parseCacheControl(decision["cache-control"]);
    if (directives.has("no-store")) return "no-store";
    if (directives.has("private") && (this.#settings.shared || !this.#settings.storePrivate)) return "private";
    if (this.#settings.shared && headers.has("set-cookie")) return "set-cookie";
    if ((headers.get("vary") ?? "").trim() === "*") return "vary-star";
    if (!policy.storable()) return "not-storable";
    return undefined;
  }

  /** Turns an accepted exchange into a stored response (or a vary marker) and its lifetime. */
  async #describe(
    context: GenerateContext<GeneratedValue>,
    urlKey: string,
    vary: readonly string[],
    policy: CachePolicy,
    status: number,
    statusText: string,
    body: Uint8Array<ArrayBuffer>,
    forwarded: HeaderRecord,
    originCacheControl: string | null,
  ): Promise<GeneratedValue> {
    const headers = new Headers(policy.responseHeaders() as HeaderRecord);
    // The policy's headers are the ones decided by (CDN-Cache-Control already in place).
    const directives = parseCacheControl(headers.get("cache-control"));
    const contentPolicy = this.#cache.policyForContentType(headers.get("content-type"));
    const lifetime = this.#lifetime(policy, directives, contentPolicy);
    const tags = [...new Set([...responseTags(headers), ...(contentPolicy?.tags ?? [])])];
    const validators = headers.has("etag") || headers.has("last-modified");
    if (lifetime.ttl === 0 && lifetime.swr === 0 && lifetime.staleIfError === 0 && !validators) {
      return this.#pass(context, new Response(allowsBody(status) ? body : null, { status, statusText, headers }), "no-freshness");
    }
    if (tags.length > this.#cache.store.limits.maxTagsPerEntry) {
      return this.#pass(context, new Response(allowsBody(status) ? body : null, { status, statusText, headers }), "too-many-tags");
    }

    const policyObject = policy.toObject();
    // The body is kept decoded: drop what described its encoding on the wire.
    for (const name of ENCODING_HEADERS) delete policyObject.resh[name];
    const stored: StoredResponse = {
      kind: "response",
      status,
      statusText,
      policy: policyObject,
      body,
      receivedAt: this.#cache.clock(),
      freshFor: lifetime.ttl,
      clientCacheControl: contentPolicy?.cacheControlGiven ? contentPolicy.cacheControl : originCacheControl,
    };
    Object.assign(context.options, { ...lifetime, tags });

    const varyOn = [...new Set([...this.#varyHeaders(headers), ...(contentPolicy?.varyOn ?? [])])].sort();
    if (vary.length === 0 && varyOn.length > 0) {
      // The URL varies: this response is the variant for the header values that were sent (none,
      // unless configured), and the URL itself keeps the marker. A marker refreshed with the same
      // headers keeps its generation; one made afresh starts a new one.
      const previous = context.stale?.kind === "vary" && context.stale.vary.join() === varyOn.join() ? context.stale.generation : undefined;
      const marker: VaryMarker = { kind: "vary", vary: varyOn, generation: previous ?? Math.round(context.startedAt * 1024).toString(36) };
      await this.#cache.set(variantKey(urlKey, marker, new Headers(forwarded)), stored, { ...lifetime, tags, startedAt: context.startedAt }).catch(() => undefined);
      return marker;
    }
    if (vary.length > 0 && varyOn.join() !== vary.join()) {
      // The origin changed what it varies on: forget the marker so the next request relearns it.
      context.noStore();
      await this.#cache.invalidateKeys([urlKey]).catch(() => undefined);
    }
    return stored;
  }

  #lifetime(policy: CachePolicy, directives: Directives, contentPolicy: ReturnType<Cache["policyForContentType"]>) {
    const mustRevalidate = directives.has("must-revalidate") || (this.#settings.shared && directives.has("proxy-revalidate"));
    // no-cache may be stored but never served unvalidated; must-revalidate forbids stale use, even on errors.
    const ttl = directives.has("no-cache") ? 0 : Math.max(0, policy.maxAge() - policy.age());
    const swr = mustRevalidate || directives.has("no-cache") ? 0 : (seconds(directives, "stale-while-revalidate") ?? 0);
    const staleIfError = mustRevalidate || directives.has("no-cache") ? 0 : Math.max(seconds(directives, "stale-if-error") ?? 0, this.#settings.minStaleIfError);
    return {
      ttl: contentPolicy?.ttl ?? ttl,
      swr: contentPolicy?.swr ?? swr,
      staleIfError: contentPolicy?.staleIfError ?? staleIfError,
    };
  }

  /** CDN-Cache-Control (RFC 9213), when present, replaces Cache-Control for a shared cache's decisions. */
  #decisionHeaders(headers: Headers): HeaderRecord {
    const record = headerRecord(headers);
    const targeted = record["cdn-cache-control"];
    if (this.#settings.shared && targeted !== undefined) record["cache-control"] = targeted;
    return record;
  }

  #varyHeaders(headers: Headers): string[] {
    return (headers.get("vary") ?? "")
      .split(",")
      .map((header) => header.trim().toLowerCase())
      .filter((header) => header !== "" && !this.#settings.ignoreVary.includes(header));
  }

  /** Headers for the origin: only those the cache keys on (and configured ones), so nothing unkeyed shapes a stored response. */
  #forwardedHeaders(request: Request, vary: readonly string[]): HeaderRecord {
    const forwarded: HeaderRecord = {};
    for (const name of [...this.#settings.forwardHeaders, ...vary]) {
      const value = request.headers.get(name);
      if (value !== null) forwarded[name] = value;
    }
    return forwarded;
  }

  #pass(context: GenerateContext<GeneratedValue>, response: Response, reason: string): PassThrough {
    context.noStore();
    return { kind: "pass", response, reason };
  }

  #bypassReason(request: Request): string | undefined {
    if (!this.#settings.shared) return undefined;
    if (request.headers.has("authorization")) return "authorization";
    if (this.#settings.bypassCookies && request.headers.has("cookie")) return "cookie";
    if (request.headers.has("range")) return "range";
    return undefined;
  }

  async #fetchOrigin(url: string, headers: HeaderRecord, origin?: (request: Request) => Promise<Response>): Promise<Response> {
    return this.#callOrigin(new Request(url, { method: "GET", headers }), origin);
  }

  async #callOrigin(request: Request, origin = this.#origin): Promise<Response> {
    const timeout = this.#settings.originTimeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new OriginTimeout(timeout)), timeout);
    });
    try {
      return await Promise.race([origin(request), timedOut]);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  async #forward(request: Request, status: CacheStatus, origin?: (request: Request) => Promise<Response>): Promise<Response> {
    try {
      return this.#withStatus(await this.#callOrigin(request, origin), status);
    } catch (error) {
      return this.#originFailure(error);
    }
  }

  /** Other methods go to the origin; a successful unsafe one invalidates what it targets (RFC 9111 §4.4). */
  async #forwardMethod(request: Request, method: string, options: HandleOptions): Promise<Response> {
    let response: Response;
    try {
      response = await this.#callOrigin(request, options.origin);
    } catch (error) {
      return this.#originFailure(error);
    }
    if (UNSAFE_METHODS.has(method) && response.status < 400) {
      const target = new URL(request.url);
      const urls = [target.href];
      for (const header of ["location", "content-location"]) {
        const value = response.headers.get(header);
        if (value === null) continue;
        const related = new URL(value, target);
        // Only same-origin URLs: a response must not purge another site's entries.
        if (related.origin === target.origin) urls.push(related.href);
      }
      const purge = { ...(options.waitUntil === undefined ? {} : { waitUntil: options.waitUntil }) };
      // Awaited, so the client's next read sees its own write.
      const counts = await Promise.all(urls.map((url) => this.purgeUrl(url, purge).catch(() => 0)));
      const purged = urls.filter((_, i) => counts[i]! > 0);
      if (purged.length > 0 && this.#settings.onInvalidate !== undefined) {
        await this.#settings.onInvalidate(purged).catch(() => undefined);
      }
    }
    return this.#withStatus(response, { fwd: "method" });
  }

  #respond(stored: StoredResponse, request: Request, head: boolean, status: CacheStatus): Response {
    const policy = this.#Policy.fromObject(stored.policy);
    const headers = new Headers(policy.responseHeaders() as HeaderRecord);
    if (this.#settings.tagsHeader !== undefined) {
      const tags = responseTags(headers);
      if (tags.length > 0) headers.set(this.#settings.tagsHeader, tags.join(","));
    }
    if (this.#settings.stripTagHeaders) for (const name of TAG_HEADERS) headers.delete(name);
    if (stored.clientCacheControl === null) headers.delete("cache-control");
    else headers.set("cache-control", stored.clientCacheControl);
    appendCacheStatus(headers, formatCacheStatus(this.#settings.name, status));
    const withBody = allowsBody(stored.status);
    if (withBody) headers.set("content-length", String(stored.body.byteLength));
    const etag = headers.get("etag");
    if (etag !== null && matchesIfNoneMatch(request.headers.get("if-none-match"), etag)) {
      headers.delete("content-length");
      return new Response(null, { status: 304, headers });
    }
    return new Response(head || !withBody ? null : stored.body, { status: stored.status, statusText: stored.statusText, headers });
  }

  #withStatus(response: Response, status: CacheStatus): Response {
    const copy = new Response(response.body, response);
    if (this.#settings.tagsHeader !== undefined) {
      const tags = responseTags(copy.headers);
      if (tags.length > 0) copy.headers.set(this.#settings.tagsHeader, tags.join(","));
    }
    if (this.#settings.stripTagHeaders) for (const name of TAG_HEADERS) copy.headers.delete(name);
    appendCacheStatus(copy.headers, formatCacheStatus(this.#settings.name, status));
    return copy;
  }

  #originFailure(error: unknown): Response {
    const name = this.#settings.name;
    if (error instanceof OriginError) {
      return this.#withStatus(error.toResponse(), { fwd: "miss", fwdStatus: error.status, detail: "origin-error" });
    }
    if (this.#settings.networkErrors === "throw") throw error;
    const timedOut = error instanceof OriginTimeout;
    const status = timedOut ? 504 : 502;
    const message = timedOut
      ? `${name}: the origin did not answer within ${this.#settings.originTimeoutMs} ms, and no stale copy may stand in.`
      : `${name}: the origin could not be reached (${error instanceof Error ? error.message : String(error)}), and no stale copy may stand in.`;
    return new Response(message + "\n", {
      status,
      headers: {
        "content-type": "text/plain; charset=utf-8",
        "cache-control": "no-store",
        "cache-status": formatCacheStatus(name, { fwd: "miss", detail: timedOut ? "origin-timeout" : "origin-unreachable" }),
      },
    });
  }
}

class OriginTimeout extends Error {
  override readonly name = "OriginTimeout";
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

/** RFC 9211: each cache on the path adds its entry; the one nearest the client comes last. */
function appendCacheStatus(headers: Headers, entry: string): void {
  const earlier = headers.get("cache-status");
  headers.set("cache-status", earlier === null ? entry : `${earlier}, ${entry}`);
}

/** The cache key of a request URL: absolute, without fragment. */
export function cacheKey(url: string): string {
  const parsed = new URL(url);
  parsed.hash = "";
  return parsed.href;
}

function matchesIfNoneMatch(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === "*") return true;
  const weak = (tag: string) => tag.trim().replace(/^W\//, "");
  return header.split(",").some((candidate) => weak(candidate) === weak(etag));
}

function withoutUndefined<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}
