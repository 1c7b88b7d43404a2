import { Hono } from 'hono';
import { HistoryParams } from '../../../../core/progress.ts';
import { parseOrThrow } from '../../../../core/validation.ts';
import { profileIdentity, requireUser } from '../http/auth.ts';
import type { EdgeEnv } from '../http/context.ts';
import { callOrigin } from '../origin.ts';

/** Watch history (completed titles), newest first, paged: validated here, read at the origin. */
export const history = new Hono<EdgeEnv>().get('/', requireUser('profile'), async (c) => {
  const { limit, cursor } = parseOrThrow(HistoryParams, c.req.query(), 'query');
  const query = new URLSearchParams({ limit: String(limit) });
  if (cursor !== undefined) query.set('cursor', cursor);
  return callOrigin(c, { method: 'GET', path: `/internal/v1/history?${query}`, caller: profileIdentity(c) });
});
