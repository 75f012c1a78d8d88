/**
 * RFC 9211 Cache-Status values: `edgecache; hit; ttl=42`, `edgecache; fwd=miss; stored`,
 * `edgecache; fwd=stale; fwd-status=304; stored`, `edgecache; fwd=bypass; detail=cookie`.
 */
export interface CacheStatus {
  hit?: boolean;
  /** Why the request went to the origin. */
  fwd?: "bypass" | "method" | "miss" | "vary-miss" | "stale" | "request";
  /** The origin's status, when it differs from the response's (a 304 behind a 200). */
  fwdStatus?: number;
  /** Remaining freshness in seconds; negative once stale. */
  ttl?: number;
  stored?: boolean;
  collapsed?: boolean;
  detail?: string;
}

export function formatCacheStatus(name: string, status: CacheStatus): string {
  const parts = [name];
  if (status.hit) parts.push("hit");
  if (status.fwd) parts.push(`fwd=${status.fwd}`);
  if (status.fwdStatus !== undefined) parts.push(`fwd-status=${status.fwdStatus}`);
  if (status.ttl !== undefined) parts.push(`ttl=${Math.round(status.ttl)}`);
  if (status.stored) parts.push("stored");
  if (status.collapsed) parts.push("collapsed");
  if (status.detail) parts.push(`detail=${status.detail}`);
  return parts.join("; ");
}
