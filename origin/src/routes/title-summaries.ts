import { Hono } from 'hono';
import { BODY_PROBLEMS, describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';
import { TitleSummariesRequest, TitleSummariesResponse } from '../../../core/progress.ts';
import { jsonBody } from '../http/body.ts';
import type { OriginEnv } from '../http/context.ts';

const summariesDoc: OperationSpec = {
  operationId: 'titleSummaries',
  summary: 'What the edge checks before accepting heartbeats, for a batch of titles',
  description: 'Titles the catalog does not have are left out of the answer (the edge answers their 404).',
  tags: ['internal'],
  security: ['serviceCredential'],
  body: { schema: TitleSummariesRequest },
  responses: { 200: json(TitleSummariesResponse, 'Kind, series, duration and maturity level of each known title') },
  problems: BODY_PROBLEMS,
};

/**
 * What the edge needs to accept heartbeats for up to a batch of titles, in one call: kind, series,
 * duration, maturity level of each title the catalog has (the rest are left out, for a 404 there).
 */
export const titleSummaries = new Hono<OriginEnv>().post('/summaries', describeRoute(summariesDoc), async (c) => {
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
