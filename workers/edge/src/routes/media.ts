/**
 * Segment delivery: `GET /v1/<storage key>?token=…` (keys start with `media/`). The segment token
 * is the only credential (players cannot add headers to segment requests): verified before the
 * object store is touched, then the object from R2 with its content type, byte ranges, an ETag and
 * long-lived cache headers (a key's bytes never change).
 */
import { Hono } from 'hono';
import { z } from 'zod';

import { describeRoute, type OperationSpec } from '../../../../core/api/openapi.ts';
import { HttpError } from '../../../../core/problem.ts';
import { segmentTokenFromUrl, verifySegmentToken } from '../../../../core/segment-token.ts';
import type { AppContext, EdgeEnv } from '../http/context.ts';
import { isolateMetrics, timed } from '../isolate-metrics.ts';
import { segmentKeys } from '../playback/keys.ts';

/** Where the app mounts this group; the object key is the path after `/v1/`. */
export const MEDIA_PATH_PREFIX = '/v1/media/';
/** Objects are immutable per key; the URL carries a token, so a cache keys on it anyway. */
const CACHE_CONTROL = 'public, max-age=86400, immutable';
const BYTES = { type: 'string', contentMediaType: 'application/octet-stream' };

const MEDIA_TYPES = { 'video/mp4': BYTES, 'audio/mp4': BYTES, 'text/vtt': { type: 'string' } };
const mediaDoc = (method: string): OperationSpec => ({
  operationId: method === 'GET' ? 'getMedia' : 'headMedia',
  summary: method === 'GET' ? 'A media object (init segment, segment, subtitles)' : 'A media object, headers only',
  description:
    'The URL comes from a manifest: the storage key (it may contain `/`) and the segment token signed for its prefix. Supports one `bytes=` range and conditional requests.',
  tags: ['playback'],
  security: ['segmentToken'],
  path: `${MEDIA_PATH_PREFIX}{key}`,
  pathParams: z.strictObject({ key: z.string().describe('The rest of the storage key after `media/`') }),
  responses: {
    200: { description: 'The object', content: MEDIA_TYPES },
    206: { description: 'The requested range', content: MEDIA_TYPES },
    304: { description: 'Not modified (If-None-Match / If-Modified-Since)' },
    412: { description: 'A precondition (If-Match / If-Unmodified-Since) failed' },
    416: { description: 'The range is outside the object' },
  },
  problems: ['forbidden', 'not_found'],
});

export const media = new Hono<EdgeEnv>().on(['GET', 'HEAD'], '/*', describeRoute(mediaDoc), async (c) => {
  const url = new URL(c.req.url);
  // The key exactly as it appears in the URL (not decoded): the token check refuses any escape.
  const key = url.pathname.slice('/v1/'.length);
  try {
    await timed('edge_token_seconds', { kind: 'segment_verify' }, () =>
      verifySegmentToken(segmentTokenFromUrl(url), segmentKeys(c.env), { path: key }),
    );
  } catch (err) {
    // A player that was handed a manifest and cannot fetch its segments: a playback error.
    isolateMetrics.count('streaming_playback_errors_total', {
      reason: `segment_${err instanceof HttpError ? err.code : 'internal'}`,
    });
    throw err;
  }
  const range = c.req.header('range');
  return range ? ranged(c, key, range) : whole(c, key);
});

async function whole(c: AppContext, key: string): Promise<Response> {
  const object = await c.env.MEDIA.get(key, { onlyIf: c.req.raw.headers });
  if (!object) throw notFound(key);
  const headers = objectHeaders(key, object);
  if (!('body' in object)) return new Response(null, { status: 304, headers });
  headers.set('content-length', String(object.size));
  return new Response(c.req.method === 'HEAD' ? null : object.body, { status: 200, headers });
}

async function ranged(c: AppContext, key: string, header: string): Promise<Response> {
  const head = await c.env.MEDIA.head(key);
  if (!head) throw notFound(key);
  const span = parseRange(header, head.size);
  // Several ranges, or a malformed header: RFC 9110 lets a server ignore Range and send it all.
  if (span === 'ignore') return whole(c, key);
  if (span === 'unsatisfiable') {
    const headers = objectHeaders(key, head);
    headers.set('content-range', `bytes */${head.size}`);
    return new Response(null, { status: 416, headers });
  }
  const object = await c.env.MEDIA.get(key, { range: { offset: span.start, length: span.end - span.start + 1 } });
  if (!object) throw notFound(key);
  const headers = objectHeaders(key, object);
  headers.set('content-range', `bytes ${span.start}-${span.end}/${object.size}`);
  headers.set('content-length', String(span.end - span.start + 1));
  return new Response(c.req.method === 'HEAD' ? null : object.body, { status: 206, headers });
}

/**
 * One `bytes=` range against an object of `size` bytes (inclusive bounds), per RFC 9110 §14.1.2.
 * Exported for unit tests.
 */
export function parseRange(header: string, size: number): { start: number; end: number } | 'ignore' | 'unsatisfiable' {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return 'ignore';
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return 'ignore';
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return 'ignore';
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

function objectHeaders(key: string, object: R2Object): Headers {
  const headers = new Headers({
    'content-type': contentTypeOf(key, object),
    'accept-ranges': 'bytes',
    'cache-control': CACHE_CONTROL,
    etag: object.httpEtag,
  });
  if (object.uploaded) headers.set('last-modified', object.uploaded.toUTCString());
  return headers;
}

/** The stored content type when the loader set one; otherwise from the key's shape. */
export function contentTypeOf(key: string, object?: Pick<R2Object, 'httpMetadata'>): string {
  const stored = object?.httpMetadata?.contentType;
  if (stored) return stored;
  if (key.endsWith('.vtt')) return 'text/vtt; charset=utf-8';
  const folder = key.split('/').at(-2) ?? '';
  return folder.startsWith('audio-') ? 'audio/mp4' : 'video/mp4';
}

function notFound(key: string): HttpError {
  return new HttpError('not_found', `No media object ${key}`);
}
