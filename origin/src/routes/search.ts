import { Hono } from 'hono';
import { describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';
import { HttpError } from '../../../core/problem.ts';
import { SearchPage, SearchParams } from '../../../core/search.ts';
import { parseOrThrow } from '../../../core/validation.ts';
import type { OriginEnv } from '../http/context.ts';
import { callerProfile } from '../http/middleware.ts';

/** PostgreSQL cancelled the statement (SQLSTATE 57014, query_canceled): here, the search's own timeout. */
const isStatementTimeout = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '57014';

const searchDoc: OperationSpec = {
  operationId: 'searchTitles',
  summary: "Titles matching a query, at or below the calling profile's maturity level, best first",
  tags: ['catalog'],
  security: ['serviceCredential'],
  query: SearchParams,
  responses: { 200: json(SearchPage, 'One page of hits') },
  problems: ['validation_failed', 'unavailable'],
};

/** Title search for the calling profile: only titles at or below its maturity level are found. */
export const search = new Hono<OriginEnv>().get('/', describeRoute(searchDoc), async (c) => {
  const { maturityLevel } = callerProfile(c.get('caller'));
  const q = parseOrThrow(SearchParams, c.req.query(), 'query');
  try {
    const page = await c.get('deps').stores.search.search({
      q: q.q,
      limit: q.limit,
      cursor: q.cursor,
      maxMaturityLevel: maturityLevel,
    });
    return c.json(page satisfies SearchPage);
  } catch (err) {
    if (err instanceof RangeError) throw new HttpError('validation_failed', 'cursor is not valid for this search');
    if (isStatementTimeout(err)) {
      throw new HttpError('unavailable', 'The search took too long; try again or with fewer words', {
        headers: { 'retry-after': '1' },
      });
    }
    throw err;
  }
});
