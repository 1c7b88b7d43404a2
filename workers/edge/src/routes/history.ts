import { Hono } from 'hono';
import { z } from 'zod';
import { parseOrThrow } from '../../../../core/validation.ts';
import { requireUser } from '../http/auth.ts';
import type { EdgeEnv } from '../http/context.ts';
import { callOrigin } from '../origin.ts';

/** Query of GET /v1/history: page size and the opaque cursor of the previous page. */
const HistoryParams = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .regex(/^(?:[0-9a-f]{2}){1,1024}$/, 'must be a cursor from a previous page')
    .optional(),
});

/** Watch history (completed titles), newest first, paged: validated here, read at the origin. */
export const history = new Hono<EdgeEnv>().get('/', requireUser('profile'), async (c) => {
  const { limit, cursor } = parseOrThrow(HistoryParams, c.req.query(), 'query');
  const query = new URLSearchParams({ limit: String(limit) });
  if (cursor !== undefined) query.set('cursor', cursor);
  return callOrigin(c, { method: 'GET', path: `/internal/v1/history?${query}`, user: c.get('user') });
});
