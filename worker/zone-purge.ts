import { EdgecacheError } from "../src/index.js";

export interface ZonePurgeOptions {
  zoneId: string;
  /** An API token with the Zone › Cache Purge permission. */
  apiToken: string;
  /** Default "https://api.cloudflare.com/client/v4". */
  apiBase?: string;
  /** Items per request: Cloudflare takes at most 100 per purge request, one kind per request. Default 100. */
  batchSize?: number;
  /** Retries of a request answered 429 or 5xx. Default 3. */
  maxRetries?: number;
  /** Longest wait honoured from a Retry-After, in ms; the default backs off 1 s, 2 s, 4 s. Default 10,000. */
  maxRetryWaitMs?: number;
  fetch?: typeof fetch;
}

export interface ZonePurgeTargets {
  tags?: readonly string[];
  /** Absolute URLs; sent as Cloudflare expects prefixes, without the scheme (`www.example.com/blog/`). */
  prefixes?: readonly string[];
  /** Absolute URLs. */
  files?: readonly string[];
}

export interface ZonePurgeReport {
  requests: number;
  retries: number;
  sent: { tags: number; prefixes: number; files: number };
  errors: string[];
}

const DEFAULTS = { apiBase: "https://api.cloudflare.com/client/v4", batchSize: 100, maxRetries: 3, maxRetryWaitMs: 10_000 };

/**
 * Forwards edgecache's purges to Cloudflare's own cache for the zone (the CDN in front of the
 * Worker), so what the edge purged from KV is also gone from Cloudflare's cache.
 */
export class ZonePurger {
  readonly #settings: typeof DEFAULTS & { zoneId: string; apiToken: string };
  readonly #fetch: typeof fetch;

  constructor(options: ZonePurgeOptions) {
    if (!options?.zoneId || !options.apiToken) {
      throw new EdgecacheError("INVALID_OPTION", "ZonePurger: zoneId and apiToken are required (set CF_ZONE_ID and the CF_API_TOKEN secret)");
    }
    const settings = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as typeof DEFAULTS & ZonePurgeOptions;
    if (!(Number.isInteger(settings.batchSize) && settings.batchSize >= 1 && settings.batchSize <= 100)) {
      throw new EdgecacheError("INVALID_OPTION", `ZonePurger: batchSize must be 1 to 100 (Cloudflare's limit per request), got ${settings.batchSize}`);
    }
    this.#settings = { ...settings, zoneId: options.zoneId, apiToken: options.apiToken };
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  async purge(targets: ZonePurgeTargets): Promise<ZonePurgeReport> {
    const report: ZonePurgeReport = { requests: 0, retries: 0, sent: { tags: 0, prefixes: 0, files: 0 }, errors: [] };
    const kinds: [keyof ZonePurgeReport["sent"], readonly string[]][] = [
      ["tags", targets.tags ?? []],
      ["prefixes", (targets.prefixes ?? []).map(withoutScheme)],
      ["files", targets.files ?? []],
    ];
    for (const [kind, items] of kinds) {
      for (let i = 0; i < items.length; i += this.#settings.batchSize) {
        const batch = items.slice(i, i + this.#settings.batchSize);
        const error = await this.#send({ [kind]: batch }, report);
        if (error === undefined) report.sent[kind] += batch.length;
        else report.errors.push(`${kind} ${i + 1}–${i + batch.length}: ${error}`);
      }
    }
    return report;
  }

  /** One purge request, retried on 429 and 5xx; the error text, or undefined on success. */
  async #send(body: Record<string, readonly string[]>, report: ZonePurgeReport): Promise<string | undefined> {
    const url = `${this.#settings.apiBase}/zones/${encodeURIComponent(this.#settings.zoneId)}/purge_cache`;
    for (let attempt = 0; ; attempt++) {
      report.requests++;
      let response: Response;
      try {
        response = await this.#fetch(url, {
          method: "POST",
          headers: { authorization: `Bearer ${this.#settings.apiToken}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      } catch (error) {
        if (attempt >= this.#settings.maxRetries) return `Cloudflare API unreachable: ${(error as Error).message}`;
        report.retries++;
        await sleep(this.#backoff(attempt, null));
        continue;
      }
      if (response.ok) {
        const result = (await response.json().catch(() => null)) as { success?: boolean; errors?: { message?: string }[] } | null;
        if (result?.success !== false) return undefined;
        return (result.errors ?? []).map((e) => e.message).join("; ") || "the API answered success: false";
      }
      const retryable = response.status === 429 || response.status >= 500;
      if (!retryable || attempt >= this.#settings.maxRetries) {
        const text = await response.text().catch(() => "");
        return `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ""}`;
      }
      report.retries++;
      await response.body?.cancel();
      await sleep(this.#backoff(attempt, response.headers.get("retry-after")));
    }
  }

  #backoff(attempt: number, retryAfter: string | null): number {
    const seconds = retryAfter === null ? NaN : Number(retryAfter);
    const wait = Number.isFinite(seconds) ? seconds * 1000 : 1000 * 2 ** attempt;
    return Math.min(wait, this.#settings.maxRetryWaitMs);
  }
}

function withoutScheme(url: string): string {
  return url.replace(/^https?:\/\//, "");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
