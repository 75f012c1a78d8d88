/**
 * Cache-Control directives as a map: `public, max-age=60` → { public: true, "max-age": "60" }.
 * Names are lower-cased; quoted values are unquoted. Used for the directives the semantics
 * library leaves to its callers (stale-while-revalidate, stale-if-error) and for choosing
 * between Cache-Control and CDN-Cache-Control.
 */
export type Directives = ReadonlyMap<string, string | true>;

export function parseCacheControl(header: string | null | undefined): Directives {
  const directives = new Map<string, string | true>();
  if (!header) return directives;
  for (const part of header.split(",")) {
    const [rawName, ...rest] = part.split("=");
    const name = rawName!.trim().toLowerCase();
    if (name === "") continue;
    const value = rest.join("=").trim().replace(/^"(.*)"$/, "$1");
    // The first occurrence wins, as RFC 9111 §4.2.1 asks for duplicated directives.
    if (!directives.has(name)) directives.set(name, rest.length === 0 ? true : value);
  }
  return directives;
}

/** A directive's delta-seconds, or undefined when absent or not a number. */
export function seconds(directives: Directives, name: string): number | undefined {
  const value = directives.get(name);
  if (value === undefined || value === true) return undefined;
  const parsed = Number.parseInt(value, 10);
  return Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
}
