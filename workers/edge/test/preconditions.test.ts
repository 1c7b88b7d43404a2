/**
 * Conditional segment requests against the real media route (RFC 9110 §13): the evaluation itself
 * is core/http/preconditions.ts; these check the route asks it and answers each outcome right.
 */
import { SELF, env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureId, sampleSource } from '../../../core/manifest/fixtures.ts';
import { signSegmentToken, type SegmentKeySet } from '../../../core/segment-token.ts';
import { newOwner } from '../../test/helpers.ts';

const { titleId } = JSON.parse(env.TEST_PLAYBACK) as { titleId: string };
const KEYS = JSON.parse(env.SEGMENT_SIGNING_KEYS) as SegmentKeySet;
const EDGE = 'https://edge.test';
const representationId = fixtureId(4);
const prefix = sampleSource().encodings.find((e) => e.id === representationId)!.storagePrefix;
const BYTES = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 256);
const DATE_1990 = 'Mon, 01 Jan 1990 00:00:00 GMT';

let url: string;
let etag: string;
let lastModified: string;

async function fetchSegment(headers: Record<string, string>, method = 'GET'): Promise<Response> {
  return SELF.fetch(url, { method, headers });
}

async function expectProblem(res: Response, status: number, code: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  const body = (await res.json()) as { code: string; instance?: string };
  expect(body.code).toBe(code);
  expect(body.instance).toBe(new URL(url).pathname);
}

async function expectWhole(res: Response): Promise<void> {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-length')).toBe(String(BYTES.length));
  expect(new Uint8Array(await res.arrayBuffer())).toEqual(BYTES);
}

beforeAll(async () => {
  await env.MEDIA.put(`${prefix}seg-3.m4s`, BYTES);
  const { token } = await signSegmentToken(
    { titleId, representationId, prefix, profileId: newOwner().profileId },
    KEYS,
  );
  url = `${EDGE}/v1/${prefix}seg-3.m4s?token=${token}`;
  const res = await SELF.fetch(url);
  await res.arrayBuffer();
  etag = res.headers.get('etag')!;
  lastModified = res.headers.get('last-modified')!;
  expect(etag).toMatch(/^"[^"]+"$/);
  expect(lastModified).toMatch(/ GMT$/);
});

describe('If-None-Match and If-Modified-Since on segments', () => {
  it('sends the whole segment for an If-None-Match that is no entity-tag (x, the ETag unquoted)', async () => {
    await expectWhole(await fetchSegment({ 'if-none-match': 'x' }));
    await expectWhole(await fetchSegment({ 'if-none-match': etag.slice(1, -1) }));
    await expectWhole(await fetchSegment({ 'if-none-match': '"other", ,' }));
  });

  it('answers 304 with ETag and Cache-Control and no body for the ETag, weak or in a list, on GET and HEAD', async () => {
    for (const value of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      for (const method of ['GET', 'HEAD']) {
        const res = await fetchSegment({ 'if-none-match': value }, method);
        expect(res.status, `${method} ${value}`).toBe(304);
        expect(res.headers.get('etag')).toBe(etag);
        expect(res.headers.get('cache-control')).toMatch(/immutable/);
        expect(await res.text()).toBe('');
      }
    }
  });

  it('answers 304 to If-Modified-Since at Last-Modified, unless an If-None-Match says otherwise', async () => {
    expect((await fetchSegment({ 'if-modified-since': lastModified })).status).toBe(304);
    await expectWhole(await fetchSegment({ 'if-modified-since': DATE_1990 }));
    await expectWhole(await fetchSegment({ 'if-modified-since': 'not a date' }));
    await expectWhole(await fetchSegment({ 'if-modified-since': lastModified, 'if-none-match': '"other"' }));
  });
});

describe('If-Match and If-Unmodified-Since on segments', () => {
  it('answers 412 precondition_failed for If-Match x, the ETag unquoted, another tag or a weak ETag', async () => {
    for (const value of ['x', etag.slice(1, -1), '"bogus"', `W/${etag}`]) {
      await expectProblem(await fetchSegment({ 'if-match': value }), 412, 'precondition_failed');
    }
  });

  it('answers 412 for If-Unmodified-Since before the upload, even beside a matching If-None-Match', async () => {
    await expectProblem(await fetchSegment({ 'if-unmodified-since': DATE_1990 }), 412, 'precondition_failed');
    const both = await fetchSegment({ 'if-unmodified-since': DATE_1990, 'if-none-match': etag });
    await expectProblem(both, 412, 'precondition_failed');
    const head = await fetchSegment({ 'if-match': '"bogus"' }, 'HEAD');
    expect(head.status).toBe(412);
  });

  it('serves the segment when If-Match names its ETag (If-Unmodified-Since then ignored)', async () => {
    await expectWhole(await fetchSegment({ 'if-match': `"other", ${etag}` }));
    await expectWhole(await fetchSegment({ 'if-match': '*' }));
    await expectWhole(await fetchSegment({ 'if-match': etag, 'if-unmodified-since': DATE_1990 }));
    await expectWhole(await fetchSegment({ 'if-unmodified-since': lastModified }));
  });
});

describe('If-Range and Range on segments', () => {
  const range = 'bytes=100-199';

  it('answers 206 for the range under an If-Range with the ETag or an If-Match that holds', async () => {
    const cases: Record<string, string>[] = [{ range }, { range, 'if-range': etag }, { range, 'if-match': etag }];
    for (const headers of cases) {
      const res = await fetchSegment(headers);
      expect(res.status).toBe(206);
      expect(res.headers.get('content-range')).toBe('bytes 100-199/1000');
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(BYTES.slice(100, 200));
    }
  });

  it('sends 200 and the whole segment for an If-Range with another tag, a weak tag or an invalid value', async () => {
    for (const value of ['"other"', `W/${etag}`, 'x', etag.slice(1, -1), DATE_1990]) {
      await expectWhole(await fetchSegment({ range, 'if-range': value }));
    }
  });

  it('answers 206 for an If-Range with the exact Last-Modified date once that date is a second old', async () => {
    const modified = Date.parse(lastModified);
    // Last-Modified is a strong validator only a second after the upload (RFC 9110 §8.8.2.2).
    while (Date.now() < modified + 2000) await new Promise((r) => setTimeout(r, 250));
    const res = await fetchSegment({ range, 'if-range': lastModified });
    expect(res.status).toBe(206);
    await res.arrayBuffer();
  });

  it('ignores Range on HEAD (ranges are defined for GET only): 200 with the whole length', async () => {
    const res = await fetchSegment({ range }, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(BYTES.length));
    expect(res.headers.get('content-range')).toBeNull();
  });

  it('evaluates preconditions before the range: 304 beats an unsatisfiable range', async () => {
    expect((await fetchSegment({ range: 'bytes=5000-', 'if-none-match': etag })).status).toBe(304);
    const past = await fetchSegment({ range: 'bytes=5000-' });
    expect(past.status).toBe(416);
  });
});
