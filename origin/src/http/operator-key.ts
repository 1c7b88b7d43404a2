import { createHash, timingSafeEqual } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import { HttpError } from '../../../core/problem.ts';
import type { OriginEnv } from './context.ts';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Compares secrets in time independent of where they differ (digests first, so lengths match too). */
function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * The operator API (`/operator/v1/*`) answers only `Authorization: Bearer <OPERATOR_API_KEY>`.
 * Subscriber tokens and the edge's service credential are not operator keys: 401. The edge has no
 * route to it, so it is reachable only where the origin is.
 */
export const requireOperator = createMiddleware<OriginEnv>(async (c, next) => {
  const match = /^Bearer (\S+)$/.exec(c.req.header('authorization')?.trim() ?? '');
  if (!match?.[1]) throw new HttpError('unauthenticated', 'Send the operator API key as "Authorization: Bearer <key>"');
  if (!sameSecret(match[1], c.get('deps').operatorApiKey)) {
    throw new HttpError('invalid_token', 'This is not the operator API key');
  }
  await next();
});
