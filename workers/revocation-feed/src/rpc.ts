/**
 * How callers reach the RevocationFeed Durable Object, without importing its class: the edge's
 * relay appends to it, every isolate's view reads it (workers/edge/src/http/session-guard.ts).
 */
export type { FeedPage, Revocation } from '../../../core/revocation-feed.ts';

/**
 * The one feed every edge reads. To shard it when one object's throughput is not enough: name the
 * object `global-<n>` for `n = hash(accountId) % shards`, append each revocation to its account's
 * shard, and give every isolate one view per shard (each with its own seq); a lookup then needs the
 * account (every token names it) to pick the view. Reads stay one call per shard per isolate per
 * `FEED_MAX_AGE_MS`, so shards multiply the reads an isolate makes: shard only for write volume.
 */
export const FEED_OBJECT_NAME = 'global';

/** The feed's stub (a Durable Object namespace binding and the object's name). */
export function feedOf(env: Env, name: string = FEED_OBJECT_NAME) {
  return env.REVOCATION_FEED.get(env.REVOCATION_FEED.idFromName(name));
}
