import { runDurableObjectAlarm } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_FUTURE_SKEW_MS, MAX_HEARTBEATS_PER_BATCH, type Heartbeat } from '../../../core/progress.ts';
import {
  bufferFor,
  calm,
  FLUSH_PATH,
  newOwner,
  originCalls,
  playable,
  profileToken,
  storedProgress,
  titleOfType,
} from '../../test/helpers.ts';
import type { Identity } from '../../../core/tokens.ts';

const api = (path: string, init: RequestInit = {}) => exports.default.fetch(`https://edge.test${path}`, init);
const post = (path: string, body: unknown, token?: string, raw?: string) =>
  api(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: raw ?? JSON.stringify(body),
  });
const get = (path: string, token: string) => api(path, { headers: { authorization: `Bearer ${token}` } });

async function expectProblem(res: Response, status: number, code: string, path?: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = (await res.json()) as { code: string; errors?: { path: string }[] };
  expect(body).toMatchObject({ status, code });
  if (path) expect(body.errors?.map((e) => e.path)).toContain(path);
}

const [movie, other] = playable().filter((t) => t.type === 'movie');
const episode = playable().find((t) => t.type === 'episode')!;
const owners: Identity[] = [];
async function viewer(maturityLevel = 50): Promise<{ owner: Identity; token: string }> {
  const owner = newOwner(maturityLevel);
  owners.push(owner);
  return { owner, token: await profileToken(owner) };
}
afterEach(async () => {
  await Promise.all(owners.splice(0).map(calm));
});

function beat(overrides: Partial<Heartbeat> = {}): Heartbeat {
  return {
    titleId: movie!.id,
    positionSeconds: Math.round(movie!.durationSeconds * 0.3),
    durationSeconds: movie!.durationSeconds,
    eventTime: Date.now(),
    deviceId: 'tv-livingroom',
    ...overrides,
  };
}

describe('POST /v1/progress', () => {
  it('answers 202 once the profile’s buffer has stored the heartbeat', async () => {
    const { owner, token } = await viewer();
    const res = await post('/v1/progress', beat({ positionSeconds: 321 }), token);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1, superseded: 0, pending: 1 });
    expect(await bufferFor(owner).pending()).toEqual([expect.objectContaining({ positionSeconds: 321 })]);
  });

  it('shows the profile its own latest position at once, before any flush', async () => {
    const { owner, token } = await viewer();
    const t = Date.now();
    await post('/v1/progress', beat({ positionSeconds: 600, eventTime: t - 10_000 }), token);
    await post('/v1/progress', beat({ positionSeconds: 610, eventTime: t, deviceId: 'phone' }), token);
    await post('/v1/progress', beat({ positionSeconds: 590, eventTime: t - 5_000 }), token); // late
    const res = await get(`/v1/progress/${movie!.id}`, token);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      titleId: movie!.id,
      positionSeconds: 610,
      deviceId: 'phone',
      lastWatchedAt: new Date(t).toISOString(),
      completed: false,
    });
    expect(await originCalls(owner, FLUSH_PATH)).toEqual([]);
  });

  it('still answers the position from Cassandra after the buffer flushed it', async () => {
    const { owner, token } = await viewer();
    await post('/v1/progress', beat({ positionSeconds: 777 }), token);
    await runDurableObjectAlarm(bufferFor(owner));
    expect(await bufferFor(owner).pending()).toEqual([]);
    expect(await (await get(`/v1/progress/${movie!.id}`, token)).json()).toMatchObject({ positionSeconds: 777 });
  });

  it('flushes a paused player’s position at once instead of at the interval', async () => {
    const { owner, token } = await viewer();
    const t = Date.now();
    await post('/v1/progress', beat({ positionSeconds: 400, eventTime: t - 10_000, state: 'playing' }), token);
    expect(await originCalls(owner, FLUSH_PATH)).toEqual([]);
    expect(
      (await post('/v1/progress', beat({ positionSeconds: 404, eventTime: t, state: 'paused' }), token)).status,
    ).toBe(202);
    await vi.waitFor(async () => expect(await bufferFor(owner).pending()).toEqual([]), { timeout: 15_000 });
    expect((await storedProgress(owner, [movie!.id])).get(movie!.id)).toMatchObject({ positionSeconds: 404 });
  });

  it('judges completion by the catalog’s duration: 1 s of a declared 1 s title is 1 s of the real one', async () => {
    const { owner, token } = await viewer();
    expect(movie!.durationSeconds).toBeGreaterThan(20);
    expect((await post('/v1/progress', beat({ positionSeconds: 1, durationSeconds: 1 }), token)).status).toBe(202);
    const expected = { positionSeconds: 1, durationSeconds: movie!.durationSeconds, completed: false };
    expect(await (await get(`/v1/progress/${movie!.id}`, token)).json()).toMatchObject(expected);
    await runDurableObjectAlarm(bufferFor(owner));
    expect((await storedProgress(owner, [movie!.id])).get(movie!.id)).toMatchObject(expected);
  });

  it('clamps a position past the catalog’s duration to it', async () => {
    const { token } = await viewer();
    const declared = movie!.durationSeconds + 1000;
    await post('/v1/progress', beat({ positionSeconds: declared, durationSeconds: declared }), token);
    expect(await (await get(`/v1/progress/${movie!.id}`, token)).json()).toMatchObject({
      positionSeconds: movie!.durationSeconds,
      durationSeconds: movie!.durationSeconds,
    });
  });

  it('never lets a heartbeat dated ahead (within the tolerated skew) outrank a later real one', async () => {
    const { token } = await viewer();
    const ahead = Date.now() + MAX_FUTURE_SKEW_MS - 30_000;
    expect((await post('/v1/progress', beat({ positionSeconds: 20, eventTime: ahead }), token)).status).toBe(202);
    const real = Date.now();
    await post('/v1/progress', beat({ positionSeconds: 10, eventTime: real, deviceId: 'phone' }), token);
    const view = (await (await get(`/v1/progress/${movie!.id}`, token)).json()) as { lastWatchedAt: string };
    expect(view).toMatchObject({ positionSeconds: 10, deviceId: 'phone' });
    expect(Date.parse(view.lastWatchedAt)).toBeLessThan(ahead);
  });

  it.each([
    ['a negative position', { positionSeconds: -1 }, 'positionSeconds'],
    ['a position that is a string', { positionSeconds: 'NaN' }, 'positionSeconds'],
    [
      'a position beyond the duration (plus tolerance)',
      { positionSeconds: 1006, durationSeconds: 1000 },
      'positionSeconds',
    ],
    ['a zero duration', { durationSeconds: 0, positionSeconds: 0 }, 'durationSeconds'],
    ['an event time in the future', { eventTime: Date.now() + MAX_FUTURE_SKEW_MS + 60_000 }, 'eventTime'],
    ['an event time more than 30 days old', { eventTime: Date.now() - 31 * 24 * 3600_000 }, 'eventTime'],
    ['a fractional event time', { eventTime: 1.5 }, 'eventTime'],
    ['a title id that is not a uuid', { titleId: 'abc' }, 'titleId'],
    ['a device id with spaces', { deviceId: 'my tv' }, 'deviceId'],
    ['an unknown field', { extra: true }, '$'],
    ['a playback state it does not know', { state: 'rewinding' }, 'state'],
  ])('refuses %s with 400 validation_failed naming the field', async (_what, change, path) => {
    const { token } = await viewer();
    await expectProblem(await post('/v1/progress', { ...beat(), ...change }, token), 400, 'validation_failed', path);
  });

  it('refuses a heartbeat without a device id with 400', async () => {
    const { token } = await viewer();
    const { deviceId: _omit, ...rest } = beat();
    await expectProblem(await post('/v1/progress', rest, token), 400, 'validation_failed', 'deviceId');
  });

  it('refuses malformed, oversize and non-JSON bodies with 400/413/415, never a 5xx', async () => {
    const { token } = await viewer();
    await expectProblem(await post('/v1/progress', null, token, '{"titleId":'), 400, 'malformed_json');
    await expectProblem(await post('/v1/progress', null, token, ''), 400, 'malformed_json');
    await expectProblem(await post('/v1/progress', null, token, 'null'), 400, 'validation_failed');
    await expectProblem(
      await post('/v1/progress', { ...beat(), deviceId: 'x'.repeat(17_000) }, token),
      413,
      'payload_too_large',
    );
    const res = await api('/v1/progress', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
      body: JSON.stringify(beat()),
    });
    await expectProblem(res, 415, 'unsupported_media_type');
  });

  it('answers 404 for a title the catalog does not have', async () => {
    const { token } = await viewer();
    await expectProblem(
      await post('/v1/progress', beat({ titleId: crypto.randomUUID() }), token),
      404,
      'not_found',
      'titleId',
    );
  });

  it('refuses progress on a series with 400: progress belongs to its episodes', async () => {
    const { token } = await viewer();
    const series = titleOfType('series');
    await expectProblem(
      await post('/v1/progress', beat({ titleId: series.id }), token),
      400,
      'validation_failed',
      'titleId',
    );
  });

  it('refuses a title above the profile’s maturity level with 403', async () => {
    const { owner, token } = await viewer(10);
    const adult = playable().find((t) => t.maturityLevel > 10)!;
    await expectProblem(
      await post('/v1/progress', beat({ titleId: adult.id, durationSeconds: adult.durationSeconds }), token),
      403,
      'forbidden',
      'titleId',
    );
    expect(await bufferFor(owner).pending()).toEqual([]);
    const kids = playable(10)[0]!;
    const ok = await post('/v1/progress', beat({ titleId: kids.id, durationSeconds: kids.durationSeconds }), token);
    expect(ok.status).toBe(202);
  });

  it('needs a profile token: 401 without a token, 403 with an account token', async () => {
    await expectProblem(await post('/v1/progress', beat()), 401, 'unauthenticated');
    const login = await post('/v1/auth/login', { email: 'demo@edgeflix.test', password: 'edgeflix-demo' });
    const { token: accountToken } = (await login.json()) as { token: string };
    await expectProblem(await post('/v1/progress', beat(), accountToken), 403, 'forbidden');
    await expectProblem(await get(`/v1/progress/${movie!.id}`, accountToken), 403, 'forbidden');
    await expectProblem(await get('/v1/continue-watching', accountToken), 403, 'forbidden');
  });

  it('works for a real profile selected after login (the Kids profile cannot log an adult title)', async () => {
    const login = await post('/v1/auth/login', { email: 'demo@edgeflix.test', password: 'edgeflix-demo' });
    const { token: accountToken } = (await login.json()) as { token: string };
    const list = (await (await get('/v1/profiles', accountToken)).json()) as {
      profiles: { id: string; name: string }[];
    };
    const kids = list.profiles.find((p) => p.name === 'Kids')!;
    const selected = await api(`/v1/profiles/${kids.id}/select`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accountToken}` },
    });
    const { token } = (await selected.json()) as { token: string };
    const adult = playable().find((t) => t.maturityLevel > 10)!;
    await expectProblem(await post('/v1/progress', beat({ titleId: adult.id }), token), 403, 'forbidden');
    const kidsTitle = playable(10)[0]!;
    const res = await post(
      '/v1/progress',
      beat({ titleId: kidsTitle.id, durationSeconds: kidsTitle.durationSeconds, positionSeconds: 60 }),
      token,
    );
    expect(res.status).toBe(202);
  });

  it('asks the origin about a title once, then answers from the edge cache', async () => {
    const { owner, token } = await viewer();
    const title = playable()[2]!;
    const summaryPath = '/internal/v1/titles/summaries';
    await post('/v1/progress', beat({ titleId: title.id, durationSeconds: title.durationSeconds }), token);
    const first = (await originCalls(owner, summaryPath)).length;
    expect(first).toBeLessThanOrEqual(1); // 0 when another test already put it in the cache
    for (let i = 0; i < 3; i += 1) {
      const res = await post(
        '/v1/progress',
        beat({ titleId: title.id, durationSeconds: title.durationSeconds }),
        token,
      );
      expect(res.status).toBe(202);
    }
    expect(await originCalls(owner, summaryPath)).toHaveLength(first);
  });
});

describe('POST /v1/progress/batch', () => {
  it('accepts an offline client’s batch with 202, looking its titles up in one call', async () => {
    const { owner, token } = await viewer();
    const t = Date.now() - 3_600_000;
    const heartbeats = [
      beat({ eventTime: t, positionSeconds: 10 }),
      beat({ eventTime: t + 10_000, positionSeconds: 20 }),
      beat({ titleId: other!.id, durationSeconds: other!.durationSeconds, eventTime: t, positionSeconds: 30 }),
      beat({ eventTime: t + 5_000, positionSeconds: 15 }), // older than the second: superseded
    ];
    const res = await post('/v1/progress/batch', { heartbeats }, token);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 4, superseded: 1, pending: 2 });
    const summaryCalls = await originCalls(owner, '/internal/v1/titles/summaries');
    expect(summaryCalls.length).toBeLessThanOrEqual(1); // 0 when other tests already put both in the cache
    const pending = await bufferFor(owner).pending();
    expect(pending.map((e) => e.positionSeconds).sort()).toEqual([20, 30]);
  });

  it('takes a full batch of 100 larger than the single-heartbeat body limit', async () => {
    const { token } = await viewer();
    const t = Date.now() - 1_000_000;
    const heartbeats = Array.from({ length: MAX_HEARTBEATS_PER_BATCH }, (_, i) =>
      beat({ eventTime: t + i * 10_000, deviceId: `device-${'x'.repeat(100)}-${i}` }),
    );
    expect(JSON.stringify({ heartbeats }).length).toBeGreaterThan(16 * 1024);
    const res = await post('/v1/progress/batch', { heartbeats }, token);
    expect(res.status).toBe(202);
  });

  it(`refuses more than ${MAX_HEARTBEATS_PER_BATCH} heartbeats, or none, with 400`, async () => {
    const { token } = await viewer();
    const heartbeats = Array.from({ length: MAX_HEARTBEATS_PER_BATCH + 1 }, () => beat());
    await expectProblem(
      await post('/v1/progress/batch', { heartbeats }, token),
      400,
      'validation_failed',
      'heartbeats',
    );
    await expectProblem(await post('/v1/progress/batch', { heartbeats: [] }, token), 400, 'validation_failed');
  });

  it('refuses the whole batch when one heartbeat is bad, naming its index', async () => {
    const { owner, token } = await viewer();
    const future = { eventTime: Date.now() + MAX_FUTURE_SKEW_MS + 60_000 };
    await expectProblem(
      await post('/v1/progress/batch', { heartbeats: [beat(), beat(future)] }, token),
      400,
      'validation_failed',
      'heartbeats.1.eventTime',
    );
    await expectProblem(
      await post('/v1/progress/batch', { heartbeats: [beat(), beat({ titleId: crypto.randomUUID() })] }, token),
      404,
      'not_found',
      'heartbeats.1.titleId',
    );
    expect(await bufferFor(owner).pending()).toEqual([]);
  });
});

describe('GET /v1/progress/{titleId}', () => {
  it('answers 404 for a title the profile never watched, 400 for a bad id', async () => {
    const { token } = await viewer();
    await expectProblem(await get(`/v1/progress/${movie!.id}`, token), 404, 'not_found');
    await expectProblem(await get('/v1/progress/not-a-uuid', token), 400, 'validation_failed');
  });
});

async function continueWatchingIds(token: string): Promise<string[]> {
  const res = await get('/v1/continue-watching', token);
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: { contentId: string }[] }).items.map((i) => i.contentId);
}

async function hide(itemId: string, token: string): Promise<number> {
  const res = await api(`/v1/continue-watching/${itemId}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${token}` },
  });
  return res.status;
}

describe('Continue Watching', () => {
  it('lists a title just played (still in the buffer), newest first', async () => {
    const { token } = await viewer();
    const t = Date.now();
    await post('/v1/progress', beat({ eventTime: t - 60_000 }), token);
    await post(
      '/v1/progress',
      beat({
        titleId: other!.id,
        durationSeconds: other!.durationSeconds,
        positionSeconds: Math.round(other!.durationSeconds / 2),
        eventTime: t,
      }),
      token,
    );
    const res = await get('/v1/continue-watching?limit=20', token);
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: { contentId: string; progressPercent: number }[] };
    expect(items.map((i) => i.contentId)).toEqual([other!.id, movie!.id]);
    expect(items[0]!.progressPercent).toBe(50);
  });

  it('hides an item with DELETE (204) until newer progress brings it back', async () => {
    const { token } = await viewer();
    await post('/v1/progress', beat({ eventTime: Date.now() - 5_000 }), token);
    expect(await hide(movie!.id, token)).toBe(204);
    expect(await continueWatchingIds(token)).toEqual([]);
    await post('/v1/progress', beat({ eventTime: Date.now() + 1_000 }), token);
    expect(await continueWatchingIds(token)).toEqual([movie!.id]);
  });

  it('hides a series as one item: its id, not the episode’s', async () => {
    const { token } = await viewer();
    const played = beat({
      titleId: episode.id,
      durationSeconds: episode.durationSeconds,
      positionSeconds: Math.round(episode.durationSeconds / 3),
      eventTime: Date.now() - 5_000,
    });
    await post('/v1/progress', played, token);
    const { items } = (await (await get('/v1/continue-watching', token)).json()) as {
      items: { contentId: string; seriesId: string | null; episodeInfo: string | null }[];
    };
    expect(items).toEqual([
      expect.objectContaining({ contentId: episode.id, seriesId: episode.seriesId, episodeInfo: expect.any(String) }),
    ]);
    expect(await hide(episode.seriesId!, token)).toBe(204);
    expect(await continueWatchingIds(token)).toEqual([]);
  });

  it('refuses a bad limit or an unknown parameter with 400', async () => {
    const { token } = await viewer();
    await expectProblem(await get('/v1/continue-watching?limit=0', token), 400, 'validation_failed');
    await expectProblem(await get('/v1/continue-watching?limit=51', token), 400, 'validation_failed');
    await expectProblem(await get('/v1/continue-watching?limit=ten', token), 400, 'validation_failed');
    await expectProblem(await get('/v1/continue-watching?sort=asc', token), 400, 'validation_failed');
    const bad = await api('/v1/continue-watching/not-a-uuid', {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    await expectProblem(bad, 400, 'validation_failed');
  });
});

describe('GET /v1/history', () => {
  it('passes the profile’s history through (empty for a new profile)', async () => {
    const { token } = await viewer();
    const res = await get('/v1/history?limit=5', token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ items: [], nextCursor: null });
  });

  it('refuses a bad limit or cursor with 400', async () => {
    const { token } = await viewer();
    await expectProblem(await get('/v1/history?limit=0', token), 400, 'validation_failed');
    await expectProblem(await get('/v1/history?cursor=zz', token), 400, 'validation_failed');
  });
});
