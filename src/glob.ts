import { EdgecacheError } from "./errors.js";

/**
 * Glob patterns for purges: `*` matches any run of characters (also none, also separators), `?`
 * exactly one character, and `\` makes the next character literal. There are no other
 * metacharacters, so a pattern from the admin API can never be a backtracking RegExp.
 *
 * Matching splits the pattern at its stars and places each literal segment at its leftmost
 * possible position, which is optimal for star-separated segments: the time is
 * O(key length × pattern length), with no backtracking over earlier stars.
 */
export const MAX_PATTERN_LENGTH = 1024;

/** A literal segment; `undefined` stands for `?`. */
type Segment = (string | undefined)[];

export type KeyMatcher = (key: string) => boolean;

export function compileGlob(pattern: string): KeyMatcher {
  if (typeof pattern !== "string" || pattern.length === 0) {
    throw new EdgecacheError("INVALID_PATTERN", "a pattern must be a non-empty string such as \"user:*:posts\"");
  }
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new EdgecacheError("INVALID_PATTERN", `a pattern may be at most ${MAX_PATTERN_LENGTH} characters; this one has ${pattern.length}`);
  }
  const segments: Segment[] = [[]];
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    const current = segments[segments.length - 1]!;
    if (char === "\\") {
      if (i + 1 === pattern.length) {
        throw new EdgecacheError("INVALID_PATTERN", `the pattern "${pattern}" ends with a lone "\\"; write "\\\\" for a literal backslash`);
      }
      current.push(pattern[++i]!);
    } else if (char === "*") segments.push([]);
    else if (char === "?") current.push(undefined);
    else current.push(char);
  }

  if (segments.length === 1) {
    const only = segments[0]!;
    return (key) => key.length === only.length && matchesAt(only, key, 0);
  }
  const first = segments[0]!;
  const last = segments[segments.length - 1]!;
  const middle = segments.slice(1, -1).filter((segment) => segment.length > 0);
  const minLength = segments.reduce((sum, segment) => sum + segment.length, 0);
  return (key) => {
    if (key.length < minLength || !matchesAt(first, key, 0)) return false;
    const end = key.length - last.length;
    if (!matchesAt(last, key, end)) return false;
    let position = first.length;
    for (const segment of middle) {
      const found = find(segment, key, position, end);
      if (found < 0) return false;
      position = found + segment.length;
    }
    return position <= end;
  };
}

function matchesAt(segment: Segment, key: string, start: number): boolean {
  for (let i = 0; i < segment.length; i++) {
    const expected = segment[i];
    if (expected !== undefined && key[start + i] !== expected) return false;
  }
  return true;
}

/** Leftmost start ≥ `from` where the segment fits entirely before `end`, or -1. */
function find(segment: Segment, key: string, from: number, end: number): number {
  for (let start = from; start + segment.length <= end; start++) {
    if (matchesAt(segment, key, start)) return start;
  }
  return -1;
}
