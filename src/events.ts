import type { PurgeMode } from "./store.js";

export interface CacheEventMap {
  hit: { key: string; durationMs: number };
  stale: { key: string; durationMs: number; reason: "swr" | "stale-if-error" };
  miss: { key: string; durationMs: number };
  set: { key: string; tags: readonly string[] };
  delete: { key: string };
  purge: { target: string; mode: PurgeMode; count: number };
  revalidate: { key: string; durationMs: number; ok: boolean };
  error: { key?: string; operation: string; error: unknown };
}
export type CacheEventType = keyof CacheEventMap;
export type CacheEvent<T extends CacheEventType = CacheEventType> = { type: T } & CacheEventMap[T];
export type CacheListener<T extends CacheEventType> = (event: CacheEvent<T>) => void;

/**
 * Subscribers per event type. Emitting with nobody listening costs one lookup, and the event
 * object is only built when someone listens. A listener that throws does not break the cache
 * operation: its exception is rethrown from a microtask, so the platform reports it as uncaught
 * (as EventTarget does) instead of the cache swallowing it.
 */
export class EventHub {
  readonly #listeners = new Map<CacheEventType, Set<(event: never) => void>>();

  on<T extends CacheEventType>(type: T, listener: CacheListener<T>): () => void {
    let set = this.#listeners.get(type);
    if (set === undefined) this.#listeners.set(type, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  has(type: CacheEventType): boolean {
    const set = this.#listeners.get(type);
    return set !== undefined && set.size > 0;
  }

  emit<T extends CacheEventType>(type: T, build: () => CacheEventMap[T]): void {
    const set = this.#listeners.get(type);
    if (set === undefined || set.size === 0) return;
    const event = { type, ...build() } as CacheEvent<T>;
    for (const listener of set) {
      try {
        (listener as CacheListener<T>)(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
