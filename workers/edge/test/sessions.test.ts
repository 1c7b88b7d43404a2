import { env, SELF } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionTokenResponse } from '../../../core/wire.ts';
import { FEED_MAX_AGE_MS } from '../src/http/session-guard.ts';
import { feedOf } from '../../revocation-feed/src/rpc.ts';
import { playable } from '../../test/helpers.ts';
import { leasesOf } from '../src/stream-slot.ts';

const FAMILY = { email: 'family@edgeflix.test', password: 'edgeflix-family' };
/** A title with media in the test object store, so its playlists name real segments. */
const { titleId: MEDIA_TITLE } = JSON.parse(env.TEST_PLAYBACK) as { titleId: string };
const api = (path: string, init: RequestInit = {}) => SELF.fetch(`https://edge.test${path}`, init);
const post = (path: string, body: unknown, token?: string) =>
  api(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
const bearer = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}` } });

async function login(deviceName: string): Promise<SessionTokenResponse> {
  const res = await post('/v1/auth/login', { ...FAMILY, deviceName, deviceType: 'browser' });
  expect(res.status).toBe(200);
  return (await res.json()) as SessionTokenResponse;
}

/** A signed-in device with a profile selected: its account token and profile token. */
async function device(name: string) {
  const session = await login(name);
  streamingAccounts.add(accountOf(session.token));
  const list = (await (await api('/v1/profiles', bearer(session.token))).json()) as {
    profiles: { id: string; maturityLevel: number; kids: boolean }[];
  };
  const profile = list.profiles.find((p) => !p.kids)!;
  const selected = await api(`/v1/profiles/${profile.id}/select`, { method: 'POST', ...bearer(session.token) });
  expect(selected.status).toBe(200);
  const { token: profileToken } = (await selected.json()) as { token: string };
  // What a player holds once it started: a media playlist URL and a segment URL, each with the
  // segment token the master playlist handed out (the only credential those requests carry).
  const masterUrl = `https://edge.test/v1/playback/${MEDIA_TITLE}/master.m3u8`;
  const masterRes = await api(`/v1/playback/${MEDIA_TITLE}/master.m3u8`, bearer(profileToken));
  expect(masterRes.status).toBe(200);
  const master = await masterRes.text();
  const mediaPlaylist = new URL(
    master.split('\n').find((l) => l.startsWith('/v1/') && l.includes('.m3u8?token='))!,
    masterUrl,
  );
  const playlistRes = await SELF.fetch(mediaPlaylist);
  expect(playlistRes.status).toBe(200);
  const playlist = await playlistRes.text();
  const segment = new URL(
    playlist.split('\n').find((l) => l.startsWith('/v1/') && l.includes('.m4s?token='))!,
    masterUrl,
  );
  return { session, profileToken, title: playable(profile.maturityLevel)[0]!, mediaPlaylist, segment };
}

type Device = Awaited<ReturnType<typeof device>>;

/** Accounts whose devices opened manifests in a test: their streams are ended after it. */
const streamingAccounts = new Set<string>();
const accountOf = (token: string): string =>
  (JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { sub: string }).sub;

// Every device here opens manifests, so it holds one of the plan's stream slots (2 on FAMILY's
// standard plan) until it lapses; each test starts with the account's slots free.
afterEach(async () => {
  for (const accountId of streamingAccounts) {
    const leases = leasesOf(env, accountId);
    for (const lease of (await leases.list()).leases) await leases.stop(lease.streamId, 'test-cleanup');
  }
  streamingAccounts.clear();
});

/**
 * One request of each route class: API (account and profile), manifests, heartbeats, and what a
 * player fetches with segment tokens alone (HLS media playlists, segments).
 */
const routeClasses = (d: Device): [string, () => Promise<Response>][] => [
  ['API, account token', () => api('/v1/sessions', bearer(d.session.token))],
  ['API, profile token', () => api('/v1/profiles', bearer(d.profileToken))],
  ['DASH manifest', () => api(`/v1/playback/${d.title.id}/manifest.mpd`, bearer(d.profileToken))],
  ['HLS master playlist', () => api(`/v1/playback/${d.title.id}/master.m3u8`, bearer(d.profileToken))],
  ['HLS media playlist', () => SELF.fetch(d.mediaPlaylist)],
  ['media segment', () => SELF.fetch(d.segment)],
  [
    'heartbeat',
    () =>
      post(
        '/v1/progress',
        { titleId: d.title.id, positionSeconds: 5, durationSeconds: 600, eventTime: Date.now(), deviceId: 'web' },
        d.profileToken,
      ),
  ],
];

async function codeOf(res: Response): Promise<string | number> {
  if (res.status < 400) {
    await res.body?.cancel();
    return res.status;
  }
  return ((await res.json()) as { code: string }).code;
}

describe('sessions through the edge', () => {
  it('lists the devices, marks the caller’s, and hides the refresh hash and the origin’s revocation header', async () => {
    const a = await login('Phone');
    const res = await api('/v1/sessions', bearer(a.token));
    expect(res.status).toBe(200);
    const { sessions } = (await res.json()) as { sessions: { id: string; deviceName: string; current: boolean }[] };
    expect(sessions.find((s) => s.id === a.sessionId)).toMatchObject({ deviceName: 'Phone', current: true });
    const out = await api('/v1/auth/logout', { method: 'POST', ...bearer(a.token) });
    expect(out.status).toBe(204);
    expect(out.headers.get('edgeflix-revoked-sessions')).toBeNull();
  });

  it('refreshes without a password, and refuses the session’s tokens at once after logout', async () => {
    const d = await device('Laptop');
    const refreshed = await post('/v1/auth/refresh', { refreshToken: d.session.refreshToken });
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as SessionTokenResponse;
    // Whatever each route answers for this title (a seeded title may have no media), it is not a revocation.
    for (const [name, request] of routeClasses(d)) {
      expect([name, await codeOf(await request())]).not.toEqual([name, 'session_revoked']);
    }
    expect((await api('/v1/auth/logout', { method: 'POST', ...bearer(next.token) })).status).toBe(204);
    for (const [name, request] of routeClasses(d))
      expect([name, await codeOf(await request())]).toEqual([name, 'session_revoked']);
    expect(await codeOf(await post('/v1/auth/refresh', { refreshToken: next.refreshToken }))).toBe('session_revoked');
  });

  it('signs out everywhere from another device: every route class answers session_revoked', async () => {
    const victim = await device('TV');
    const other = await login('Phone');
    expect((await api('/v1/auth/logout-all', { method: 'POST', ...bearer(other.token) })).status).toBe(204);
    for (const [name, request] of routeClasses(victim)) {
      expect([name, await codeOf(await request())]).toEqual([name, 'session_revoked']);
    }
    expect(await codeOf(await api('/v1/sessions', bearer(other.token)))).toBe('session_revoked');
    // Neither device gets back in without a password.
    expect(await codeOf(await post('/v1/auth/refresh', { refreshToken: victim.session.refreshToken }))).toBe(
      'session_revoked',
    );
    expect(await codeOf(await post('/v1/auth/refresh', { refreshToken: other.refreshToken }))).toBe('session_revoked');
  });

  it('lets two tabs refresh one token at once: both get working tokens and the session is not revoked', async () => {
    const d = await device('Two tabs');
    const [a, b] = await Promise.all([
      post('/v1/auth/refresh', { refreshToken: d.session.refreshToken }),
      post('/v1/auth/refresh', { refreshToken: d.session.refreshToken }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const [ta, tb] = [(await a.json()) as SessionTokenResponse, (await b.json()) as SessionTokenResponse];
    expect(ta.refreshToken).toBe(tb.refreshToken);
    for (const tab of [ta, tb]) expect(await codeOf(await api('/v1/sessions', bearer(tab.token)))).toBe(200);
    for (const [name, request] of routeClasses(d)) {
      expect([name, await codeOf(await request())]).not.toEqual([name, 'session_revoked']);
    }
    const next = await post('/v1/auth/refresh', { refreshToken: ta.refreshToken });
    expect(next.status).toBe(200);
    await next.body?.cancel();
  });

  it('answers 404 for another account’s session id, which stays signed in; a removed device cannot refresh', async () => {
    const mine = await login('Laptop');
    const spare = await login('Old phone');
    const foreignRes = await post('/v1/auth/login', { email: 'demo@edgeflix.test', password: 'edgeflix-demo' });
    const foreign = (await foreignRes.json()) as SessionTokenResponse;
    const del = (id: string) => api(`/v1/sessions/${id}`, { method: 'DELETE', ...bearer(mine.token) });
    expect(await codeOf(await del(foreign.sessionId))).toBe('not_found');
    expect(await codeOf(await api('/v1/sessions', bearer(foreign.token)))).toBe(200);
    expect(await codeOf(await del(crypto.randomUUID()))).toBe('not_found');
    expect(await codeOf(await del(spare.sessionId))).toBe(204);
    expect(await codeOf(await del(spare.sessionId))).toBe('not_found');
    expect(await codeOf(await api('/v1/sessions', bearer(spare.token)))).toBe('session_revoked');
    expect(await codeOf(await post('/v1/auth/refresh', { refreshToken: spare.refreshToken }))).toBe('session_revoked');
  });

  it('refuses a session revoked at another location within the feed’s max age', async () => {
    const d = await device('Tablet');
    expect(await codeOf(await api('/v1/sessions', bearer(d.session.token)))).toBe(200);
    // Another edge location appends the revocation to the feed; this isolate's view does not have it.
    const accountId = JSON.parse(atob(d.session.token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))).sub;
    const revokedAt = Date.now();
    await feedOf(env).append([{ sessionId: d.session.sessionId, accountId, revokedAt }]);
    let refusedAfter: number | undefined;
    while (Date.now() - revokedAt < 5_000) {
      if ((await codeOf(await api('/v1/sessions', bearer(d.session.token)))) === 'session_revoked') {
        refusedAfter = Date.now() - revokedAt;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(refusedAfter).toBeDefined();
    expect(refusedAfter!).toBeLessThanOrEqual(5_000);
    console.warn(`revocation reached this isolate after ${refusedAfter} ms (max age ${FEED_MAX_AGE_MS} ms)`);
  });
});
