/**
 * What the RateLimiter's RPC methods take, for its caller (the edge's http/rate-limit.ts) to
 * import without the Durable Object class; it answers core's `Decision`s.
 */
export type { LimitCheck, LimitRelease } from '../../../core/rate-limit.ts';
