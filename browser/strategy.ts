import { Strategy, type StrategyHandler, type StrategyOptions } from "workbox-strategies";
import type { HttpCache } from "../src/index.js";

export interface EdgecacheStrategyOptions extends StrategyOptions {
  /** The HTTP cache that answers (or a promise of it: IndexedDB opens asynchronously). */
  http: HttpCache | Promise<HttpCache>;
  /** Runs before a navigation is answered (the purge sync), waiting at most `beforeNavigationMs`. */
  beforeNavigation?: () => Promise<unknown>;
  /** Longest wait for `beforeNavigation` before answering anyway (it then finishes in the background). Default 1,500 ms. */
  beforeNavigationMs?: number;
}

/**
 * A Workbox strategy backed by edgecache: register it with workbox-routing like any other.
 *
 *   registerRoute(({ sameOrigin }) => sameOrigin, new EdgecacheStrategy({ http }))
 *
 * A fresh entry is answered from IndexedDB without the network; a stale one is answered at once
 * and refreshed through the event's waitUntil; when the network or the origin fails, a stored
 * copy stands in (stale-if-error). The origin is reached through the handler's fetch, so Workbox
 * plugins (requestWillFetch, fetchDidFail, fetchDidSucceed) see every request. Cache-Control and
 * Vary are honoured; opaque and private responses are passed through, never stored.
 */
export class EdgecacheStrategy extends Strategy {
  readonly #http: Promise<HttpCache>;
  readonly #beforeNavigation: (() => Promise<unknown>) | undefined;
  readonly #beforeNavigationMs: number;

  constructor({ http, beforeNavigation, beforeNavigationMs = 1500, ...options }: EdgecacheStrategyOptions) {
    super({ cacheName: "edgecache (IndexedDB)", ...options });
    this.#http = Promise.resolve(http);
    this.#beforeNavigation = beforeNavigation;
    this.#beforeNavigationMs = beforeNavigationMs;
  }

  protected async _handle(request: Request, handler: StrategyHandler): Promise<Response> {
    if (request.mode === "navigate" && this.#beforeNavigation !== undefined) {
      const work = handler.waitUntil(this.#beforeNavigation().catch(() => undefined));
      await Promise.race([work, new Promise((resolve) => setTimeout(resolve, this.#beforeNavigationMs))]);
    }
    const http = await this.#http;
    return http.handle(request, {
      waitUntil: (promise) => void handler.waitUntil(promise),
      // This cache is the only one on the way: the browser's HTTP cache must neither answer
      // (it would hand back what a purge just removed here) nor keep a second copy.
      origin: (forwarded) => handler.fetch(new Request(forwarded, { cache: "no-store" })),
    });
  }
}
