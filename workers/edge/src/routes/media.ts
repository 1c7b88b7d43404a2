/**
 * Segment delivery: `GET /v1/<storage key>?token=…` (keys start with `media/`). The segment token
 * is the only credential (players cannot add headers to segment requests): verified before the
 * object store is touched, then the object from R2 with its content type, byte ranges, an ETag and
 * long-lived cache headers (a key's bytes never change).
 *
 * Conditional requests follow RFC 9110 §13 as core/http/preconditions.ts evaluates them, not
 * R2's `onlyIf`: R2 throws on a malformed entity-tag and answers a failed If-Match the way it
 * answers a matching If-None-Match, where the RFC wants 412 and 304 apart.
 */
import { Hono } from 'hono';
import { z } from 'zod';

import { describeRoute, type OperationSpec } from '../../../../core/api/openapi.ts';
import { formatHttpDate } from '../../../../core/http/http-date.ts';
import { evaluatePreconditions } from '../../../../core/http/preconditions.ts';
import { HttpError } from '../../../../core/problem.ts';
import { segmentTokenFromUrl, verifySegmentToken } from '../../../../core/segment-token.ts';
import type { AppContext, EdgeEnv } from '../http/context.ts';
import { checkSegmentSession } from '../http/session-guard.ts';
import { isolateMetrics, timed } from '../../../shared/isolate-metrics.ts';
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
    416: { description: 'The range is outside the object' },
  },
  // 412 (If-Match / If-Unmodified-Since failed) is a problem document, like the refusals.
  problems: ['forbidden', 'session_revoked', 'not_found', 'precondition_failed', 'unavailable'],
});

export const media = new Hono<EdgeEnv>().on(['GET', 'HEAD'], '/*', describeRoute(mediaDoc), async (c) => {
  const url = new URL(c.req.url);
  // The key exactly as it appears in the URL (not decoded): the token check refuses any escape.
  const key = url.pathname.slice('/v1/'.length);
  try {
    const claims = await timed('edge_token_seconds', { kind: 'segment_verify' }, () =>
      verifySegmentToken(segmentTokenFromUrl(url), segmentKeys(c.env), { path: key }),
    );
    await checkSegmentSession(c, claims);
  } catch (err) {
    // A player that was handed a manifest and cannot fetch its segments: a playback error.
    isolateMetrics.count('streaming_playback_errors_total', {
      reason: `segment_${err instanceof HttpError ? err.code : 'internal'}`,
    });
    throw err;
  }
  return deliver(c, key);
});

/**
 * One R2 call for the common cases: a plain GET reads the object at once; HEAD, and a GET with a
 * Range (which needs the size first), read its metadata, then the bytes only if they are sent.
 * Preconditions come after the token and the 404 (RFC 9110 §13.2.1), before the Range.
 */
async function deliver(c: AppContext, key: string): Promise<Response> {
  const isGet = c.req.method === 'GET';
  const rangeHeader = isGet ? c.req.header('range') : undefined;
  const first: R2Object | R2ObjectBody | null =
    isGet && rangeHeader === undefined ? await c.env.MEDIA.get(key) : await c.env.MEDIA.head(key);
  if (!first) throw notFound(key);
  const body = 'body' in first ? (first as R2ObjectBody).body : null;
  const outcome = evaluatePreconditions(c.req.raw, { etag: first.httpEtag, lastModified: first.uploaded.getTime() });
  if (outcome === 'not-modified' || outcome === 'precondition-failed') {
    await body?.cancel();
    if (outcome === 'precondition-failed') {
      throw new HttpError('precondition_failed', `A precondition does not hold for ${key}`);
    }
    // RFC 9110 §15.4.5: the validator and caching fields a 200 would carry, no representation metadata.
    return new Response(null, { status: 304, headers: { etag: first.httpEtag, 'cache-control': CACHE_CONTROL } });
  }
  if (outcome === 'ranged' && rangeHeader !== undefined) {
    const span = parseRange(rangeHeader, first.size);
    if (span === 'unsatisfiable') {
      const headers = objectHeaders(key, first);
      headers.set('content-range', `bytes */${first.size}`);
      return new Response(null, { status: 416, headers });
    }
    // Several ranges, or a malformed header: RFC 9110 lets a server ignore Range and send it all.
    if (span !== 'ignore') return partial(c, key, span);
  }
  const headers = objectHeaders(key, first);
  headers.set('content-length', String(first.size));
  if (!isGet) return new Response(null, { status: 200, headers });
  const whole = body ?? (await c.env.MEDIA.get(key))?.body;
  if (!whole) throw notFound(key);
  return new Response(whole, { status: 200, headers });
}

async function partial(c: AppContext, key: string, span: { start: number; end: number }): Promise<Response> {
  const object = await c.env.MEDIA.get(key, { range: { offset: span.start, length: span.end - span.start + 1 } });
  if (!object) throw notFound(key);
  const headers = objectHeaders(key, object);
  headers.set('content-range', `bytes ${span.start}-${span.end}/${object.size}`);
  headers.set('content-length', String(span.end - span.start + 1));
  return new Response(object.body, { status: 206, headers });
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
  headers.set('last-modified', formatHttpDate(object.uploaded.getTime()));
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
