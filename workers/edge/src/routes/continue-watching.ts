import { Hono } from 'hono';
import { describeRoute, json, type OperationSpec } from '../../../../core/api/openapi.ts';
import { z } from 'zod';
import {
  compareEntries,
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
import { bufferOf, callBuffer } from '../progress-client.ts';

const ItemIdParam = z.strictObject({ itemId: Uuid });

const listDoc: OperationSpec = {
  operationId: 'continueWatching',
  summary: "The profile's Continue Watching row",
  description: 'Started and not finished, newest first; includes heartbeats the buffer has not flushed yet.',
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

/** The profile's Continue Watching row (merged with the buffer's unflushed states), and hiding an item. */
export const continueWatching = new Hono<EdgeEnv>()
  .use('*', requireUser('profile'))
  .get('/', describeRoute(listDoc), async (c) => {
    const { limit } = parseOrThrow(ContinueWatchingParams, c.req.query(), 'query');
    const unflushed = await callBuffer(() => bufferOf(c.env, profileIdentity(c).profileId).pending());
    // The newest states are the ones the row shows; the query carries at most MAX_FLUSH_ENTRIES.
    const pending = unflushed.sort((a, b) => compareEntries(b, a)).slice(0, MAX_FLUSH_ENTRIES);
    return callOrigin(c, {
      method: 'POST',
      path: '/internal/v1/continue-watching',
      body: { limit, pending } satisfies ContinueWatchingQuery,
      caller: profileIdentity(c),
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
