import { Hono } from 'hono';
import { BODY_PROBLEMS, describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';
import { z } from 'zod';
import {
  ContinueWatchingQuery,
  type CompletionThresholds,
  type ContinueWatchingItem,
  ContinueWatchingResponse,
  type ProgressEntry,
} from '../../../core/progress.ts';
import { parseOrThrow } from '../../../core/validation.ts';
import { buildContinueWatching, planContinueWatching } from '../domain/continue-watching.ts';
import { mergeStates } from '../domain/progress.ts';
import type { OriginEnv } from '../http/context.ts';
import { jsonBody, optionalJsonBody } from '../http/body.ts';
import { callerProfile } from '../http/middleware.ts';
import type { Stores, TitleSummary } from '../stores/types.ts';

/**
 * Continue Watching for one profile: stored progress merged with the buffer's unflushed states,
 * or, when the buffer says its states are `complete` (it learned the profile's stored progress),
 * those states alone. The homepage's Continue Watching row is this list too.
 */
export async function continueWatchingFor(
  stores: Stores,
  profile: { profileId: string; maturityLevel: number },
  pending: readonly ProgressEntry[],
  limit: number,
  thresholds: CompletionThresholds,
  complete = false,
): Promise<{ items: ContinueWatchingItem[]; titles: Map<string, TitleSummary> }> {
  // One read of the profile's partition: its progress with its hidden items, or, when the buffer
  // knows every state, the hidden items alone (none to look for when nothing is in progress).
  const { records: stored, hidden } = complete
    ? {
        records: [],
        hidden: pending.length === 0 ? new Map<string, Date>() : await stores.progress.hiddenItems(profile.profileId),
      }
    : await stores.progress.listWithHidden(profile.profileId);
  const states = mergeStates(stored, pending);
  const titles = await stores.catalog.titleSummaries([...states.keys()]);
  const candidates = planContinueWatching(states, titles, thresholds);
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
  // Title summaries and next episodes are kept in memory (stores/cached-catalog.ts): no query once warm.
  const next = await stores.catalog.nextEpisodes(afterRefs);
  for (const summary of next.values()) titles.set(summary.id, summary);
  return { items: buildContinueWatching(candidates, next, hidden, profile.maturityLevel, limit), titles };
}

const ItemParams = z.strictObject({ itemId: z.uuid() });
const QUERY_BODY_BYTES = 256 * 1024;

const listDoc: OperationSpec = {
  operationId: 'continueWatching',
  summary: "The calling profile's Continue Watching row, merged with buffered states",
  tags: ['internal'],
  security: ['serviceCredential'],
  body: { schema: ContinueWatchingQuery },
  responses: { 200: json(ContinueWatchingResponse, 'The row, newest first') },
  problems: BODY_PROBLEMS,
};
const hideDoc: OperationSpec = {
  operationId: 'hideContinueWatchingItem',
  summary: 'Hide a title from Continue Watching',
  tags: ['internal'],
  security: ['serviceCredential'],
  params: ItemParams,
  body: { schema: z.strictObject({}), required: false },
  responses: { 204: { description: 'Hidden' } },
  problems: BODY_PROBLEMS,
};

/** The profile's Continue Watching row (merged with the buffer's unflushed states), and hiding items. */
export const continueWatching = new Hono<OriginEnv>()
  .post('/', describeRoute(listDoc), async (c) => {
    const { profileId, maturityLevel } = callerProfile(c.get('caller'));
    const body = await jsonBody(c, ContinueWatchingQuery, 'continue-watching query', QUERY_BODY_BYTES);
    const { stores, completion } = c.get('deps');
    const { items } = await continueWatchingFor(
      stores,
      { profileId, maturityLevel },
      body.pending,
      body.limit,
      completion,
      body.complete,
    );
    return c.json({ items } satisfies ContinueWatchingResponse);
  })
  .delete('/:itemId', describeRoute(hideDoc), async (c) => {
    const { profileId } = callerProfile(c.get('caller'));
    const { itemId } = parseOrThrow(ItemParams, c.req.param(), 'path');
    await optionalJsonBody(c, z.strictObject({}));
    await c.get('deps').stores.progress.hide(profileId, itemId, new Date());
    return c.body(null, 204);
  });
