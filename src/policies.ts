import { EdgecacheError } from "./errors.js";
import { describe, type EntryOptions, validateEntryOptions } from "./options.js";

/** How one kind of content is cached: by a name of yours ("page") or by MIME type ("text/html", "image/*"). */
export interface ContentPolicy extends EntryOptions {
  /** Request headers whose values select a variant (`Vary`), e.g. `["accept-language"]`. */
  varyOn?: readonly string[];
  /** The Cache-Control to send with this content; derived from ttl, swr and staleIfError if omitted. */
  cacheControl?: string;
}

export interface ResolvedPolicy {
  readonly name: string;
  readonly ttl: number | undefined;
  readonly swr: number | undefined;
  readonly staleIfError: number | undefined;
  readonly tags: readonly string[];
  /** Lower-cased and sorted, so the same headers always make the same key. */
  readonly varyOn: readonly string[];
  readonly cacheControl: string;
  /** Whether cacheControl was given (an HTTP cache then sends it instead of the origin's) or derived. */
  readonly cacheControlGiven: boolean;
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const ONE_YEAR = 31_536_000;

export class PolicyRegistry {
  readonly #policies = new Map<string, ResolvedPolicy>();

  register(name: string, policy: ContentPolicy): ResolvedPolicy {
    const where = `registerPolicy("${String(name)}")`;
    if (typeof name !== "string" || name.length === 0 || name.includes("#")) {
      throw new EdgecacheError("INVALID_OPTION", `registerPolicy: the policy name must be a non-empty string without "#", got ${describe(name)}`);
    }
    validateEntryOptions(policy, where);
    const varyOn = policy.varyOn ?? [];
    if (!Array.isArray(varyOn) || !varyOn.every((header) => typeof header === "string" && HEADER_NAME.test(header))) {
      throw new EdgecacheError("INVALID_OPTION", `${where}: varyOn must be an array of header names such as ["accept-language"]`);
    }
    if (policy.cacheControl !== undefined && (typeof policy.cacheControl !== "string" || /[\r\n]/.test(policy.cacheControl))) {
      throw new EdgecacheError("INVALID_OPTION", `${where}: cacheControl must be a single-line string such as "public, max-age=60"`);
    }
    const resolved: ResolvedPolicy = {
      name,
      ttl: policy.ttl,
      swr: policy.swr,
      staleIfError: policy.staleIfError,
      tags: [...(policy.tags ?? [])],
      varyOn: [...new Set(varyOn.map((header) => header.toLowerCase()))].sort(),
      cacheControl: policy.cacheControl ?? deriveCacheControl(policy),
      cacheControlGiven: policy.cacheControl !== undefined,
    };
    this.#policies.set(name, resolved);
    return resolved;
  }

  get(name: string): ResolvedPolicy {
    const policy = this.#policies.get(name);
    if (policy === undefined) {
      const known = [...this.#policies.keys()].map((known) => `"${known}"`).join(", ") || "none yet";
      throw new EdgecacheError("UNKNOWN_POLICY", `no policy is registered for "${name}" (registered: ${known}); call registerPolicy("${name}", {...}) first`);
    }
    return policy;
  }

  /** The policy for a response's Content-Type: the exact type, then `type/*`, then `*\/*`. */
  forContentType(contentType: string | null | undefined): ResolvedPolicy | undefined {
    const mime = (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase();
    if (mime === "") return this.#policies.get("*/*");
    return this.#policies.get(mime) ?? this.#policies.get(mime.split("/", 1)[0] + "/*") ?? this.#policies.get("*/*");
  }
}

export function deriveCacheControl(lifetime: EntryOptions): string {
  const parts = ["public", `max-age=${lifetime.ttl === undefined || lifetime.ttl === Infinity ? ONE_YEAR : Math.floor(lifetime.ttl)}`];
  if (lifetime.swr) parts.push(`stale-while-revalidate=${Math.floor(lifetime.swr)}`);
  if (lifetime.staleIfError) parts.push(`stale-if-error=${Math.floor(lifetime.staleIfError)}`);
  return parts.join(", ");
}

/**
 * The variant part of a key: each vary-on header's value, normalised (trimmed, whitespace
 * collapsed, lower-cased) and percent-encoded, so a header value can never forge another variant.
 * Empty when the policy varies on nothing.
 */
export function varySuffix(varyOn: readonly string[], headers: Headers): string {
  if (varyOn.length === 0) return "";
  return (
    "#" +
    varyOn
      .map((name) => `${name}=${encodeURIComponent((headers.get(name) ?? "").trim().replace(/\s+/g, " ").toLowerCase())}`)
      .join("&")
  );
}

/** `page:home`, or `page:home#accept-language=en` for a policy that varies on Accept-Language. */
export function contentKey(policy: ResolvedPolicy, id: string, headers: HeadersInit | undefined): string {
  if (typeof id !== "string" || id.length === 0 || id.includes("#")) {
    throw new EdgecacheError("INVALID_KEY", `a content id must be a non-empty string without "#" (which separates variants), got ${describe(id)}`);
  }
  return `${policy.name}:${id}${varySuffix(policy.varyOn, new Headers(headers))}`;
}
