import { Hono } from 'hono';

import type { PlaybackSource } from '../../../core/manifest/source.ts';
import { TitleIdParams } from '../../../core/catalog.ts';
import { HttpError } from '../../../core/problem.ts';
import { parseOrThrow } from '../../../core/validation.ts';
import type { OriginEnv } from '../http/context.ts';

/**
 * What the edge builds manifests from: the title's whole ladder, the same for every caller (the
 * edge caches it per title and checks the profile's maturity level itself).
 */
export const playback = new Hono<OriginEnv>().get('/:titleId/source', async (c) => {
  const { titleId } = parseOrThrow(TitleIdParams, c.req.param(), 'path');
  const source = await c.get('deps').stores.catalog.playbackSource(titleId);
  if (!source) throw new HttpError('not_found', `No playable media for title ${titleId}`);
  c.header('cache-control', 'max-age=60');
  return c.json(source satisfies PlaybackSource);
});
