import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVOKED_SESSIONS_HEADER, type SessionTokenResponse, type SessionsResponse } from '../../core/wire.ts';
import { createApp } from '../src/app.ts';
import { asEdge, type EdgeCall } from './support/as-edge.ts';
import type { TestKeys } from './support/keys.ts';
import { realTestOrigin, type TestOrigin } from './support/origin.ts';

const DEMO = { email: 'demo@edgeflix.test', password: 'edgeflix-demo' };
const FAMILY = { email: 'family@edgeflix.test', password: 'edgeflix-family' };
const BASIC = { email: 'basic@edgeflix.test', password: 'edgeflix-basic' };
const DAY = 86_400_000;

let keys: TestKeys;
let origin: TestOrigin;
let stop: () => Promise<void>;
/** The origin's clock, moved by the tests. */
let now = Date.now();

beforeAll(async () => {
  const real = await realTestOrigin('sessions');
  keys = real.keys;
  stop = () => real.stop();
  const deps = {
    ...real.origin.deps,
    now: () => new Date(now),
    sessions: { ...real.origin.deps.sessions, idleS: 30 * 86_400, absoluteS: 60 * 86_400, reuseGraceS: 10 },
  };
  origin = { ...real.origin, deps, app: createApp(deps) };
});

afterAll(async () => {
  await stop();
});

const call = (c: EdgeCall) => asEdge(origin, keys.serviceSecret, c);

async function login(creds: { email: string; password: string }, device = {}): Promise<SessionTokenResponse> {
  const res = await call({ method: 'POST', path: '/v1/auth/login', body: { ...creds, ...device } });
  expect(res.status).toBe(200);
  return (await res.json()) as SessionTokenResponse;
}

const refresh = (refreshToken: string, profileId?: string) =>
  call({ method: 'POST', path: '/v1/auth/refresh', body: { refreshToken, ...(profileId ? { profileId } : {}) } });

/** The edge's view of a session's token: the account and session it names. */
function as(session: SessionTokenResponse): Pick<EdgeCall, 'sub' | 'sid'> {
  const claims = decodeJwt(session.token);
  return { sub: claims.sub!, sid: claims['sid'] as string };
}

async function expectProblem(res: Response, status: number, code: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(((await res.json()) as { code: string }).code).toBe(code);
}

async function devices(session: SessionTokenResponse): Promise<SessionsResponse['sessions']> {
  const res = await call({ path: '/v1/sessions', ...as(session) });
  expect(res.status).toBe(200);
  return ((await res.json()) as SessionsResponse).sessions;
}

describe('login', () => {
  it('creates a session: an account token naming it, an opaque refresh token, and the device it came from', async () => {
    const s = await login(DEMO, { deviceName: 'Living-room TV', deviceType: 'tv', country: 'DE', userAgent: 'TV/1' });
    expect(s).toMatchObject({ tokenType: 'Bearer', sessionId: expect.any(String) });
    expect(s.refreshToken).toMatch(/^rt_[A-Za-z0-9_-]{43}$/);
    expect(decodeJwt(s.token)).toMatchObject({ scope: 'account', sid: s.sessionId });
    const mine = (await devices(s)).find((d) => d.id === s.sessionId);
    expect(mine).toMatchObject({ deviceName: 'Living-room TV', deviceType: 'tv', country: 'DE', current: true });
  });

  it('gives the profile token of a session the session id too', async () => {
    const s = await login(FAMILY);
    const profiles = (await (await call({ path: '/v1/profiles', ...as(s) })).json()) as { profiles: { id: string }[] };
    const res = await call({ method: 'POST', path: `/v1/profiles/${profiles.profiles[0]!.id}/select`, ...as(s) });
    expect(res.status).toBe(200);
    expect(decodeJwt(((await res.json()) as { token: string }).token)).toMatchObject({ sid: s.sessionId });
  });
});

describe('refresh', () => {
  it('rotates the refresh token on every use, keeping the session', async () => {
    const s = await login(DEMO);
    const r1 = await refresh(s.refreshToken);
    expect(r1.status).toBe(200);
    const b1 = (await r1.json()) as SessionTokenResponse;
    expect(b1.refreshToken).not.toBe(s.refreshToken);
    expect(b1.sessionId).toBe(s.sessionId);
    const b2 = (await (await refresh(b1.refreshToken)).json()) as SessionTokenResponse;
    expect(b2.refreshToken).not.toBe(b1.refreshToken);
  });

  it('revokes the whole session when a rotated token comes back after the grace', async () => {
    const s = await login(DEMO);
    const b1 = (await (await refresh(s.refreshToken)).json()) as SessionTokenResponse;
    now += 11_000;
    const reuse = await refresh(s.refreshToken);
    expect(reuse.headers.get(REVOKED_SESSIONS_HEADER)).toContain(s.sessionId);
    await expectProblem(reuse, 401, 'session_revoked');
    // The thief's successor and the owner's are both dead now.
    await expectProblem(await refresh(b1.refreshToken), 401, 'session_revoked');
  });

  it('revokes the session when a token two rotations old comes back', async () => {
    const s = await login(DEMO);
    const b1 = (await (await refresh(s.refreshToken)).json()) as SessionTokenResponse;
    now += 11_000;
    const b2 = (await (await refresh(b1.refreshToken)).json()) as SessionTokenResponse;
    await expectProblem(await refresh(s.refreshToken), 401, 'session_revoked');
    await expectProblem(await refresh(b2.refreshToken), 401, 'session_revoked');
  });

  it('answers a token rotated within the grace with the same successor, revoking nothing', async () => {
    const s = await login(DEMO);
    const b1 = (await (await refresh(s.refreshToken)).json()) as SessionTokenResponse;
    now += 2_000;
    const again = await refresh(s.refreshToken);
    expect(again.status).toBe(200);
    expect(((await again.json()) as SessionTokenResponse).refreshToken).toBe(b1.refreshToken);
    expect((await refresh(b1.refreshToken)).status).toBe(200);
  });

  it('lets two tabs refresh the same token at once: both get the same successor and the session lives', async () => {
    const s = await login(DEMO);
    const [a, b] = await Promise.all([refresh(s.refreshToken), refresh(s.refreshToken)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const [ta, tb] = [(await a.json()) as SessionTokenResponse, (await b.json()) as SessionTokenResponse];
    expect(ta.refreshToken).toBe(tb.refreshToken);
    expect((await refresh(ta.refreshToken)).status).toBe(200);
  });

  it('also mints a profile token of the session when asked for a profile of the account', async () => {
    const s = await login(FAMILY);
    const profiles = (await (await call({ path: '/v1/profiles', ...as(s) })).json()) as { profiles: { id: string }[] };
    const res = await refresh(s.refreshToken, profiles.profiles[0]!.id);
    expect(res.status).toBe(200);
    const body = (await res.json()) as SessionTokenResponse;
    expect(decodeJwt(body.profile!.token)).toMatchObject({ scope: 'profile', sid: s.sessionId });
    const demo = await login(DEMO);
    await expectProblem(await refresh(demo.refreshToken, profiles.profiles[0]!.id), 403, 'forbidden');
  });

  it('ends a session unused for longer than the idle lifetime, and slides the idle end with every use', async () => {
    const s = await login(DEMO);
    now += 20 * DAY;
    const b1 = (await (await refresh(s.refreshToken)).json()) as SessionTokenResponse;
    now += 20 * DAY; // 40 days after login, 20 after the last use: still alive
    const b2 = await refresh(b1.refreshToken);
    expect(b2.status).toBe(200);
    const t2 = ((await b2.json()) as SessionTokenResponse).refreshToken;
    now += 31 * DAY;
    await expectProblem(await refresh(t2), 401, 'invalid_refresh_token');
  });

  it('ends a session at its absolute lifetime however often it is used', async () => {
    const s = await login(DEMO);
    let token = s.refreshToken;
    for (let day = 0; day < 59; day += 15) {
      now += 15 * DAY;
      const res = await refresh(token);
      if (res.status !== 200) {
        await expectProblem(res, 401, 'invalid_refresh_token');
        expect(day).toBeGreaterThanOrEqual(45);
        return;
      }
      token = ((await res.json()) as SessionTokenResponse).refreshToken;
    }
    throw new Error('the session outlived its absolute lifetime');
  });

  it('refuses unknown and malformed refresh tokens with 401, never 5xx', async () => {
    await expectProblem(await refresh(`rt_${'A'.repeat(43)}`), 401, 'invalid_refresh_token');
    await expectProblem(await refresh('not-a-token'), 401, 'invalid_refresh_token');
  });
});

describe('signing out', () => {
  it('logout ends this session only: its refresh token is refused, the other devices stay', async () => {
    const phone = await login(DEMO);
    const tv = await login(DEMO);
    const res = await call({ method: 'POST', path: '/v1/auth/logout', ...as(phone) });
    expect(res.status).toBe(204);
    expect(res.headers.get(REVOKED_SESSIONS_HEADER)).toMatch(new RegExp(`^${as(phone).sub};\\d+;${phone.sessionId}$`));
    await expectProblem(await refresh(phone.refreshToken), 401, 'session_revoked');
    expect((await refresh(tv.refreshToken)).status).toBe(200);
    const ids = (await devices(tv)).map((d) => d.id);
    expect(ids).not.toContain(phone.sessionId);
    expect(ids).toContain(tv.sessionId);
  });

  it('refuses a profile token for a signed-out session', async () => {
    const s = await login(FAMILY);
    const profiles = (await (await call({ path: '/v1/profiles', ...as(s) })).json()) as { profiles: { id: string }[] };
    await call({ method: 'POST', path: '/v1/auth/logout', ...as(s) });
    const res = await call({ method: 'POST', path: `/v1/profiles/${profiles.profiles[0]!.id}/select`, ...as(s) });
    await expectProblem(res, 401, 'session_revoked');
  });

  it('logout-all ends every session of the account and announces each one', async () => {
    const a = await login(FAMILY);
    const b = await login(FAMILY);
    const res = await call({ method: 'POST', path: '/v1/auth/logout-all', ...as(a) });
    expect(res.status).toBe(204);
    const announced = res.headers.get(REVOKED_SESSIONS_HEADER)!.split(';')[2]!.split(',');
    expect(announced).toEqual(expect.arrayContaining([a.sessionId, b.sessionId]));
    await expectProblem(await refresh(a.refreshToken), 401, 'session_revoked');
    await expectProblem(await refresh(b.refreshToken), 401, 'session_revoked');
  });

  it('removes one device by id, and answers 404 for another account’s session id', async () => {
    const mine = await login(DEMO);
    const other = await login(DEMO);
    const foreign = await login(FAMILY);
    const stranger = await call({ method: 'DELETE', path: `/v1/sessions/${foreign.sessionId}`, ...as(mine) });
    await expectProblem(stranger, 404, 'not_found');
    expect((await refresh(foreign.refreshToken)).status).toBe(200);
    const res = await call({ method: 'DELETE', path: `/v1/sessions/${other.sessionId}`, ...as(mine) });
    expect(res.status).toBe(204);
    await expectProblem(await refresh(other.refreshToken), 401, 'session_revoked');
    await expectProblem(
      await call({ method: 'DELETE', path: '/v1/sessions/nope', ...as(mine) }),
      400,
      'validation_failed',
    );
  });

  it('a password change needs the old password and signs out every other session', async () => {
    const here = await login(BASIC);
    const there = await login(BASIC);
    const wrong = await call({
      method: 'POST',
      path: '/v1/account/password',
      body: { oldPassword: 'nope', newPassword: 'a-new-password' },
      ...as(here),
    });
    await expectProblem(wrong, 401, 'invalid_credentials');
    const res = await call({
      method: 'POST',
      path: '/v1/account/password',
      body: { oldPassword: BASIC.password, newPassword: 'a-new-password' },
      ...as(here),
    });
    expect(res.status).toBe(204);
    expect(res.headers.get(REVOKED_SESSIONS_HEADER)).toContain(there.sessionId);
    await expectProblem(await refresh(there.refreshToken), 401, 'session_revoked');
    expect((await refresh(here.refreshToken)).status).toBe(200);
    await login({ email: BASIC.email, password: 'a-new-password' });
    const old = await call({ method: 'POST', path: '/v1/auth/login', body: BASIC });
    await expectProblem(old, 401, 'invalid_credentials');
  });
});
