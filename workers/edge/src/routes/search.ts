import { Hono } from 'hono';
import { describeRoute, json, type OperationSpec } from '../../../../core/api/openapi.ts';
import * as example from '../../../../core/api/examples.ts';
import { normaliseSearchQuery, SearchPage, SearchParams } from '../../../../core/search.ts';
import { parseOrThrow } from '../../../../core/validation.ts';
import { coloCache } from '../colo-cache.ts';
import { profileIdentity, requireUser } from '../http/auth.ts';
import type { EdgeEnv } from '../http/context.ts';
import { callOrigin } from '../origin.ts';

/** A short while: a title's new rating or a new title shows in search within it. */
export const SEARCH_CACHE_SECONDS = 60;
const cache = coloCache('https://search.edgeflix.internal', SearchPage);

const searchDoc: OperationSpec = {
  operationId: 'searchTitles',
  summary: 'Search the catalog',
  description:
    "Movies and series whose title, original title, cast, crew, genres, keywords or episode names match `q`, typos and prefixes included, best first; only titles at or below the profile's maturity level. Paged with `nextCursor`; the colo caches each page for a minute (`x-cache`).",
  tags: ['browse'],
  security: ['profileToken'],
  query: SearchParams,
  responses: {
    200: {
      ...json(SearchPage, 'One page of hits', {
        items: [{ ...example.TITLE_CARD, matchedEpisode: null }],
        nextCursor: null,
      }),
      headers: {
        'x-cache': {
          description: 'Whether the colo cache answered',
          schema: { enum: ['hit', 'miss'] },
          required: true,
        },
      },
    },
  },
  problems: ['validation_failed', 'origin_unavailable', 'unavailable'],
};

/**
 * Title search for the calling profile. Results depend only on the query and the profile's
 * maturity level, so the colo keeps each page under both for everyone of that level.
 */
export const search = new Hono<EdgeEnv>()
  .use('*', requireUser('profile'))
  .get('/', describeRoute(searchDoc), async (c) => {
    const q = parseOrThrow(SearchParams, c.req.query(), 'query');
    const who = profileIdentity(c);
    const key = `/${who.maturityLevel}/${q.limit}/${q.cursor ?? '-'}?q=${encodeURIComponent(normaliseSearchQuery(q.q))}`;
    const hit = await cache.get(key);
    if (hit) return c.json(hit.value, 200, { 'x-cache': 'hit' });
    const query = new URLSearchParams({ q: q.q, limit: String(q.limit), ...(q.cursor ? { cursor: q.cursor } : {}) });
    const res = await callOrigin(c, { method: 'GET', path: `/v1/search?${query}`, caller: who });
    if (!res.ok) return res;
    const parsed = SearchPage.safeParse(await res.json());
    if (!parsed.success) throw new Error('origin answered a search page that does not match its schema');
    c.executionCtx.waitUntil(cache.put(key, parsed.data, { keepSeconds: SEARCH_CACHE_SECONDS }));
    return c.json(parsed.data, 200, { 'x-cache': 'miss' });
  });
