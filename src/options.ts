import type { Lifetime } from "./entry.js";
import { EdgecacheError } from "./errors.js";
import { MAX_TAGS_PER_ENTRY } from "./names.js";

/** How long an entry lives and what it is tagged with. Durations are seconds, as in Cache-Control. */
export interface EntryOptions extends Lifetime {
  /** Names to purge the entry by, e.g. `["user:1", "posts"]`. */
  tags?: readonly string[] | undefined;
}

export type WaitUntil = (promise: Promise<unknown>) => void;

export const MAX_TAG_LENGTH = 1024;
const encoder = new TextEncoder();

export function utf8Length(text: string): number {
  // Every UTF-16 unit is at most 3 UTF-8 bytes, so short strings need no encoding to be checked.
  return text.length < 128 && /^[\x00-\x7f]*$/.test(text) ? text.length : encoder.encode(text).byteLength;
}

export function validateKey(key: unknown, maxBytes: number): asserts key is string {
  if (typeof key !== "string" || key.length === 0) {
    throw new EdgecacheError("INVALID_KEY", `a cache key must be a non-empty string, got ${describe(key)}`);
  }
  if (key.length * 3 > maxBytes && utf8Length(key) > maxBytes) {
    throw new EdgecacheError("KEY_TOO_LONG", `the key "${key.slice(0, 40)}…" is ${utf8Length(key)} bytes; this store accepts at most ${maxBytes}`);
  }
}

function validateSeconds(value: unknown, name: string, where: string): void {
  if (value === undefined) return;
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw new EdgecacheError(
      "INVALID_OPTION",
      `${where}: ${name} must be a number of seconds ≥ 0 (or omitted for ${name === "ttl" ? "a permanent entry" : "none"}), got ${describe(value)}`,
    );
  }
}

export function validateTags(tags: unknown, where: string, maxTags = MAX_TAGS_PER_ENTRY): asserts tags is readonly string[] | undefined {
  if (tags === undefined) return;
  if (!Array.isArray(tags)) throw new EdgecacheError("INVALID_TAG", `${where}: tags must be an array of strings, got ${describe(tags)}`);
  if (tags.length > maxTags) {
    throw new EdgecacheError("TOO_MANY_TAGS", `${where}: an entry may carry at most ${maxTags} tags in this store, got ${tags.length}`);
  }
  for (const tag of tags) validateTag(tag, where);
}

export function validateTag(tag: unknown, where: string): asserts tag is string {
  if (typeof tag !== "string" || tag.length === 0 || tag.length > MAX_TAG_LENGTH || /[\x00-\x1f\x7f]/.test(tag)) {
    throw new EdgecacheError(
      "INVALID_TAG",
      `${where}: a tag must be a string of 1 to ${MAX_TAG_LENGTH} characters without control characters, got ${describe(tag)}`,
    );
  }
}

export function validateEntryOptions(options: EntryOptions | undefined, where: string, maxTags = MAX_TAGS_PER_ENTRY): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null) {
    throw new EdgecacheError("INVALID_OPTION", `${where}: options must be an object, got ${describe(options)}`);
  }
  validateSeconds(options.ttl, "ttl", where);
  validateSeconds(options.swr, "swr", where);
  validateSeconds(options.staleIfError, "staleIfError", where);
  validateTags(options.tags, where, maxTags);
}

/** Call options over cache defaults; tags add up rather than replace. */
export function mergeEntryOptions(defaults: EntryOptions, options: EntryOptions | undefined): EntryOptions {
  if (options === undefined) return defaults;
  const tags = options.tags === undefined ? defaults.tags : defaults.tags === undefined ? options.tags : [...new Set([...defaults.tags, ...options.tags])];
  return {
    ttl: options.ttl ?? defaults.ttl,
    swr: options.swr ?? defaults.swr,
    staleIfError: options.staleIfError ?? defaults.staleIfError,
    tags,
  };
}

export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? value.slice(0, 60) + "…" : value);
  if (typeof value === "number" || typeof value === "boolean" || value == null) return String(value);
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}
