import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { boundaryPrefixes, invalidationNames, isBoundaryPrefix, MAX_IMPLICIT_PREFIXES } from "../../src/index.js";

describe("boundary prefixes", () => {
  it("names each separator boundary once, collapsing runs like a URL's ://", () => {
    expect(boundaryPrefixes("https://x.test/blog/2024/post")).toEqual(["https:", "https://x.test/", "https://x.test/blog/", "https://x.test/blog/2024/"]);
    expect(boundaryPrefixes("user:42:posts")).toEqual(["user:", "user:42:"]);
    expect(boundaryPrefixes("https://x.test/a#accept-language=en")).toEqual(["https:", "https://x.test/", "https://x.test/a#"]);
    expect(boundaryPrefixes("/blog/a")).toEqual(["/blog/"]);
    expect(boundaryPrefixes("https://x.test/blog/#accept-language=en")).toEqual(["https:", "https://x.test/", "https://x.test/blog/", "https://x.test/blog/#"]);
    expect(boundaryPrefixes("user::x")).toEqual(["user:"]);
    expect(boundaryPrefixes("plain")).toEqual([]);
  });

  it("stops at the cap, and deeper prefixes are not O(1) boundaries", () => {
    const deep = Array.from({ length: 20 }, (_, i) => `d${i}/`).join("");
    expect(boundaryPrefixes(deep + "x")).toHaveLength(MAX_IMPLICIT_PREFIXES);
    expect(isBoundaryPrefix(deep)).toBe(false);
  });

  it("agrees between a prefix and every key under it", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", "b", "/", ":", "#") }), fc.nat(), (key, cut) => {
        const prefix = key.slice(0, cut % (key.length + 1));
        expect(isBoundaryPrefix(prefix)).toBe(boundaryPrefixes(key).includes(prefix));
      }),
      { numRuns: 3000 },
    );
  });

  it("names tags and prefixes apart", () => {
    expect(invalidationNames("a/b", ["a/"])).toEqual(["t:a/", "p:a/"]);
  });
});
