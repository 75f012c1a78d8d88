/**
 * Invalidation names. A purge of a tag or of a prefix at a separator boundary writes one record
 * under a name; a read folds the records of the entry's names. Both sides derive names from these
 * functions only, so they can never disagree about which purge covers which key.
 *
 * A prefix ending in a separator (`/blog/`, `user:42:`, `https://x.test/a#`) is an implicit tag
 * of every key under it: purging it is O(1), like a tag. Any other prefix is enumerated.
 */

/** Characters that end a boundary prefix. `#` separates an HTTP URL from its Vary variant. */
export const PREFIX_SEPARATORS = "/:#";

/**
 * How many boundary prefixes of a key are checked on every read. Deeper boundaries are still
 * purgeable, by enumeration. A store bounds tags per entry (`limits.maxTagsPerEntry`) so that
 * tags and prefixes together fit its read of invalidation records (Workers KV: one bulk read of
 * at most 100 keys).
 */
export const MAX_IMPLICIT_PREFIXES = 16;
export const MAX_TAGS_PER_ENTRY = 64;

export function tagName(tag: string): string {
  return "t:" + tag;
}

export function prefixName(prefix: string): string {
  return "p:" + prefix;
}

/**
 * Whether position `i` of `text` ends a boundary prefix: a separator that neither repeats the
 * one before it nor is the `/` after a scheme's `:`. So a URL's `https://` costs one name
 * ("https:") rather than three, while `/blog/#` (a variant of `/blog/`) is still a boundary.
 * The rule looks only at characters up to `i`, so a prefix and every key under it agree on it.
 */
function endsBoundary(text: string, i: number): boolean {
  if (i <= 0 || !PREFIX_SEPARATORS.includes(text[i]!)) return false;
  const before = text[i - 1]!;
  return before !== text[i] && !(before === ":" && text[i] === "/");
}

/** The key's boundary prefixes, shallowest first: `a/b/c` → `a/`, `a/b/`. */
export function boundaryPrefixes(key: string): string[] {
  const prefixes: string[] = [];
  for (let i = 1; i < key.length && prefixes.length < MAX_IMPLICIT_PREFIXES; i++) {
    if (endsBoundary(key, i)) prefixes.push(key.slice(0, i + 1));
  }
  return prefixes;
}

/** Whether every key under `prefix` carries it as an implicit name (so its purge is O(1)). */
export function isBoundaryPrefix(prefix: string): boolean {
  if (!endsBoundary(prefix, prefix.length - 1)) return false;
  let boundaries = 0;
  for (let i = 1; i < prefix.length; i++) if (endsBoundary(prefix, i)) boundaries++;
  return boundaries <= MAX_IMPLICIT_PREFIXES;
}

/** Every invalidation name whose record can cover an entry with this key and these tags. */
export function invalidationNames(key: string, tags: readonly string[]): string[] {
  const names = tags.map(tagName);
  for (const prefix of boundaryPrefixes(key)) names.push(prefixName(prefix));
  return names;
}
