import CachePolicy from "http-cache-semantics";
import { varySuffix } from "../policies.js";

/**
 * What the HTTP layer keeps in the engine. Plain data, so every store can hold it: memory and
 * IndexedDB as is, KV and the Cache API through the typed codec (the body stays raw bytes).
 */
export interface StoredResponse {
  readonly kind: "response";
  readonly status: number;
  readonly statusText: string;
  /** The semantics library's record of the exchange: response headers, validators, timing. */
  readonly policy: CachePolicy.CachePolicyObject;
  /** The decoded body (content-encoding is negotiated per hop, so it is not kept). */
  readonly body: Uint8Array<ArrayBuffer>;
  /** When the edge got it and for how many seconds it is fresh: for Cache-Status's ttl. */
  readonly receivedAt: number;
  readonly freshFor: number;
  /**
   * The Cache-Control clients get (null: none). The policy record holds the one the cache
   * decided by, which differs when CDN-Cache-Control targeted the cache or a content-type
   * policy sets what clients see.
   */
  readonly clientCacheControl: string | null;
}

/**
 * Kept at a URL whose responses vary: the request headers that select a variant, and the
 * generation its variants belong to. A marker made afresh (first sight, or after a purge) starts
 * a new generation, so variants from before can never be reached again; one refreshed with the
 * same headers keeps its generation, and its variants.
 */
export interface VaryMarker {
  readonly kind: "vary";
  readonly vary: readonly string[];
  readonly generation: string;
}

/** The key of one variant: `url#<generation>;accept-language=fr`. Every variant of a URL starts with `url#`. */
export function variantKey(urlKey: string, marker: Pick<VaryMarker, "vary" | "generation">, headers: Headers): string {
  return `${urlKey}#${marker.generation};${varySuffix(marker.vary, headers).slice(1)}`;
}

/**
 * A response that must not be stored or shared (private, Set-Cookie, no-store, too large...).
 * It lives only as the value of one generation: the request that fetched it streams it, and any
 * request that joined the generation fetches its own (RFC 9111 §4: collapse only shareable ones).
 */
export interface PassThrough {
  readonly kind: "pass";
  readonly response: Response;
  readonly reason: string;
}

export type CachedValue = StoredResponse | VaryMarker;
export type GeneratedValue = CachedValue | PassThrough;

export type HeaderRecord = Record<string, string>;

/** A CachePolicy whose "now" is the engine's clock, so ages and freshness follow injected time. */
export function clockedPolicyClass(clock: () => number): typeof CachePolicy {
  return class ClockedPolicy extends CachePolicy {
    now(): number {
      return clock();
    }
  };
}

/** Lower-cased header names to values, the shape the semantics library reads. */
export function headerRecord(headers: Headers): HeaderRecord {
  const record: HeaderRecord = {};
  headers.forEach((value, name) => {
    record[name.toLowerCase()] = value;
  });
  return record;
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

export function allowsBody(status: number): boolean {
  return !NULL_BODY_STATUSES.has(status);
}
