/**
 * A quick estimate of the memory a value holds, for the memory store's byte bound. It counts
 * payload (string characters as 2 bytes, binary as its length) plus a small per-object overhead,
 * stops at `limit`, and visits each object once, so shared or circular references cannot loop.
 */
const OBJECT_OVERHEAD = 16;

export function estimateSize(value: unknown, limit = Infinity): number {
  const seen = new Set<object>();
  const pending: unknown[] = [value];
  let size = 0;
  while (pending.length > 0 && size <= limit) {
    const item = pending.pop();
    switch (typeof item) {
      case "string":
        size += 2 * item.length;
        continue;
      case "number":
      case "bigint":
        size += 8;
        continue;
      case "boolean":
      case "undefined":
      case "symbol":
      case "function":
        size += 4;
        continue;
    }
    if (item === null || seen.has(item as object)) continue;
    seen.add(item as object);
    size += OBJECT_OVERHEAD;
    if (ArrayBuffer.isView(item)) size += item.byteLength;
    else if (item instanceof ArrayBuffer) size += item.byteLength;
    else if (item instanceof Date) size += 8;
    else if (item instanceof Map) for (const [k, v] of item) pending.push(k, v);
    else if (item instanceof Set) for (const v of item) pending.push(v);
    else if (Array.isArray(item)) for (const v of item) pending.push(v);
    else
      for (const k in item as Record<string, unknown>) {
        size += 2 * k.length;
        pending.push((item as Record<string, unknown>)[k]);
      }
  }
  return size;
}
