import { Hono } from 'hono';
import { describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';
import { TitleDetail, TitleIdParams, TitleListParams, TitlePage } from '../../../core/catalog.ts';
import { HttpError } from '../../../core/problem.ts';
import { parseOrThrow } from '../../../core/validation.ts';
import type { OriginEnv } from '../http/context.ts';
import { callerProfile } from '../http/middleware.ts';

const listDoc: OperationSpec = {
  operationId: 'listTitles',
  summary: "Titles at or below the calling profile's maturity level",
  tags: ['catalog'],
  security: ['serviceCredential'],
  query: TitleListParams,
  responses: { 200: json(TitlePage, 'One page of titles') },
  problems: ['validation_failed'],
};
const detailDoc: OperationSpec = {
  operationId: 'getTitle',
  summary: 'One title, with its seasons and episodes',
  tags: ['catalog'],
  security: ['serviceCredential'],
  params: TitleIdParams,
  responses: { 200: json(TitleDetail, 'The title') },
  problems: ['validation_failed', 'not_found', 'forbidden'],
};

/** Catalog browsing for the calling profile: only titles at or below its maturity level. */
export const catalog = new Hono<OriginEnv>()
  .get('/', describeRoute(listDoc), async (c) => {
    const { maturityLevel } = callerProfile(c.get('caller'));
    const q = parseOrThrow(TitleListParams, c.req.query(), 'query');
    try {
      const page = await c.get('deps').stores.catalog.listTitles({
        limit: q.limit,
        cursor: q.cursor,
        genre: q.genre,
        type: q.type,
        playable: q.playable === undefined ? undefined : q.playable === 'true',
        preparing: q.preparing === undefined ? undefined : q.preparing === 'true',
        maxMaturityLevel: maturityLevel,
      });
      return c.json(page satisfies TitlePage);
    } catch (err) {
      if (err instanceof RangeError) throw new HttpError('validation_failed', 'cursor is not valid for this list');
      throw err;
    }
  })
  .get('/:titleId', describeRoute(detailDoc), async (c) => {
    const { maturityLevel } = callerProfile(c.get('caller'));
    const { titleId } = parseOrThrow(TitleIdParams, c.req.param(), 'path');
    const detail = await c.get('deps').stores.catalog.titleDetail(titleId);
    if (!detail) throw new HttpError('not_found', `No title ${titleId}`);
    if (detail.maturityLevel > maturityLevel) {
      throw new HttpError('forbidden', 'This title is above the profile\u2019s maturity level');
    }
    return c.json(detail);
  });
