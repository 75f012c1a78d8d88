/**
 * The edge → browser purge feed's format: what an edge publishes at PURGE_FEED_PATH and a
 * browser cache applies. Shared here because the two sides may not import each other.
 */
export const PURGE_FEED_PATH = "/.well-known/edgecache/purges";

/** One purge: what it covered, and when (edge time, ms since the epoch). */
export interface FeedPurge {
  at: number;
  tags?: string[];
  prefixes?: string[];
  keys?: string[];
  pattern?: string;
  soft: boolean;
}

/** An answer of the feed: the purges after the asked `since`, and the window it vouches for. */
export interface FeedPage {
  /** Edge time of this answer: the next `since`. */
  now: number;
  /** Purges older than this are no longer kept: a client whose `since` is older missed some and must drop everything. */
  oldest: number;
  purges: FeedPurge[];
}
