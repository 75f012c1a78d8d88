import { EdgecacheError } from "./errors.js";

/**
 * A typed codec for stores that keep bytes (Workers KV, the Cache API). Values come back with the
 * types they went in with: Date, Map, Set, RegExp, bigint, Error, undefined, NaN, ±Infinity, -0,
 * ArrayBuffer, DataView and every typed array. Binary data is not base64'd into the JSON: it is
 * appended raw after it, so a cached HTTP body costs its own size.
 *
 * Layout: [version: 1 byte][JSON length: uint32 LE][JSON, UTF-8][binary blobs].
 * In the JSON, a value that JSON cannot say is an object `{"$": tag, ...}`; a plain object that
 * itself has a "$" key is wrapped as `{"$": "o", "v": {...}}`, so no user data is misread.
 *
 * What cannot come back faithfully is refused with VALUE_NOT_STORABLE and the path to it:
 * functions, symbols, class instances (their prototype would be lost), WeakMaps, promises, and
 * circular references.
 */
const VERSION = 1;
const HEADER_BYTES = 5;

const TYPED_ARRAYS = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as const;
type TypedArrayName = keyof typeof TYPED_ARRAYS;
type Encoded = null | boolean | number | string | Encoded[] | { [key: string]: Encoded };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encode(value: unknown): Uint8Array {
  const blobs: Uint8Array[] = [];
  let blobBytes = 0;
  const ancestors = new Set<object>();

  const addBlob = (bytes: Uint8Array): Encoded => {
    const offset = blobBytes;
    blobs.push(bytes);
    blobBytes += bytes.byteLength;
    return offset;
  };

  const walk = (item: unknown, path: string): Encoded => {
    switch (typeof item) {
      case "string":
      case "boolean":
        return item;
      case "number":
        if (Number.isFinite(item) && !Object.is(item, -0)) return item;
        return { $: "n", v: Object.is(item, -0) ? "-0" : String(item) };
      case "bigint":
        return { $: "i", v: item.toString() };
      case "undefined":
        return { $: "u" };
      case "function":
      case "symbol":
        throw notStorable(path, `a ${typeof item}`);
    }
    if (item === null) return null;
    const object = item as object;
    if (ancestors.has(object)) throw notStorable(path, "a circular reference");
    ancestors.add(object);
    try {
      return walkObject(object, path);
    } finally {
      ancestors.delete(object);
    }
  };

  const walkObject = (object: object, path: string): Encoded => {
    if (Array.isArray(object)) {
      const out: Encoded[] = new Array(object.length);
      for (let i = 0; i < object.length; i++) out[i] = walk(object[i], `${path}[${i}]`);
      return out;
    }
    const prototype = Object.getPrototypeOf(object);
    if (prototype === Object.prototype || prototype === null) {
      const out: { [key: string]: Encoded } = {};
      for (const key of Object.keys(object)) setOwn(out, key, walk((object as Record<string, unknown>)[key], `${path}.${key}`));
      return "$" in out ? { $: "o", v: out } : out;
    }
    // Built-ins are recognised before class instances, but after plain objects: most values are plain.
    if (object instanceof Date) return { $: "d", v: Number.isNaN(object.getTime()) ? null : object.getTime() };
    if (object instanceof Map) {
      let i = 0;
      const pairs: Encoded[] = [];
      for (const [key, entry] of object) {
        pairs.push([walk(key, `${path}<key ${i}>`), walk(entry, `${path}<value ${i}>`)]);
        i++;
      }
      return { $: "m", v: pairs };
    }
    if (object instanceof Set) {
      let i = 0;
      const items: Encoded[] = [];
      for (const entry of object) items.push(walk(entry, `${path}<item ${i++}>`));
      return { $: "s", v: items };
    }
    if (object instanceof RegExp) return { $: "r", s: object.source, f: object.flags };
    if (object instanceof ArrayBuffer) {
      return { $: "b", t: "ArrayBuffer", o: addBlob(new Uint8Array(object.slice(0))), l: object.byteLength };
    }
    if (ArrayBuffer.isView(object)) {
      // The kind, not the constructor: a Node Buffer is a Uint8Array and comes back as one.
      const type = object instanceof DataView ? "DataView" : (object as Uint8Array)[Symbol.toStringTag];
      if (type !== "DataView" && !(type in TYPED_ARRAYS)) throw notStorable(path, `a ${type}`);
      const bytes = new Uint8Array(object.buffer, object.byteOffset, object.byteLength);
      return { $: "b", t: type, o: addBlob(bytes), l: object.byteLength };
    }
    if (object instanceof Error) {
      const out: { [key: string]: Encoded } = { $: "e", n: object.name, m: object.message };
      if (object.stack !== undefined) out.k = object.stack;
      if ("cause" in object) out.c = walk(object.cause, `${path}.cause`);
      return out;
    }
    const kind = (prototype as { constructor?: { name?: string } } | undefined)?.constructor?.name ?? "object";
    throw notStorable(path, `an instance of ${kind}`);
  };

  const json = encoder.encode(JSON.stringify(walk(value, "value")));
  const out = new Uint8Array(HEADER_BYTES + json.byteLength + blobBytes);
  out[0] = VERSION;
  new DataView(out.buffer).setUint32(1, json.byteLength, true);
  out.set(json, HEADER_BYTES);
  let offset = HEADER_BYTES + json.byteLength;
  for (const blob of blobs) {
    out.set(blob, offset);
    offset += blob.byteLength;
  }
  return out;
}

export function decode(input: ArrayBuffer | Uint8Array): unknown {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.byteLength < HEADER_BYTES || bytes[0] !== VERSION) {
    throw new EdgecacheError("CORRUPT_RECORD", `a stored record is not in edgecache's format (version byte ${String(bytes[0])}); it was written by something else or truncated`);
  }
  const jsonLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1, true);
  const blobStart = HEADER_BYTES + jsonLength;
  if (blobStart > bytes.byteLength) throw new EdgecacheError("CORRUPT_RECORD", "a stored record is truncated");
  const tree = JSON.parse(decoder.decode(bytes.subarray(HEADER_BYTES, blobStart))) as Encoded;

  const blob = (offset: number, length: number): ArrayBuffer => {
    const start = bytes.byteOffset + blobStart + offset;
    return bytes.buffer.slice(start, start + length) as ArrayBuffer;
  };

  const revive = (node: Encoded): unknown => {
    if (node === null || typeof node !== "object") return node;
    if (Array.isArray(node)) return node.map(revive);
    const tag = node.$;
    if (tag === undefined) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(node)) setOwn(out, key, revive(node[key]!));
      return out;
    }
    switch (tag) {
      case "o":
        return Object.fromEntries(Object.entries(node.v as Record<string, Encoded>).map(([k, v]) => [k, revive(v)]));
      case "u":
        return undefined;
      case "n":
        return node.v === "-0" ? -0 : Number(node.v);
      case "i":
        return BigInt(node.v as string);
      case "d":
        return new Date(node.v === null ? NaN : (node.v as number));
      case "m":
        return new Map((node.v as Encoded[][]).map(([k, v]) => [revive(k!), revive(v!)]));
      case "s":
        return new Set((node.v as Encoded[]).map(revive));
      case "r":
        return new RegExp(node.s as string, node.f as string);
      case "b": {
        const buffer = blob(node.o as number, node.l as number);
        const type = node.t as string;
        if (type === "ArrayBuffer") return buffer;
        if (type === "DataView") return new DataView(buffer);
        return new TYPED_ARRAYS[type as TypedArrayName](buffer);
      }
      case "e": {
        const error = new Error(node.m as string, "c" in node ? { cause: revive(node.c!) } : undefined);
        error.name = node.n as string;
        if (typeof node.k === "string") error.stack = node.k;
        return error;
      }
      default:
        throw new EdgecacheError("CORRUPT_RECORD", `a stored record has an unknown type tag "${String(tag)}"`);
    }
  };
  return revive(tree);
}

/**
 * Sets an own property. A key named "__proto__" (JSON.parse makes it an own key) would, by plain
 * assignment, replace the object's prototype instead: dropped data at best, prototype pollution
 * at worst.
 */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

function notStorable(path: string, what: string): EdgecacheError {
  return new EdgecacheError(
    "VALUE_NOT_STORABLE",
    `${path} is ${what}, which this store cannot keep; store plain data (objects, arrays, strings, numbers, Date, Map, Set, bytes) instead`,
  );
}
