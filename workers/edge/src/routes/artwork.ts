/**
 * Artwork: `GET /v1/artwork/<titleId>/<file>?w=<width>`, public (an `<img>` sends no token). The
 * object store holds each rendering once; the first request for one has the origin draw it
 * (origin/src/routes/artwork.ts: sharp does not run in a worker) and stores it, every later one is
 * served from the store. The URL carries a fingerprint of what the image shows, so its bytes never
 * change: a year of `immutable` caching, an ETag and 304s for revalidation.
 */
import { Hono } from 'hono';
import { z } from 'zod';

import { describeRoute, type OperationSpec } from '../../../../core/api/openapi.ts';
import {
  ARTWORK_CONTENT_TYPE,
  ARTWORK_WIDTHS,
  ArtworkParams,
  ArtworkQuery,
  artworkObjectKey,
  artworkWidthOf,
} from '../../../../core/artwork.ts';
import { formatHttpDate } from '../../../../core/http/http-date.ts';
import { evaluatePreconditions } from '../../../../core/http/preconditions.ts';
import { HttpError } from '../../../../core/problem.ts';
import { parseOrThrow } from '../../../../core/validation.ts';
import { coloCache, MISSING, MISSING_KEEP_S, orMissing } from '../colo-cache.ts';
import type { AppContext, EdgeEnv } from '../http/context.ts';
import { callOrigin } from '../origin.ts';

/** A URL's bytes never change (new inputs make a new URL): any cache may keep them for a year. */
export const ARTWORK_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/**
 * Drawing is CPU work: a first page of posters asks for many at once, and a busy origin may take
 * seconds for some. A longer budget than API calls get, and outside the breaker, so cold artwork
 * neither fails early nor opens the breaker for the API.
 */
const DRAW_TIMEOUT_MS = 20_000;
/** URLs the origin has no artwork for, remembered per colo so repeating one costs no origin call. */
const unknown = coloCache('https://artwork.edgeflix.internal', orMissing(z.never()));

const IMAGE = { [ARTWORK_CONTENT_TYPE]: { type: 'string', contentMediaType: ARTWORK_CONTENT_TYPE } };
const artworkDoc = (method: string): OperationSpec => ({
  operationId: method === 'GET' ? 'getArtwork' : 'headArtwork',
  summary: method === 'GET' ? 'A poster, backdrop, logo or episode thumbnail' : 'An artwork image, headers only',
  description: `The URL comes from the catalog (\`posterUrl\`, \`backdropUrl\`); \`w\` is one of ${ARTWORK_WIDTHS.join(', ')}. Cached for a year (\`immutable\`); conditional requests with the ETag answer 304.`,
  tags: ['browse'],
  security: [],
  params: ArtworkParams,
  query: ArtworkQuery,
  responses: {
    200: {
      description: 'The image (WebP)',
      content: IMAGE,
      headers: {
        'x-cache': {
          description: 'Whether the object store had it (hit) or the origin drew it just now (miss)',
          schema: { enum: ['hit', 'miss'] },
          required: true,
        },
      },
    },
    304: { description: 'Not modified (If-None-Match / If-Modified-Since)' },
  },
  problems: ['validation_failed', 'not_found', 'precondition_failed', 'origin_unavailable', 'unavailable'],
});

export const artwork = new Hono<EdgeEnv>().on(
  ['GET', 'HEAD'],
  '/:titleId/:file',
  describeRoute(artworkDoc),
  async (c) => {
    const { titleId, file } = parseOrThrow(ArtworkParams, c.req.param(), 'path');
    const width = artworkWidthOf(parseOrThrow(ArtworkQuery, c.req.query(), 'query'));
    const key = artworkObjectKey(titleId, file, width);
    const isGet = c.req.method === 'GET';
    const stored: R2Object | R2ObjectBody | null = isGet ? await c.env.MEDIA.get(key) : await c.env.MEDIA.head(key);
    if (stored) return answer(c, stored, 'body' in stored ? (stored as R2ObjectBody).body : null, 'hit');

    const cacheKey = `/${titleId}/${file}`;
    if (await unknown.get(cacheKey)) throw new HttpError('not_found', `No artwork ${file} for title ${titleId}`);
    const drawn = await callOrigin(c, {
      method: 'GET',
      path: `/internal/v1/artwork/${titleId}/${file}?w=${width}`,
      timeoutMs: DRAW_TIMEOUT_MS,
      breaker: false,
    });
    if (drawn.status === 404) {
      c.executionCtx.waitUntil(unknown.put(cacheKey, MISSING, { keepSeconds: MISSING_KEEP_S }));
      return drawn;
    }
    if (!drawn.ok) return drawn;
    if (drawn.headers.get('content-type') !== ARTWORK_CONTENT_TYPE) {
      throw new Error(`origin drew artwork as ${drawn.headers.get('content-type') ?? 'nothing'}`);
    }
    const bytes = await drawn.arrayBuffer();
    const object = await c.env.MEDIA.put(key, bytes, { httpMetadata: { contentType: ARTWORK_CONTENT_TYPE } });
    return answer(c, object, isGet ? bytes : null, 'miss');
  },
);

/** 304 when the client's copy is current, else the image with its validators and caching fields. */
async function answer(
  c: AppContext,
  object: R2Object,
  body: ReadableStream | ArrayBuffer | null,
  source: 'hit' | 'miss',
): Promise<Response> {
  const outcome = evaluatePreconditions(c.req.raw, { etag: object.httpEtag, lastModified: object.uploaded.getTime() });
  if (outcome === 'not-modified' || outcome === 'precondition-failed') {
    if (body instanceof ReadableStream) await body.cancel();
    if (outcome === 'precondition-failed') {
      throw new HttpError('precondition_failed', 'A precondition does not hold for this image');
    }
    return new Response(null, {
      status: 304,
      headers: { etag: object.httpEtag, 'cache-control': ARTWORK_CACHE_CONTROL },
    });
  }
  const headers = new Headers({
    'content-type': ARTWORK_CONTENT_TYPE,
    'content-length': String(object.size),
    'cache-control': ARTWORK_CACHE_CONTROL,
    etag: object.httpEtag,
    'last-modified': formatHttpDate(object.uploaded.getTime()),
    'x-cache': source,
  });
  return new Response(c.req.method === 'GET' ? body : null, { status: 200, headers });
}
