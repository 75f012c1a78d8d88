/**
 * Purge tags attached to a response: `Cache-Tag` (Cloudflare, comma-separated) and
 * `Surrogate-Key` (Fastly, space-separated) from an origin, and `Edgecache-Tag`
 * (comma-separated) from an edgecache in front, which strips the first two but tells browser
 * caches behind it the tags, so its tag purges can reach them. Empty and duplicate tags are dropped.
 */
export const TAG_HEADERS = ["cache-tag", "surrogate-key"] as const;
export const EDGE_TAGS_HEADER = "edgecache-tag";

export function responseTags(headers: Headers): string[] {
  const tags = new Set<string>();
  for (const header of ["cache-tag", EDGE_TAGS_HEADER]) {
    for (const tag of (headers.get(header) ?? "").split(",")) if (tag.trim()) tags.add(tag.trim());
  }
  for (const tag of (headers.get("surrogate-key") ?? "").split(/\s+/)) if (tag) tags.add(tag);
  return [...tags];
}
