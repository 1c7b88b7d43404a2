import { Hono } from 'hono';
import { BODY_PROBLEMS, describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';
import { z } from 'zod';
import { ContinueWatchingQuery, ContinueWatchingResponse } from '../../../core/progress.ts';
import { parseOrThrow } from '../../../core/validation.ts';
import type { OriginEnv } from '../http/context.ts';
import { jsonBody, optionalJsonBody } from '../http/body.ts';
import { callerProfile } from '../http/middleware.ts';
import { continueWatchingFor } from '../services/continue-watching.ts';

const ItemParams = z.strictObject({ itemId: z.uuid() });
const QUERY_BODY_BYTES = 256 * 1024;

const listDoc: OperationSpec = {
  operationId: 'continueWatching',
  summary: "The calling profile's Continue Watching row, merged with buffered states",
  tags: ['internal'],
  security: ['serviceCredential'],
  body: { schema: ContinueWatchingQuery },
  responses: { 200: json(ContinueWatchingResponse, 'The row, newest first') },
  problems: BODY_PROBLEMS,
};
const hideDoc: OperationSpec = {
  operationId: 'hideContinueWatchingItem',
  summary: 'Hide a title from Continue Watching',
  tags: ['internal'],
  security: ['serviceCredential'],
  params: ItemParams,
  body: { schema: z.strictObject({}), required: false },
  responses: { 204: { description: 'Hidden' } },
  problems: BODY_PROBLEMS,
};

/** The profile's Continue Watching row (merged with the buffer's unflushed states), and hiding items. */
export const continueWatching = new Hono<OriginEnv>()
  .post('/', describeRoute(listDoc), async (c) => {
    const { profileId, maturityLevel } = callerProfile(c.get('caller'));
    const body = await jsonBody(c, ContinueWatchingQuery, 'continue-watching query', QUERY_BODY_BYTES);
    const { stores, completion } = c.get('deps');
    const { items } = await continueWatchingFor(
      stores,
      { profileId, maturityLevel },
      body.pending,
      body.limit,
      completion,
    );
    return c.json({ items });
  })
  .delete('/:itemId', describeRoute(hideDoc), async (c) => {
    const { profileId } = callerProfile(c.get('caller'));
    const { itemId } = parseOrThrow(ItemParams, c.req.param(), 'path');
    await optionalJsonBody(c, z.strictObject({}));
    await c.get('deps').stores.progress.hide(profileId, itemId, new Date());
    return c.body(null, 204);
  });
