/**
 * What a caller without credentials, or with a profile token and made-up ids, can make the edge
 * spend: a bad segment token costs no origin call and no object-store read, an unknown id reaches
 * the origin once per colo (not once per request), and a heartbeat batch is one catalog call.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureId, sampleSource } from '../../../core/manifest/fixtures.ts';
import { MAX_HEARTBEATS_PER_BATCH, type Heartbeat } from '../../../core/progress.ts';
import { signSegmentToken, type SegmentKeySet } from '../../../core/segment-token.ts';
import type { Identity } from '../../../core/tokens.ts';
import { createEdgeApp } from '../src/app.ts';
import { calm, newOwner, originCallCount, originCalls, playable, profileToken } from '../../test/helpers.ts';

const EDGE = 'https://edge.test';
const KEYS = JSON.parse(env.SEGMENT_SIGNING_KEYS) as SegmentKeySet;
const { titleId } = JSON.parse(env.TEST_PLAYBACK) as { titleId: string };
const avc720 = sampleSource().encodings.find((e) => e.id === fixtureId(4))!;
/** Same kid as the real current key, another secret: a forgery that only the signature check catches. */
const FORGED_KEYS: SegmentKeySet = { current: KEYS.current, keys: { [KEYS.current]: 'f'.repeat(48) } };
const TITLES_PATH = '/internal/v1/titles/';
const sourcePath = (id: string) => `/internal/v1/playback/${id}/`;

const api = (path: string, init: RequestInit = {}) => exports.default.fetch(`${EDGE}${path}`, init);

async function expectProblem(res: Response, status: number, code: string): Promise<{ errors?: { path: string }[] }> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = (await res.json()) as { code: string; errors?: { path: string }[] };
  expect(body.code).toBe(code);
  return body;
}

const sign = (grant: { titleId: string; representationId: string; prefix: string }, keys = KEYS) =>
  signSegmentToken({ ...grant, profileId: crypto.randomUUID() }, keys).then((t) => t.token);

/** The tokens an attacker can make without the key: garbage, a forgery, and a real token for another title. */
async function badTokens(forTitle: string, rep: string, prefix: string): Promise<string[]> {
  const forged = await sign({ titleId: forTitle, representationId: rep, prefix }, FORGED_KEYS);
  const [h, p] = forged.split('.');
  return [
    'x.y.z',
    'garbage',
    forged,
    `${h}.${p}.`, // no signature at all
    await sign({ titleId, representationId: avc720.id, prefix: avc720.storagePrefix }),
  ];
}

describe('a media playlist with a bad segment token', () => {
  it('answers 403 without a single origin call, for a made-up title and representation', async () => {
    const title = crypto.randomUUID();
    const rep = crypto.randomUUID();
    for (const token of await badTokens(title, rep, `media/${title}/avc1-720p-sdr/`)) {
      await expectProblem(await api(`/v1/playback/${title}/hls/${rep}.m3u8?token=${token}`), 403, 'forbidden');
    }
    expect(await originCallCount(sourcePath(title))).toBe(0);
  });

  it('still serves a good token (its title is looked up only once the token holds)', async () => {
    const token = await sign({ titleId, representationId: avc720.id, prefix: avc720.storagePrefix });
    const res = await api(`/v1/playback/${titleId}/hls/${avc720.id}.m3u8?token=${token}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('#EXT-X-ENDLIST');
  });
});

describe('a segment with a bad token', () => {
  /** The edge app over the test bindings, its bucket counting every call made on it. */
  async function fetchCounting(url: string): Promise<{ res: Response; bucketCalls: string[] }> {
    const bucketCalls: string[] = [];
    const MEDIA = new Proxy(env.MEDIA, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          bucketCalls.push(String(prop));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const ctx = createExecutionContext();
    const res = await createEdgeApp().request(url, {}, { ...env, MEDIA }, ctx);
    await waitOnExecutionContext(ctx);
    return { res, bucketCalls };
  }

  it('answers 403 without reading the object store', async () => {
    const title = crypto.randomUUID();
    const prefix = `media/${title}/avc1-720p-sdr/`;
    for (const token of await badTokens(title, crypto.randomUUID(), prefix)) {
      const { res, bucketCalls } = await fetchCounting(`${EDGE}/v1/${prefix}seg-1.m4s?token=${token}`);
      await expectProblem(res, 403, 'forbidden');
      expect(bucketCalls).toEqual([]);
    }
    expect(await originCallCount(sourcePath(title))).toBe(0);
  });

  it('reads the store once the token holds (the count above can see a read)', async () => {
    const token = await sign({ titleId, representationId: avc720.id, prefix: avc720.storagePrefix });
    const { res, bucketCalls } = await fetchCounting(`${EDGE}/v1/${avc720.storagePrefix}seg-404.m4s?token=${token}`);
    await expectProblem(res, 404, 'not_found');
    expect(bucketCalls.length).toBeGreaterThan(0);
  });
});

describe('unknown ids', () => {
  const owners: Identity[] = [];
  async function viewer(): Promise<{ owner: Identity; token: string }> {
    const owner = newOwner();
    owners.push(owner);
    return { owner, token: await profileToken(owner) };
  }
  afterEach(async () => {
    await Promise.all(owners.splice(0).map(calm));
  });
  const movie = playable().find((t) => t.type === 'movie')!;
  const beat = (id: string, i = 0): Heartbeat => ({
    titleId: id,
    positionSeconds: 10,
    durationSeconds: 600,
    eventTime: Date.now() - 1000 * i,
    deviceId: 'tv-1',
  });
  const postBatch = (heartbeats: Heartbeat[], token: string) =>
    api('/v1/progress/batch', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ heartbeats }),
    });

  it('asks the origin for an unknown playback title once, then answers its 404 from the colo', async () => {
    const { token } = await viewer();
    const title = crypto.randomUUID();
    for (let i = 0; i < 2; i += 1) {
      const res = await api(`/v1/playback/${title}/manifest.mpd`, { headers: { authorization: `Bearer ${token}` } });
      await expectProblem(res, 404, 'not_found');
    }
    expect(await originCallCount(sourcePath(title))).toBe(1);
  });

  it('asks the origin about an unknown heartbeat title once, then answers its 404 from the colo', async () => {
    const { owner, token } = await viewer();
    const title = crypto.randomUUID();
    for (let i = 0; i < 2; i += 1) {
      const res = await api('/v1/progress', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(beat(title)),
      });
      await expectProblem(res, 404, 'not_found');
    }
    expect(await originCalls(owner, TITLES_PATH)).toHaveLength(1);
  });

  it(`looks a batch of ${MAX_HEARTBEATS_PER_BATCH} unknown titles up in one origin call, naming every field in its 404`, async () => {
    const { owner, token } = await viewer();
    const heartbeats = Array.from({ length: MAX_HEARTBEATS_PER_BATCH }, (_, i) => beat(crypto.randomUUID(), i));
    const body = await expectProblem(await postBatch(heartbeats, token), 404, 'not_found');
    expect(body.errors?.map((e) => e.path)).toEqual(heartbeats.map((_, i) => `heartbeats.${i}.titleId`));
    expect(await originCalls(owner, TITLES_PATH)).toHaveLength(1);
    // The same batch again: every miss is in the colo's cache, so the origin is not asked.
    await expectProblem(await postBatch(heartbeats, token), 404, 'not_found');
    expect(await originCalls(owner, TITLES_PATH)).toHaveLength(1);
  });

  it('asks the origin only for the titles of a batch the colo has not cached', async () => {
    const { owner, token } = await viewer();
    const first = await postBatch([beat(movie.id)], token);
    expect(first.status).toBe(202);
    const before = (await originCalls(owner, TITLES_PATH)).length;
    expect(before).toBeLessThanOrEqual(1); // 0 when another test already put the movie in the cache
    const unknown = crypto.randomUUID();
    const body = await expectProblem(await postBatch([beat(movie.id), beat(unknown, 1)], token), 404, 'not_found');
    expect(body.errors?.map((e) => e.path)).toEqual(['heartbeats.1.titleId']);
    expect(await originCalls(owner, TITLES_PATH)).toHaveLength(before + 1);
    // Known titles alone: all in the cache, no origin call.
    expect((await postBatch([beat(movie.id, 2)], token)).status).toBe(202);
    expect(await originCalls(owner, TITLES_PATH)).toHaveLength(before + 1);
  });
});
