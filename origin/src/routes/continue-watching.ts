import { Hono } from 'hono';
import { z } from 'zod';
import { ContinueWatchingQuery, type ContinueWatchingItem } from '../../../core/progress.ts';
import { parseOrThrow } from '../../../core/validation.ts';
import { buildContinueWatching, planContinueWatching } from '../domain/continue-watching.ts';
import { mergeStates } from '../domain/progress.ts';
import type { OriginEnv } from '../http/context.ts';
import { jsonBody, optionalJsonBody } from '../http/body.ts';
import { callerProfile } from '../http/middleware.ts';

const ItemParams = z.strictObject({ itemId: z.uuid() });
const QUERY_BODY_BYTES = 256 * 1024;

/** The profile's Continue Watching row (merged with the buffer's unflushed states), and hiding items. */
export const continueWatching = new Hono<OriginEnv>()
  .post('/', async (c) => {
    const { profileId, maturityLevel } = callerProfile(c.get('caller'));
    const body = await jsonBody(c, ContinueWatchingQuery, 'continue-watching query', QUERY_BODY_BYTES);
    const { stores, completion } = c.get('deps');
    const [stored, hidden] = await Promise.all([
      stores.progress.listForProfile(profileId),
      stores.progress.hiddenItems(profileId),
    ]);
    const states = mergeStates(stored, body.pending);
    const titles = await stores.catalog.titleSummaries([...states.keys()]);
    const candidates = planContinueWatching(states, titles, completion);
    const afterRefs = candidates.flatMap((cand) =>
      cand.kind === 'next' && cand.after.seriesId && cand.after.seasonNumber && cand.after.episodeNumber
        ? [
            {
              seriesId: cand.after.seriesId,
              seasonNumber: cand.after.seasonNumber,
              episodeNumber: cand.after.episodeNumber,
            },
          ]
        : [],
    );
    const next = await stores.catalog.nextEpisodes(afterRefs);
    const items: ContinueWatchingItem[] = buildContinueWatching(candidates, next, hidden, maturityLevel, body.limit);
    return c.json({ items });
  })
  .delete('/:itemId', async (c) => {
    const { profileId } = callerProfile(c.get('caller'));
    const { itemId } = parseOrThrow(ItemParams, c.req.param(), 'path');
    await optionalJsonBody(c, z.strictObject({}));
    await c.get('deps').stores.progress.hide(profileId, itemId, new Date());
    return c.body(null, 204);
  });
