import { Hono } from 'hono';
import { z } from 'zod';
import { BODY_PROBLEMS, describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';
import { HttpError } from '../../../core/problem.ts';
import { parseOrThrow } from '../../../core/validation.ts';
import { Uuid } from '../../../core/wire.ts';
import { jsonBody } from '../http/body.ts';
import type { OriginEnv } from '../http/context.ts';

const TitleParam = z.strictObject({ titleId: Uuid });
const MaturityChange = z.strictObject({
  /** A code of `maturity_ratings`, e.g. "TV-MA". */
  rating: z.string().regex(/^[A-Z0-9-]{1,10}$/, 'must be a rating code such as "PG-13"'),
});
const MaturityChanged = z.strictObject({ titleId: Uuid, rating: z.string() });

const setMaturityDoc: OperationSpec = {
  operationId: 'setTitleMaturity',
  summary: "Corrects a title's maturity rating",
  description:
    "The homepage's shared rows of this origin are recomputed at once; other origins' and the edge's copies follow within their intervals (docs/home.md).",
  tags: ['operator'],
  security: ['operatorKey'],
  params: TitleParam,
  body: { schema: MaturityChange, example: { rating: 'TV-MA' } },
  responses: { 200: json(MaturityChanged, 'The rating now in force') },
  problems: [...BODY_PROBLEMS, 'not_found', 'unprocessable'],
};

/** Operator corrections to the catalog (mounted under /operator/v1, behind the operator key). */
export const operatorTitles = new Hono<OriginEnv>().put(
  '/titles/:titleId/maturity',
  describeRoute(setMaturityDoc),
  async (c) => {
    const { titleId } = parseOrThrow(TitleParam, c.req.param(), 'path');
    const { rating } = await jsonBody(c, MaturityChange, 'maturity change');
    const { stores, shelves } = c.get('deps');
    const known = await stores.catalog.titleSummaries([titleId]);
    if (!known.has(titleId)) throw new HttpError('not_found', 'No such title');
    if (!(await stores.home.setMaturityRating(titleId, rating))) {
      throw new HttpError('unprocessable', `Unknown maturity rating "${rating}"`);
    }
    shelves.invalidate();
    return c.json({ titleId, rating } satisfies z.infer<typeof MaturityChanged>);
  },
);
