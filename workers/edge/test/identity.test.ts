import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { importUserTokenSigner, signUserToken, type UserClaims } from '../../../core/tokens.ts';
import { createEdgeApp } from '../src/app.ts';

const DEMO = { email: 'demo@edgeflix.test', password: 'edgeflix-demo' };
const FAMILY = { email: 'family@edgeflix.test', password: 'edgeflix-family' };
const settings = { issuer: 'edgeflix', audience: 'edgeflix-api' };

const api = (path: string, init: RequestInit = {}) => SELF.fetch(`https://edge.test${path}`, init);
const json = (body: unknown, token?: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify(body),
});
const bearer = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}` } });

async function expectProblem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(await res.json()).toMatchObject({ status, code });
}

async function login(creds = DEMO): Promise<string> {
  const res = await api('/v1/auth/login', json(creds));
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

async function profilesOf(token: string): Promise<{ id: string; name: string; kids: boolean }[]> {
  const res = await api('/v1/profiles', bearer(token));
  expect(res.status).toBe(200);
  return ((await res.json()) as { profiles: { id: string; name: string; kids: boolean }[] }).profiles;
}

async function forge(jwkText: string, claims: UserClaims, now = Date.now()): Promise<string> {
  const signer = await importUserTokenSigner(JSON.parse(jwkText));
  return (await signUserToken(claims, signer, settings, now)).token;
}

const someAccount = {
  sub: '6f1c1d8e-7d3a-4f6b-9a57-1b2c3d4e5f60',
  scope: 'account',
  plan: 'premium',
  since: 1,
} as const;

describe('sign-in through the edge', () => {
  it('logs in, lists profiles and selects one, ending with a profile token', async () => {
    const accountToken = await login();
    const profiles = await profilesOf(accountToken);
    expect(profiles.map((p) => p.name)).toEqual(expect.arrayContaining(['Kids']));
    const res = await api(`/v1/profiles/${profiles[0]!.id}/select`, { method: 'POST', ...bearer(accountToken) });
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as Record<
      string,
      unknown
    >;
    expect(payload).toMatchObject({ scope: 'profile', pid: profiles[0]!.id });
  });

  it('refuses to select a profile of another account with 403', async () => {
    const foreign = (await profilesOf(await login(FAMILY)))[0]!;
    const res = await api(`/v1/profiles/${foreign.id}/select`, { method: 'POST', ...bearer(await login()) });
    await expectProblem(res, 403, 'forbidden');
  });

  it('refuses a profile token where an account token is needed (tokens grant one thing)', async () => {
    const accountToken = await login();
    const [profile] = await profilesOf(accountToken);
    const selected = await api(`/v1/profiles/${profile!.id}/select`, { method: 'POST', ...bearer(accountToken) });
    const { token: profileToken } = (await selected.json()) as { token: string };
    const res = await api(`/v1/profiles/${profile!.id}/select`, { method: 'POST', ...bearer(profileToken) });
    await expectProblem(res, 403, 'forbidden');
  });

  it('rejects bad login bodies at the edge with 400/413/415 problems', async () => {
    await expectProblem(await api('/v1/auth/login', { ...json({}), body: '{' }), 400, 'malformed_json');
    await expectProblem(await api('/v1/auth/login', json({ ...DEMO, extra: 1 })), 400, 'validation_failed');
    await expectProblem(
      await api('/v1/auth/login', json({ ...DEMO, password: 'x'.repeat(17_000) })),
      413,
      'payload_too_large',
    );
    await expectProblem(
      await api('/v1/auth/login', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' }),
      415,
      'unsupported_media_type',
    );
  });

  it('passes a wrong password through as 401 invalid_credentials', async () => {
    await expectProblem(await api('/v1/auth/login', json({ ...DEMO, password: 'wrong' })), 401, 'invalid_credentials');
  });
});

describe('token verification at the edge', () => {
  it('refuses a request without a token (401) before looking at the route', async () => {
    await expectProblem(await api('/v1/profiles'), 401, 'unauthenticated');
    await expectProblem(await api('/v1/does-not-exist'), 401, 'unauthenticated');
  });

  it('refuses an expired token with 401 token_expired', async () => {
    const token = await forge(env.TEST_SIGNING_JWK, someAccount, Date.now() - 3 * 3600_000);
    await expectProblem(await api('/v1/profiles', bearer(token)), 401, 'token_expired');
  });

  it('refuses a token with alg "none" with 401', async () => {
    const enc = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
    const now = Math.floor(Date.now() / 1000);
    const token = `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ ...someAccount, iss: settings.issuer, aud: settings.audience, iat: now, exp: now + 600 })}.`;
    await expectProblem(await api('/v1/profiles', bearer(token)), 401, 'invalid_token');
  });

  it('refuses a token signed with another key (same kid) with 401', async () => {
    const token = await forge(env.TEST_FOREIGN_SIGNING_JWK, someAccount);
    await expectProblem(await api('/v1/profiles', bearer(token)), 401, 'invalid_token');
  });

  it('answers an unknown route with a 404 problem once the token checks out', async () => {
    await expectProblem(await api('/v1/does-not-exist', bearer(await login())), 404, 'not_found');
    await expectProblem(await api('/nowhere'), 404, 'not_found');
  });
});

describe('edge operations', () => {
  it('answers /healthz', async () => {
    const res = await api('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('carries a well-formed request id through and mints one otherwise', async () => {
    const res = await api('/v1/auth/login', {
      ...json(DEMO),
      headers: { 'content-type': 'application/json', 'x-request-id': 'client-req-12345' },
    });
    expect(res.headers.get('x-request-id')).toBe('client-req-12345');
    const minted = await api('/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(minted.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers 502 origin_unavailable with Retry-After when the origin is down', async () => {
    const app = createEdgeApp();
    const res = await app.fetch(
      new Request('https://edge.test/v1/auth/login', json(DEMO)),
      { ...env, ORIGIN_URL: 'http://127.0.0.1:9' },
      { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext,
    );
    await expectProblem(res, 502, 'origin_unavailable');
    expect(res.headers.get('retry-after')).toBe('2');
  });
});
