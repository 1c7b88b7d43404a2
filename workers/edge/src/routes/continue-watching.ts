import { Hono } from 'hono';
import { z } from 'zod';
import {
  compareEntries,
  ContinueWatchingParams,
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

/** The profile's Continue Watching row (merged with the buffer's unflushed states), and hiding an item. */
export const continueWatching = new Hono<EdgeEnv>()
  .use('*', requireUser('profile'))
  .get('/', async (c) => {
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
  .delete('/:itemId', async (c) => {
    const { itemId } = parseOrThrow(ItemIdParam, c.req.param(), 'path');
    return callOrigin(c, {
      method: 'DELETE',
      path: `/internal/v1/continue-watching/${itemId}`,
      caller: profileIdentity(c),
    });
  });
