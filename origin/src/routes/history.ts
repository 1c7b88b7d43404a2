import { Hono } from 'hono';
import { describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';
import { HistoryPage } from '../../../core/api/schemas.ts';
import { HistoryParams } from '../../../core/progress.ts';
import { HttpError } from '../../../core/problem.ts';
import { parseOrThrow } from '../../../core/validation.ts';
import type { OriginEnv } from '../http/context.ts';
import { callerProfile } from '../http/middleware.ts';

const historyDoc: OperationSpec = {
  operationId: 'history',
  summary: "The calling profile's watch history, newest first",
  tags: ['internal'],
  security: ['serviceCredential'],
  query: HistoryParams,
  responses: { 200: json(HistoryPage, 'One page') },
  problems: ['validation_failed'],
};

/** Watch history (completed titles), newest first, paged with an opaque cursor. */
export const history = new Hono<OriginEnv>().get('/', describeRoute(historyDoc), async (c) => {
  const { profileId, maturityLevel } = callerProfile(c.get('caller'));
  const { limit, cursor } = parseOrThrow(HistoryParams, c.req.query(), 'query');
  const { stores } = c.get('deps');
  let page;
  try {
    page = await stores.progress.listHistory(profileId, { limit, cursor });
  } catch (err) {
    if (err instanceof RangeError) throw new HttpError('validation_failed', 'cursor is not valid for this history');
    throw err;
  }
  const titles = await stores.catalog.titleSummaries(page.items.map((h) => h.titleId));
  const items = page.items.flatMap((h) => {
    const t = titles.get(h.titleId);
    if (!t || t.maturityLevel > maturityLevel) return [];
    return [
      {
        contentId: h.titleId,
        seriesId: h.seriesId,
        title: t.seriesName ?? t.name,
        episodeInfo: t.type === 'episode' ? `S${t.seasonNumber}:E${t.episodeNumber}` : null,
        posterUrl: t.posterUrl,
        watchedAt: h.watchedAt.toISOString(),
      },
    ];
  });
  return c.json({ items, nextCursor: page.nextCursor });
});
