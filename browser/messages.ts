/**
 * The conversation between a page and the service worker: requests posted with a
 * MessageChannel port, answered on that port with `{ ok: true, result }` or
 * `{ ok: false, error, code }`.
 */
export type ClientRequest =
  | { type: "purge-tag"; tag: string; soft?: boolean }
  | { type: "purge-prefix"; prefix: string; soft?: boolean }
  | { type: "purge-url"; url: string; soft?: boolean }
  | { type: "stats" }
  | { type: "reset-stats" }
  | { type: "warming-status" }
  | { type: "warm" }
  | { type: "sync-purges" }
  /** A page is open: warm on schedule and sync purges if due. */
  | { type: "tick" };

export type ClientAnswer = { ok: true; result: unknown } | { ok: false; error: string; code?: string };

export const MESSAGE_SOURCE = "edgecache";
