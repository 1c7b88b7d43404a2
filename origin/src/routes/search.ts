import { Hono } from 'hono';
import { HttpError } from '../../../core/problem.ts';
import { SearchParams, type SearchPage } from '../../../core/search.ts';
import { parseOrThrow } from '../../../core/validation.ts';
import type { OriginEnv } from '../http/context.ts';
import { callerProfile } from '../http/middleware.ts';

/** Title search for the calling profile: only titles at or below its maturity level are found. */
export const search = new Hono<OriginEnv>().get('/', async (c) => {
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
    throw err;
  }
});
