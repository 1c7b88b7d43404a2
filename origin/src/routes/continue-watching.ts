import { Hono } from 'hono';
import { z } from 'zod';
import { ContinueWatchingQuery, type ContinueWatchingResponse } from '../../../core/progress.ts';
import { parseOrThrow } from '../../../core/validation.ts';
import type { OriginEnv } from '../http/context.ts';
import { jsonBody, optionalJsonBody } from '../http/body.ts';
import { callerProfile } from '../http/middleware.ts';
import { continueWatchingFor } from '../services/continue-watching.ts';

const ItemParams = z.strictObject({ itemId: z.uuid() });
const QUERY_BODY_BYTES = 256 * 1024;

/** The profile's Continue Watching row (merged with the buffer's unflushed states), and hiding items. */
export const continueWatching = new Hono<OriginEnv>()
  .post('/', async (c) => {
    const { profileId, maturityLevel } = callerProfile(c.get('caller'));
    const body = await jsonBody(c, ContinueWatchingQuery, 'continue-watching query', QUERY_BODY_BYTES);
    const { stores, completion } = c.get('deps');
    const { items } = await continueWatchingFor(
      stores,
      { profileId, maturityLevel },
      body.pending,
      body.limit,
      completion,
    );
    return c.json({ items } satisfies ContinueWatchingResponse);
  })
  .delete('/:itemId', async (c) => {
    const { profileId } = callerProfile(c.get('caller'));
    const { itemId } = parseOrThrow(ItemParams, c.req.param(), 'path');
    await optionalJsonBody(c, z.strictObject({}));
    await c.get('deps').stores.progress.hide(profileId, itemId, new Date());
    return c.body(null, 204);
  });
