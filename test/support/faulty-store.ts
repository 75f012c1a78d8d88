import type { Store } from "../../src/index.js";

type Method = "get" | "invalidationFor" | "set" | "delete" | "invalidate" | "scan" | "getRecord" | "setRecord" | "cleanup";

/**
 * Wraps a real store and lets a test make any method fail or wait: the store contract stays the
 * real one, only the chosen operations misbehave.
 */
export class FaultyStore implements Store {
  readonly name: string;
  readonly capabilities: Store["capabilities"];
  readonly limits: Store["limits"];
  readonly #inner: Store;
  readonly #faults = new Map<Method, () => unknown>();
  readonly calls = new Map<Method, number>();

  constructor(inner: Store) {
    this.#inner = inner;
    this.name = `faulty ${inner.name}`;
    this.capabilities = inner.capabilities;
    this.limits = inner.limits;
  }

  /** Makes `method` throw this error (or run this hook first) until healed. */
  fail(method: Method, error: Error | (() => unknown) = new Error(`${method} failed`)): this {
    this.#faults.set(method, typeof error === "function" ? error : () => Promise.reject(error));
    return this;
  }

  heal(method?: Method): this {
    if (method === undefined) this.#faults.clear();
    else this.#faults.delete(method);
    return this;
  }

  #call<T>(method: Method, run: () => T | Promise<T>): T | Promise<T> {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    const fault = this.#faults.get(method);
    if (fault === undefined) return run();
    return Promise.resolve(fault()).then(run);
  }

  get(key: string) {
    return this.#call("get", () => this.#inner.get(key));
  }
  invalidationFor(entry: Parameters<Store["invalidationFor"]>[0]) {
    return this.#call("invalidationFor", () => this.#inner.invalidationFor(entry));
  }
  check(entry: Parameters<Store["set"]>[0]) {
    this.#inner.check?.(entry);
  }
  async set(entry: Parameters<Store["set"]>[0]) {
    return this.#call("set", () => this.#inner.set(entry));
  }
  async delete(key: string, ifCreatedAt?: number) {
    return this.#call("delete", () => this.#inner.delete(key, ifCreatedAt));
  }
  async invalidate(...args: Parameters<Store["invalidate"]>) {
    return this.#call("invalidate", () => this.#inner.invalidate(...args));
  }
  async *scan(filter: Parameters<Store["scan"]>[0]) {
    await this.#call("scan", () => undefined);
    yield* this.#inner.scan(filter);
  }
  async getRecord(name: string) {
    return this.#call("getRecord", () => this.#inner.getRecord(name));
  }
  async setRecord(name: string, value: unknown) {
    return this.#call("setRecord", () => this.#inner.setRecord(name, value));
  }
  async cleanup(now: number, inFlightSince: number) {
    return this.#call("cleanup", () => this.#inner.cleanup(now, inFlightSince));
  }
}
