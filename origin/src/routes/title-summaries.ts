import { Hono } from 'hono';
import { TitleSummariesRequest, type TitleSummariesResponse } from '../../../core/progress.ts';
import { jsonBody } from '../http/body.ts';
import type { OriginEnv } from '../http/context.ts';

/**
 * What the edge needs to accept heartbeats for up to a batch of titles, in one call: kind, series,
 * duration, maturity level of each title the catalog has (the rest are left out, for a 404 there).
 */
export const titleSummaries = new Hono<OriginEnv>().post('/summaries', async (c) => {
  const { titleIds } = await jsonBody(c, TitleSummariesRequest, 'title summaries request');
  const found = await c.get('deps').stores.catalog.titleSummaries(titleIds);
  return c.json({
    summaries: [...found.values()].map((summary) => ({
      id: summary.id,
      type: summary.type,
      seriesId: summary.seriesId,
      durationSeconds: summary.durationSeconds,
      maturityLevel: summary.maturityLevel,
    })),
  } satisfies TitleSummariesResponse);
});
