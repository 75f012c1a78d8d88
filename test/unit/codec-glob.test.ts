import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileGlob, decode, EdgecacheError, encode } from "../../src/index.js";

describe("typed codec", () => {
  it("round-trips the types JSON loses", () => {
    const value = {
      date: new Date("2026-01-02T03:04:05.678Z"),
      invalidDate: new Date(NaN),
      map: new Map<unknown, unknown>([
        ["a", 1],
        [2, new Set(["nested"])],
      ]),
      set: new Set([1, "two", null]),
      big: 12345678901234567890n,
      numbers: [NaN, Infinity, -Infinity, -0, 0, 1.5],
      missing: undefined,
      regexp: /a+b/gi,
      bytes: new Uint8Array([0, 1, 254, 255]),
      floats: new Float64Array([1.5, -2.25]),
      buffer: new Uint8Array([9, 8, 7]).buffer,
      view: new DataView(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2),
      error: new Error("boom", { cause: { code: 42 } }),
      dollar: { $: "not a tag", v: 1 },
      nullProto: Object.assign(Object.create(null) as object, { x: 1 }),
      holes: [1, , 3],
    };
    const back = decode(encode(value)) as typeof value;
    expect(back.date).toEqual(value.date);
    expect(Number.isNaN(back.invalidDate.getTime())).toBe(true);
    expect(back.map).toEqual(value.map);
    expect(back.set).toEqual(value.set);
    expect(back.big).toBe(value.big);
    expect(back.numbers).toEqual([NaN, Infinity, -Infinity, -0, 0, 1.5]);
    expect(Object.is(back.numbers[3], -0)).toBe(true);
    expect("missing" in back && back.missing === undefined).toBe(true);
    expect(back.regexp).toEqual(/a+b/gi);
    expect(back.bytes).toEqual(value.bytes);
    expect(back.floats).toEqual(value.floats);
    expect(new Uint8Array(back.buffer)).toEqual(new Uint8Array([9, 8, 7]));
    expect([back.view.getUint8(0), back.view.getUint8(1), back.view.byteLength]).toEqual([2, 3, 2]);
    expect(back.error).toBeInstanceOf(Error);
    expect(back.error.message).toBe("boom");
    expect(back.error.cause).toEqual({ code: 42 });
    expect(back.dollar).toEqual({ $: "not a tag", v: 1 });
    expect(back.nullProto).toEqual({ x: 1 });
    expect(back.holes).toEqual([1, undefined, 3]);
  });

  it("keeps an own __proto__ key as data, never as a prototype", () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const back = decode(encode(value)) as Record<string, unknown>;
    expect(Object.keys(back)).toEqual(["__proto__", "a"]);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect((back as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(back, "__proto__")?.value).toEqual({ polluted: true });
  });

  it("appends binary raw instead of inflating it", () => {
    const body = new Uint8Array(100_000).fill(7);
    expect(encode({ body }).byteLength).toBeLessThan(100_200);
  });

  it("round-trips arbitrary JSON-like data", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(decode(encode(value))).toEqual(value);
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    ["a function", { f: () => 1 }, /value\.f is a function/],
    ["a symbol", [Symbol("s")], /value\[0\] is a symbol/],
    ["a class instance", { when: new (class Point { x = 1 })() }, /value\.when is an instance of Point/],
    ["a WeakMap", new WeakMap(), /instance of WeakMap/],
    ["a circular reference", (() => { const o: Record<string, unknown> = {}; o.self = o; return o; })(), /circular/],
  ])("refuses %s with the path to it", (_name, value, message) => {
    expect(() => encode(value)).toThrow(expect.objectContaining({ code: "VALUE_NOT_STORABLE", message: expect.stringMatching(message) }));
  });

  it("refuses bytes that are not its format", () => {
    expect(() => decode(new TextEncoder().encode("{}"))).toThrow(EdgecacheError);
  });
});

describe("glob patterns", () => {
  const cases: [string, string, boolean][] = [
    ["user:*:posts", "user:1:posts", true],
    ["user:*:posts", "user::posts", true],
    ["user:*:posts", "user:1:posts:x", false],
    ["user:*:posts", "xuser:1:posts", false],
    ["*", "", true],
    ["a*", "a", true],
    ["*b", "ab", true],
    ["a*b*c", "abc", true],
    ["a*b*c", "aXbYc", true],
    ["a*b*c", "acb", false],
    ["a?c", "abc", true],
    ["a?c", "ac", false],
    ["*a*a*", "aa", true],
    ["*a*a*", "a", false],
    ["a\\*b", "a*b", true],
    ["a\\*b", "axb", false],
    ["/blog/*", "/blog/2024/post", true],
    ["exact", "exact", true],
    ["exact", "exactly", false],
  ];
  it.each(cases)("%s against %s → %s", (pattern, key, expected) => {
    expect(compileGlob(pattern)(key)).toBe(expected);
  });

  it("agrees with a reference matcher on random input", () => {
    const reference = (pattern: string, key: string): boolean => {
      const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
      return new RegExp(`^${source}$`, "s").test(key);
    };
    const alphabet = fc.constantFrom("a", "b", ":", "/");
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", "b", ":", "*", "?") }), fc.string({ unit: alphabet }), (pattern, key) => {
        if (pattern.length === 0) return;
        expect(compileGlob(pattern)(key)).toBe(reference(pattern, key));
      }),
      { numRuns: 2000 },
    );
  });

  it("stays linear on input that makes backtracking matchers explode", () => {
    const pattern = "*a".repeat(30) + "*b";
    const key = "a".repeat(20_000);
    // A backtracking matcher needs ~C(20000, 30) steps here; this one needs a few million.
    expect(compileGlob(pattern)(key)).toBe(false);
  });

  it("refuses empty, overlong and malformed patterns", () => {
    expect(() => compileGlob("")).toThrow(/non-empty/);
    expect(() => compileGlob("x".repeat(2000))).toThrow(/at most 1024/);
    expect(() => compileGlob("abc\\")).toThrow(/lone/);
  });
});
