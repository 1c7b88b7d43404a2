import { Hono } from 'hono';
import { describeRoute, json, type OperationSpec } from '../../../../core/api/openapi.ts';
import * as example from '../../../../core/api/examples.ts';
import { TitleDetail, TitleIdParams, TitleListParams, TitlePage } from '../../../../core/catalog.ts';
import { parseOrThrow } from '../../../../core/validation.ts';
import { profileIdentity, requireUser } from '../http/auth.ts';
import type { EdgeEnv } from '../http/context.ts';
import { callOrigin } from '../origin.ts';

const listDoc: OperationSpec = {
  operationId: 'listTitles',
  summary: 'Browse the catalog',
  description: "Titles at or below the profile's maturity level, paged with `nextCursor`.",
  tags: ['browse'],
  security: ['profileToken'],
  query: TitleListParams,
  responses: { 200: json(TitlePage, 'One page of titles', { items: [example.TITLE_CARD], nextCursor: null }) },
  problems: ['validation_failed', 'origin_unavailable', 'unavailable'],
};
const detailDoc: OperationSpec = {
  operationId: 'getTitle',
  summary: 'One title, with its seasons and episodes',
  tags: ['browse'],
  security: ['profileToken'],
  params: TitleIdParams,
  responses: { 200: json(TitleDetail, 'The title', { ...example.TITLE_CARD, credits: [], seasons: [] }) },
  problems: ['validation_failed', 'not_found', 'forbidden', 'origin_unavailable', 'unavailable'],
};

/** Catalog browsing for the calling profile (the origin filters by its maturity level). */
export const catalog = new Hono<EdgeEnv>()
  .use('*', requireUser('profile'))
  .get('/', describeRoute(listDoc), async (c) => {
    const q = parseOrThrow(TitleListParams, c.req.query(), 'query');
    const query = new URLSearchParams(
      Object.entries(q)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, String(v)]),
    );
    return callOrigin(c, { method: 'GET', path: `/v1/titles?${query}`, caller: profileIdentity(c) });
  })
  .get('/:titleId', describeRoute(detailDoc), async (c) => {
    const { titleId } = parseOrThrow(TitleIdParams, c.req.param(), 'path');
    return callOrigin(c, { method: 'GET', path: `/v1/titles/${titleId}`, caller: profileIdentity(c) });
  });
