/**
 * How edgecache lays its records out in a Workers KV namespace. KV keys are at most 512 bytes,
 * so any part that could be longer (a URL, a tag) is kept readable up to a limit and then
 * replaced by its SHA-256: listing by prefix still works for every prefix shorter than the
 * limit, and a stored entry carries its full key, which reads check, so two keys whose shortened
 * forms meet can never be confused.
 *
 *   <p>e:<key>                     entry: typed-codec bytes; metadata: times (+ full key if shortened)
 *   <p>m:<n>:<tag>:<key>           manifest: one record per (tag, entry), metadata: the entry's times
 *   <p>h:<name>  <p>s:<name>       hard / soft invalidation stamp of a tag or prefix name (text)
 *   <p>r:<name>                    small records (warming status, stats)
 *
 * Hard and soft stamps are separate records so that every purge is one blind write: no purge
 * ever reads, modifies and writes back, so concurrent purges from different places cannot undo
 * each other on an eventually consistent store.
 */
const encoder = new TextEncoder();

export const ENTRY_KEY_BYTES = 400;
export const TAG_KEY_BYTES = 100;
export const NAME_KEY_BYTES = 400;
/** Hashes of long parts, remembered per isolate: a hot URL is hashed once, not per hit. */
const hashed = new Map<string, string>();
const HASH_MEMORY = 10_000;

function byteLength(text: string): number {
  return /^[\x00-\x7f]*$/.test(text) ? text.length : encoder.encode(text).byteLength;
}

/** `text` if it fits in `maxBytes`, else its head and a SHA-256 of the whole (same length class). */
export async function keyPart(text: string, maxBytes: number): Promise<string> {
  if (byteLength(text) <= maxBytes) return text;
  let digest = hashed.get(text);
  if (digest === undefined) {
    const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
    digest = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    if (hashed.size >= HASH_MEMORY) hashed.clear();
    hashed.set(text, digest);
  }
  return headWithin(text, maxBytes - digest.length - 1) + "~" + digest;
}

/** The longest head of `text` within `maxBytes` of UTF-8 that does not split a character. */
export function headWithin(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = encoder.encode(char).byteLength;
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}

export class KvLayout {
  constructor(readonly prefix: string) {}

  async entry(key: string): Promise<string> {
    return `${this.prefix}e:${await keyPart(key, ENTRY_KEY_BYTES)}`;
  }

  /** The listing prefix for keys starting with `keyPrefix`, and whether the listing is exact (else candidates need their full key checked). */
  entryListing(keyPrefix: string): { prefix: string; exact: boolean } {
    const head = headWithin(keyPrefix, ENTRY_KEY_BYTES - 44);
    return { prefix: `${this.prefix}e:${head}`, exact: head === keyPrefix };
  }

  async manifestPrefix(tag: string): Promise<string> {
    const part = await keyPart(tag, TAG_KEY_BYTES);
    return `${this.prefix}m:${part.length}:${part}:`;
  }

  async manifest(tag: string, key: string): Promise<string> {
    return (await this.manifestPrefix(tag)) + (await keyPart(key, ENTRY_KEY_BYTES - TAG_KEY_BYTES - 10));
  }

  async stamp(kind: "hard" | "soft", name: string): Promise<string> {
    return `${this.prefix}${kind === "hard" ? "h" : "s"}:${await keyPart(name, NAME_KEY_BYTES)}`;
  }

  record(name: string): string {
    return `${this.prefix}r:${name}`;
  }

  get allEntries(): string {
    return `${this.prefix}e:`;
  }

  get allManifests(): string {
    return `${this.prefix}m:`;
  }
}
