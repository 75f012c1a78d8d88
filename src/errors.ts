/**
 * Every error edgecache raises on purpose is an `EdgecacheError` with a stable `code`, so callers
 * can branch on the code and users can act on the message. Platform exceptions (a KV quota, an
 * IndexedDB abort) are wrapped with `STORE_FAILED` and keep the original as `cause`.
 */
export type EdgecacheErrorCode =
  | "INVALID_KEY"
  | "KEY_TOO_LONG"
  | "INVALID_OPTION"
  | "INVALID_TAG"
  | "TOO_MANY_TAGS"
  | "VALUE_NOT_STORABLE"
  | "VALUE_TOO_LARGE"
  | "INVALID_PATTERN"
  | "INVALID_CRON"
  | "UNKNOWN_POLICY"
  | "UNKNOWN_TASK"
  | "DUPLICATE_TASK"
  | "UNSUPPORTED_BY_STORE"
  | "STORE_FAILED"
  | "CORRUPT_RECORD";

export class EdgecacheError extends Error {
  override readonly name = "EdgecacheError";
  readonly code: EdgecacheErrorCode;

  constructor(code: EdgecacheErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isEdgecacheError(error: unknown, code?: EdgecacheErrorCode): error is EdgecacheError {
  return error instanceof EdgecacheError && (code === undefined || error.code === code);
}

/** Wraps a store's platform exception, leaving edgecache's own errors untouched. */
export function storeFailure(store: string, operation: string, cause: unknown): EdgecacheError {
  if (cause instanceof EdgecacheError) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new EdgecacheError("STORE_FAILED", `${store} store: ${operation} failed: ${reason}`, { cause });
}
