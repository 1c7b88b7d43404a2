import { Hono } from 'hono';
import { TitleIdParams, TitleListParams } from '../../../../core/catalog.ts';
import { parseOrThrow } from '../../../../core/validation.ts';
import { profileIdentity, requireUser } from '../http/auth.ts';
import type { EdgeEnv } from '../http/context.ts';
import { callOrigin } from '../origin.ts';

/** Catalog browsing for the calling profile (the origin filters by its maturity level). */
export const catalog = new Hono<EdgeEnv>()
  .use('*', requireUser('profile'))
  .get('/', async (c) => {
    const q = parseOrThrow(TitleListParams, c.req.query(), 'query');
    const query = new URLSearchParams(
      Object.entries(q)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, String(v)]),
    );
    return callOrigin(c, { method: 'GET', path: `/v1/titles?${query}`, caller: profileIdentity(c) });
  })
  .get('/:titleId', async (c) => {
    const { titleId } = parseOrThrow(TitleIdParams, c.req.param(), 'path');
    return callOrigin(c, { method: 'GET', path: `/v1/titles/${titleId}`, caller: profileIdentity(c) });
  });
