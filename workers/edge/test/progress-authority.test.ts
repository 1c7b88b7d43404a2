/**
 * The profile's ProgressBuffer as the authority on its progress: it learns the stored states from
 * the origin once, then answers manifests, Continue Watching and GET /v1/progress itself. Writes
 * that bypass it are made visible by invalidating it.
 */
import { env, exports } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import type { Heartbeat, ProgressEntry } from '../../../core/progress.ts';
import { signServiceToken, type Identity } from '../../../core/tokens.ts';
import {
  calm,
  chaos,
  newOwner,
  originCalls,
  playable,
  profileToken,
  STORED_PATH,
  storeDirectly,
} from '../../test/helpers.ts';

const QUERY_PATH = '/internal/v1/progress/query';
const { titleId: playbackTitle } = JSON.parse(env.TEST_PLAYBACK) as { titleId: string };
const [movie, other] = playable().filter((t) => t.type === 'movie' && t.id !== playbackTitle);

const api = (path: string, token: string, init: RequestInit = {}) =>
  exports.default.fetch(`https://edge.test${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string> | undefined) },
  });

const owners: Identity[] = [];
async function viewer(): Promise<{ owner: Identity; token: string }> {
  const owner = newOwner();
  owners.push(owner);
  return { owner, token: await profileToken(owner) };
}
afterEach(async () => {
  await Promise.all(owners.splice(0).map(calm));
});

const stored = (
  titleId: string,
  positionSeconds: number,
  eventTime: number,
  durationSeconds = 6000,
): ProgressEntry => ({
  titleId,
  positionSeconds,
  durationSeconds,
  eventTime,
  tie: 0,
  deviceId: 'imported',
});

async function position(token: string, titleId: string): Promise<number | null> {
  const res = await api(`/v1/progress/${titleId}`, token);
  if (res.status === 404) {
    await res.body?.cancel();
    return null;
  }
  expect(res.status).toBe(200);
  return ((await res.json()) as { positionSeconds: number }).positionSeconds;
}

async function continueWatching(token: string): Promise<string[]> {
  const res = await api('/v1/continue-watching', token);
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: { contentId: string }[] }).items.map((i) => i.contentId);
}

async function manifestResume(token: string): Promise<number> {
  const res = await api(`/v1/playback/${playbackTitle}/manifest.mpd`, token, {
    headers: { 'x-device-capabilities': 'codecs=avc1,vp09; max-res=1920x1080' },
  });
  expect(res.status).toBe(200);
  return Number(/edgeflix:resumePosition="([\d.]+)"/.exec(await res.text())?.[1] ?? 0);
}

async function send(token: string, hb: Heartbeat): Promise<void> {
  const res = await api('/v1/progress', token, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(hb),
  });
  expect(res.status).toBe(202);
  await res.body?.cancel();
}

const INVALIDATE_PATH = '/internal/v1/progress/invalidate';

/** Tells the owner's buffer, over HTTP with a service credential, that its stored progress changed. */
async function invalidate(owner: Identity, body: { titleIds?: string[] }, htu = INVALIDATE_PATH): Promise<Response> {
  const text = JSON.stringify(body);
  const credential = await signServiceToken(
    { htm: 'POST', htu, rid: 'test-invalidate', sub: owner.accountId, pid: owner.profileId, mat: 50 },
    env.SERVICE_TOKEN_SECRET,
    { body: text },
  );
  return exports.default.fetch(`https://edge.test${INVALIDATE_PATH}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
    body: text,
  });
}

describe('the buffer learns the stored progress once', () => {
  it('reads it from the origin on the first read, then answers every manifest, progress and Continue Watching read itself', async () => {
    const { owner, token } = await viewer();
    const t = Date.now() - 60_000;
    await storeDirectly(owner, [
      stored(movie!.id, Math.round(movie!.durationSeconds / 2), t, movie!.durationSeconds),
      stored(playbackTitle, 20, t - 1_000, 58),
    ]);
    expect(await position(token, movie!.id)).toBe(Math.round(movie!.durationSeconds / 2));
    for (let i = 0; i < 2; i += 1) {
      expect(await manifestResume(token)).toBe(20);
      expect(await position(token, movie!.id)).toBe(Math.round(movie!.durationSeconds / 2));
      expect(await position(token, other!.id)).toBeNull();
      expect(await continueWatching(token)).toContain(movie!.id);
    }
    expect(await originCalls(owner, STORED_PATH)).toHaveLength(1);
    expect(await originCalls(owner, QUERY_PATH)).toEqual([]);
  });

  it('knows a new profile has no progress after one learn: 404 and a start at 0, no further origin progress call', async () => {
    const { owner, token } = await viewer();
    for (let i = 0; i < 3; i += 1) {
      expect(await position(token, movie!.id)).toBeNull();
      expect(await manifestResume(token)).toBe(0);
    }
    expect(await continueWatching(token)).toEqual([]);
    expect(await originCalls(owner, STORED_PATH)).toHaveLength(1);
    expect(await originCalls(owner, QUERY_PATH)).toEqual([]);
  });

  it('does not read stored progress for Continue Watching once learned: a write that bypassed the buffer stays unseen', async () => {
    const { owner, token } = await viewer();
    expect(await continueWatching(token)).toEqual([]);
    await storeDirectly(owner, [
      stored(movie!.id, Math.round(movie!.durationSeconds / 2), Date.now() - 1_000, movie!.durationSeconds),
    ]);
    // The buffer is the authority: until it is told (the invalidation below), it knows no progress.
    expect(await continueWatching(token)).toEqual([]);
    expect(await position(token, movie!.id)).toBeNull();
  });
});

describe('a learn that fails', () => {
  it('answers 503 with retry-after, never "no progress", and the next read learns', async () => {
    const { owner, token } = await viewer();
    await storeDirectly(owner, [stored(movie!.id, 300, Date.now() - 5_000, movie!.durationSeconds)]);
    await chaos(owner, { mode: 'status', status: 503, failNext: 2, path: STORED_PATH });
    const progress = await api(`/v1/progress/${movie!.id}`, token);
    expect(progress.status).toBe(503);
    expect(progress.headers.get('retry-after')).not.toBeNull();
    expect(((await progress.json()) as { code: string }).code).toBe('unavailable');
    const list = await api('/v1/continue-watching', token);
    expect(list.status).toBe(503);
    await list.body?.cancel();
    expect(await position(token, movie!.id)).toBe(300);
    expect(await originCalls(owner, STORED_PATH)).toHaveLength(3);
  });

  it('starts playback at 0 while progress is unknown, and at the stored position once it is learned', async () => {
    const { owner, token } = await viewer();
    await storeDirectly(owner, [stored(playbackTitle, 33, Date.now() - 5_000, 58)]);
    await chaos(owner, { mode: 'reset', failNext: 1, path: STORED_PATH });
    expect(await manifestResume(token)).toBe(0);
    expect(await manifestResume(token)).toBe(33);
  });
});

describe('a heartbeat during the learn', () => {
  it('wins when it is later than the stored state, and loses when it is older', async () => {
    const { owner, token } = await viewer();
    const t = Date.now() - 60_000;
    await storeDirectly(owner, [
      stored(movie!.id, 100, t, movie!.durationSeconds),
      stored(other!.id, 200, t, other!.durationSeconds),
    ]);
    await chaos(owner, { mode: 'delay', delayMs: 3_000, failNext: 1, path: STORED_PATH });
    const reading = position(token, movie!.id);
    // Sent while the learn is held up: one newer than the stored state, one older.
    await send(token, {
      titleId: movie!.id,
      positionSeconds: 150,
      durationSeconds: movie!.durationSeconds,
      eventTime: t + 10_000,
      deviceId: 'phone',
    });
    await send(token, {
      titleId: other!.id,
      positionSeconds: 50,
      durationSeconds: other!.durationSeconds,
      eventTime: t - 10_000,
      deviceId: 'phone',
    });
    expect(await reading).toBe(150);
    expect(await position(token, other!.id)).toBe(200);
    expect(await originCalls(owner, STORED_PATH)).toHaveLength(1);
  });
});

describe('invalidation, for writes that bypass the buffer', () => {
  it('makes a named title’s stored state visible again, asking the origin for that title only', async () => {
    const { owner, token } = await viewer();
    expect(await position(token, movie!.id)).toBeNull();
    await storeDirectly(owner, [stored(movie!.id, 400, Date.now() - 1_000, movie!.durationSeconds)]);
    const res = await invalidate(owner, { titleIds: [movie!.id] });
    expect(res.status).toBe(200);
    await res.body?.cancel();
    expect(await position(token, movie!.id)).toBe(400);
    expect(await continueWatching(token)).toContain(movie!.id);
    expect(await position(token, movie!.id)).toBe(400);
    // The learn, then one read of the invalidated title; the title is known again after it.
    expect(await originCalls(owner, STORED_PATH)).toHaveLength(2);
  });

  it('relearns everything when no title is named, with one more read of the whole profile', async () => {
    const { owner, token } = await viewer();
    await storeDirectly(owner, [stored(movie!.id, 400, Date.now() - 1_000, movie!.durationSeconds)]);
    expect(await position(token, movie!.id)).toBe(400);
    await storeDirectly(owner, [stored(other!.id, 500, Date.now() - 500, other!.durationSeconds)]);
    const res = await invalidate(owner, {});
    expect(await res.json()).toEqual({ dropped: 1 });
    expect(await position(token, other!.id)).toBe(500);
    expect(await position(token, movie!.id)).toBe(400);
    expect(await originCalls(owner, STORED_PATH)).toHaveLength(2);
  });

  it('refuses a call without a service credential, one minted for another request, and a bad body', async () => {
    const { owner } = await viewer();
    const bare = await exports.default.fetch(`https://edge.test${INVALIDATE_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(bare.status).toBe(401);
    await bare.body?.cancel();
    const other = await invalidate(owner, {}, '/internal/v1/progress/flush');
    expect(other.status).toBe(401);
    await other.body?.cancel();
    const bad = await invalidate(owner, { titleIds: ['not-a-uuid'] });
    expect(bad.status).toBe(400);
    await bad.body?.cancel();
  });
});
