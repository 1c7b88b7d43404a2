import { Hono } from 'hono';
import { describeRoute, json, type OperationSpec } from '../../../../core/api/openapi.ts';
import { HistoryPage } from '../../../../core/api/schemas.ts';
import { HistoryParams } from '../../../../core/progress.ts';
import { parseOrThrow } from '../../../../core/validation.ts';
import { profileIdentity, requireUser } from '../http/auth.ts';
import type { EdgeEnv } from '../http/context.ts';
import { callOrigin } from '../origin.ts';

const historyDoc: OperationSpec = {
  operationId: 'history',
  summary: 'Watch history',
  description: 'Completed titles, newest first; pass `nextCursor` back as `cursor` for the next page.',
  tags: ['progress'],
  security: ['profileToken'],
  query: HistoryParams,
  responses: { 200: json(HistoryPage, 'One page of the history') },
  problems: ['validation_failed', 'origin_unavailable', 'unavailable'],
};

/** Watch history (completed titles), newest first, paged: validated here, read at the origin. */
export const history = new Hono<EdgeEnv>().get('/', describeRoute(historyDoc), requireUser('profile'), async (c) => {
  const { limit, cursor } = parseOrThrow(HistoryParams, c.req.query(), 'query');
  const query = new URLSearchParams({ limit: String(limit) });
  if (cursor !== undefined) query.set('cursor', cursor);
  return callOrigin(c, { method: 'GET', path: `/internal/v1/history?${query}`, caller: profileIdentity(c) });
});
