import { Hono } from 'hono';
import { describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';
import { TitleIdParams } from '../../../core/catalog.ts';
import { HttpError } from '../../../core/problem.ts';
import { TitleSummaryWire } from '../../../core/progress.ts';
import { parseOrThrow } from '../../../core/validation.ts';
import type { OriginEnv } from '../http/context.ts';

const summaryDoc: OperationSpec = {
  operationId: 'titleSummary',
  summary: 'What the edge checks before accepting a heartbeat',
  tags: ['internal'],
  security: ['serviceCredential'],
  params: TitleIdParams,
  responses: { 200: json(TitleSummaryWire, 'Kind, series, duration and maturity level') },
  problems: ['validation_failed', 'not_found'],
};

/** What the edge needs to accept a heartbeat for a title: kind, series, duration, maturity level. */
export const titleSummaries = new Hono<OriginEnv>().get('/:titleId/summary', describeRoute(summaryDoc), async (c) => {
  const { titleId } = parseOrThrow(TitleIdParams, c.req.param(), 'path');
  const summary = (await c.get('deps').stores.catalog.titleSummaries([titleId])).get(titleId);
  if (!summary) throw new HttpError('not_found', `No title ${titleId}`);
  c.header('cache-control', 'max-age=300');
  return c.json({
    id: summary.id,
    type: summary.type,
    seriesId: summary.seriesId,
    durationSeconds: summary.durationSeconds,
    maturityLevel: summary.maturityLevel,
  } satisfies TitleSummaryWire);
});
