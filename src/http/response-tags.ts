/**
 * Purge tags an origin attaches to a response: `Cache-Tag` (Cloudflare, comma-separated) and
 * `Surrogate-Key` (Fastly, space-separated). Empty and duplicate tags are dropped.
 */
export const TAG_HEADERS = ["cache-tag", "surrogate-key"] as const;

export function responseTags(headers: Headers): string[] {
  const tags = new Set<string>();
  for (const tag of (headers.get("cache-tag") ?? "").split(",")) if (tag.trim()) tags.add(tag.trim());
  for (const tag of (headers.get("surrogate-key") ?? "").split(/\s+/)) if (tag) tags.add(tag);
  return [...tags];
}
