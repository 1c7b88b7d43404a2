/**
 * What the RateLimiter's RPC method takes, for its caller (the edge's http/rate-limit.ts) to
 * import without the Durable Object class; it answers core's `Decision`s.
 */

/** One limit to check: the key and the rule it is counted under. */
export interface LimitCheck {
  key: string;
  limit: number;
  windowMs: number;
}
