import { Hono } from 'hono';
import { describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';

import { TitleIdParams } from '../../../core/catalog.ts';
import { PlaybackSource } from '../../../core/manifest/source.ts';
import { HttpError } from '../../../core/problem.ts';
import { parseOrThrow } from '../../../core/validation.ts';
import type { OriginEnv } from '../http/context.ts';

const sourceDoc: OperationSpec = {
  operationId: 'playbackSource',
  summary: "A title's whole ladder, for the edge to build manifests from",
  tags: ['internal'],
  security: ['serviceCredential'],
  params: TitleIdParams,
  responses: { 200: json(PlaybackSource, 'Encodings, audio and subtitle tracks') },
  problems: ['validation_failed', 'not_found'],
};

/**
 * What the edge builds manifests from: the title's whole ladder, the same for every caller (the
 * edge caches it per title and checks the profile's maturity level itself).
 */
export const playback = new Hono<OriginEnv>().get('/:titleId/source', describeRoute(sourceDoc), async (c) => {
  const { titleId } = parseOrThrow(TitleIdParams, c.req.param(), 'path');
  const source = await c.get('deps').stores.catalog.playbackSource(titleId);
  if (!source) throw new HttpError('not_found', `No playable media for title ${titleId}`);
  c.header('cache-control', 'max-age=60');
  return c.json(source satisfies PlaybackSource);
});
