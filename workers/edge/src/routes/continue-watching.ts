import { Hono } from 'hono';
import { describeRoute, json, type OperationSpec } from '../../../../core/api/openapi.ts';
import { z } from 'zod';
import {
  ContinueWatchingParams,
  ContinueWatchingResponse,
  MAX_FLUSH_ENTRIES,
  type ContinueWatchingQuery,
} from '../../../../core/progress.ts';
import { parseOrThrow } from '../../../../core/validation.ts';
import { Uuid } from '../../../../core/wire.ts';
import { profileIdentity, requireUser } from '../http/auth.ts';
import type { EdgeEnv } from '../http/context.ts';
import { callOrigin } from '../origin.ts';
import { allProgress } from '../progress-reads.ts';

const ItemIdParam = z.strictObject({ itemId: Uuid });

const listDoc: OperationSpec = {
  operationId: 'continueWatching',
  summary: "The profile's Continue Watching row",
  description:
    "Started and not finished, newest first; includes heartbeats the buffer has not flushed yet. Progress comes from the profile's buffer, titles from the catalog.",
  tags: ['progress'],
  security: ['profileToken'],
  query: ContinueWatchingParams,
  responses: { 200: json(ContinueWatchingResponse, 'The row, newest first') },
  problems: ['validation_failed', 'origin_unavailable', 'unavailable'],
};
const hideDoc: OperationSpec = {
  operationId: 'hideContinueWatchingItem',
  summary: 'Hide a title from Continue Watching',
  description: 'Until the profile watches it again.',
  tags: ['progress'],
  security: ['profileToken'],
  params: ItemIdParam,
  responses: { 204: { description: 'Hidden' } },
  problems: ['validation_failed', 'origin_unavailable', 'unavailable'],
};

/**
 * The profile's Continue Watching row, and hiding an item. The buffer's states are the profile's
 * progress (`complete`): the origin only adds the catalog (titles, next episodes) and hidden items.
 * When the buffer has let stored titles go (past its bound) or holds more states than a query
 * carries, the origin also reads the stored ones and merges them by the rule, as before.
 */
export const continueWatching = new Hono<EdgeEnv>()
  .use('*', requireUser('profile'))
  .get('/', describeRoute(listDoc), async (c) => {
    const { limit } = parseOrThrow(ContinueWatchingParams, c.req.query(), 'query');
    const who = profileIdentity(c);
    const known = await allProgress(c, who);
    const complete = known.complete && known.entries.length <= MAX_FLUSH_ENTRIES;
    // Newest first, so a cut keeps the states the row shows; merged by the rule when the store is read.
    const pending = known.entries.slice(0, MAX_FLUSH_ENTRIES);
    return callOrigin(c, {
      method: 'POST',
      path: '/internal/v1/continue-watching',
      body: { limit, pending, complete } satisfies ContinueWatchingQuery,
      caller: who,
    });
  })
  .delete('/:itemId', describeRoute(hideDoc), async (c) => {
    const { itemId } = parseOrThrow(ItemIdParam, c.req.param(), 'path');
    return callOrigin(c, {
      method: 'DELETE',
      path: `/internal/v1/continue-watching/${itemId}`,
      caller: profileIdentity(c),
    });
  });
