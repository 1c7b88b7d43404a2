import { Hono } from 'hono';
import { describeRoute, type OperationSpec } from '../../../core/api/openapi.ts';
import {
  ARTWORK_CONTENT_TYPE,
  ARTWORK_PATH_PREFIX,
  ArtworkParams,
  ArtworkQuery,
  artworkFingerprint,
  artworkWidthOf,
  parseArtworkFile,
} from '../../../core/artwork.ts';
import { HttpError } from '../../../core/problem.ts';
import { parseOrThrow } from '../../../core/validation.ts';
import { renderArtwork } from '../artwork-render.ts';
import type { OriginEnv } from '../http/context.ts';

const artworkDoc: OperationSpec = {
  operationId: 'renderArtwork',
  summary: 'One artwork image at one width, drawn for the edge to store',
  description:
    'Only for a URL the catalog hands out whose fingerprint still matches the title (an old URL is a 404, never other bytes). The edge stores the answer in its object store and serves it from there.',
  tags: ['internal'],
  security: ['serviceCredential'],
  params: ArtworkParams,
  query: ArtworkQuery,
  responses: {
    200: {
      description: 'The image',
      content: { [ARTWORK_CONTENT_TYPE]: { type: 'string', contentMediaType: ARTWORK_CONTENT_TYPE } },
    },
  },
  problems: ['validation_failed', 'not_found'],
};

/**
 * Draws a title's artwork on demand (sharp is a Node library: the edge cannot draw it). A file is
 * drawn only when the catalog lists exactly that URL for the title and its fingerprint matches
 * the title as it is now, so the set of images is bounded and a URL's bytes never change.
 */
export const artwork = new Hono<OriginEnv>().get('/:titleId/:file', describeRoute(artworkDoc), async (c) => {
  const { titleId, file } = parseOrThrow(ArtworkParams, c.req.param(), 'path');
  const width = artworkWidthOf(parseOrThrow(ArtworkQuery, c.req.query(), 'query'));
  const parsed = parseArtworkFile(file);
  const source = await c.get('deps').stores.catalog.artworkSource(titleId);
  const url = `${ARTWORK_PATH_PREFIX}${titleId}/${file}`;
  const listed = parsed && source?.artwork.find((a) => a.url === url);
  const inputs = parsed &&
    source && { titleId, kind: parsed.kind, variant: parsed.variant, name: source.name, genres: source.genres };
  if (!listed || !inputs || artworkFingerprint(inputs) !== parsed.fingerprint) {
    throw new HttpError('not_found', `No artwork ${file} for title ${titleId}`);
  }
  const bytes = await renderArtwork(inputs, width);
  return c.body(bytes, 200, { 'content-type': ARTWORK_CONTENT_TYPE, 'content-length': String(bytes.byteLength) });
});
