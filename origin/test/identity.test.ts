import { decodeJwt, jwtVerify, createLocalJWKSet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signServiceToken } from '../../core/tokens.ts';
import { asEdge } from './support/as-edge.ts';
import type { TestKeys } from './support/keys.ts';
import { listen, realTestOrigin, TEST_TOKEN_SETTINGS, type TestOrigin } from './support/origin.ts';

const DEMO = { email: 'demo@edgeflix.test', password: 'edgeflix-demo' };
const FAMILY = { email: 'family@edgeflix.test', password: 'edgeflix-family' };

let keys: TestKeys;
let origin: TestOrigin;
let cleanup: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const real = await realTestOrigin('identity');
  ({ origin, keys } = real);
  cleanup = [() => real.stop()];
});

afterAll(async () => {
  for (const step of cleanup) await step();
});

const call = (c: Parameters<typeof asEdge>[2]) => asEdge(origin, keys.serviceSecret, c);

async function login(creds: { email: string; password: string }): Promise<string> {
  const res = await call({ method: 'POST', path: '/v1/auth/login', body: creds });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

async function expectProblem(res: Response, status: number, code: string): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status, code, type: `urn:edgeflix:problem:${code}` });
  expect(typeof body['detail']).toBe('string');
  return body;
}

describe('login', () => {
  it('issues a short-lived ES256 account token with iss, aud and exp for the right password', async () => {
    const token = await login(DEMO);
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(keys.publicJwks), {
      algorithms: ['ES256'],
      ...TEST_TOKEN_SETTINGS,
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: 'test-key-1' });
    expect(payload).toMatchObject({ scope: 'account', plan: 'premium' });
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(15 * 60);
  });

  it('treats the email case-insensitively', async () => {
    await login({ email: 'Demo@EdgeFlix.test', password: DEMO.password });
  });

  it('answers a wrong password and an unknown email with the same 401', async () => {
    const wrong = await call({ method: 'POST', path: '/v1/auth/login', body: { ...DEMO, password: 'nope' } });
    const unknown = await call({
      method: 'POST',
      path: '/v1/auth/login',
      body: { email: 'x@y.test', password: 'nope' },
    });
    const a = await expectProblem(wrong, 401, 'invalid_credentials');
    const b = await expectProblem(unknown, 401, 'invalid_credentials');
    expect(a['detail']).toBe(b['detail']);
  });

  it.each([
    ['malformed JSON', { rawBody: '{"email":' }, 400, 'malformed_json'],
    ['a wrong type', { body: { email: 'demo@edgeflix.test', password: 42 } }, 400, 'validation_failed'],
    ['an unknown field', { body: { ...DEMO, admin: true } }, 400, 'validation_failed'],
    ['a missing field', { body: { email: DEMO.email } }, 400, 'validation_failed'],
    [
      'a non-JSON content type',
      { rawBody: 'email=a', contentType: 'application/x-www-form-urlencoded' },
      415,
      'unsupported_media_type',
    ],
    ['an oversize body', { body: { ...DEMO, password: 'x'.repeat(20_000) } }, 413, 'payload_too_large'],
  ])('rejects %s with a problem, never a 5xx', async (_name, input, status, code) => {
    await expectProblem(await call({ method: 'POST', path: '/v1/auth/login', ...input }), status, code);
  });

  it('names the offending field in a validation problem', async () => {
    const res = await call({ method: 'POST', path: '/v1/auth/login', body: { email: 'not-an-email', password: 'x' } });
    const body = await expectProblem(res, 400, 'validation_failed');
    expect(body['errors']).toEqual([expect.objectContaining({ path: 'email' })]);
  });
});

describe('service credential', () => {
  it('is required on every /v1 route', async () => {
    await expectProblem(
      await call({ method: 'POST', path: '/v1/auth/login', body: DEMO, noCredential: true }),
      401,
      'unauthenticated',
    );
  });

  it('must be signed with the shared secret', async () => {
    const res = await call({
      method: 'POST',
      path: '/v1/auth/login',
      body: DEMO,
      secret: 'another-secret-another-secret-123',
    });
    await expectProblem(res, 401, 'invalid_token');
  });

  it('is bound to the method and path it was minted for', async () => {
    const res = await call({
      method: 'POST',
      path: '/v1/auth/login',
      body: DEMO,
      credentialFor: { method: 'GET', path: '/v1/profiles' },
    });
    await expectProblem(res, 401, 'invalid_token');
  });

  it('is bound to the exact body bytes it was minted for (401 for any other body)', async () => {
    const res = await call({
      method: 'POST',
      path: '/v1/auth/login',
      body: DEMO,
      credentialBody: JSON.stringify(FAMILY),
    });
    await expectProblem(res, 401, 'invalid_token');
    const spaced = await call({
      method: 'POST',
      path: '/v1/auth/login',
      rawBody: `${JSON.stringify(DEMO)} `,
      credentialBody: JSON.stringify(DEMO),
    });
    await expectProblem(spaced, 401, 'invalid_token');
  });

  it('is refused when replayed (401), even for the very request it was minted for', async () => {
    const body = JSON.stringify(DEMO);
    const token = await signServiceToken(
      { htm: 'POST', htu: '/v1/auth/login', rid: 'test-replay-0001' },
      keys.serviceSecret,
      {
        body,
      },
    );
    const send = () =>
      origin.app.request('/v1/auth/login', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      });
    expect((await send()).status).toBe(200);
    await expectProblem(await send(), 401, 'invalid_token');
  });

  it("is refused (403) when the profile it names belongs to another account, and passes for the account's own", async () => {
    const demoSub = decodeJwt(await login(DEMO)).sub!;
    const familySub = decodeJwt(await login(FAMILY)).sub!;
    const profilesOf = async (sub: string) =>
      ((await (await call({ path: '/v1/profiles', sub })).json()) as { profiles: { id: string }[] }).profiles;
    const foreign = (await profilesOf(familySub))[0]!.id;
    const own = (await profilesOf(demoSub))[0]!.id;
    const path = '/internal/v1/history?limit=1';
    // Twice: the second answer comes from the origin's cache of profile owners.
    for (let i = 0; i < 2; i++) {
      await expectProblem(await call({ path, sub: demoSub, pid: foreign, mat: 50 }), 403, 'forbidden');
      expect((await call({ path, sub: demoSub, pid: own, mat: 50 })).status).toBe(200);
    }
  });

  it('expires', async () => {
    const res = await call({ method: 'POST', path: '/v1/auth/login', body: DEMO, now: Date.now() - 10 * 60_000 });
    await expectProblem(res, 401, 'token_expired');
  });
});

describe('profiles', () => {
  it("lists only the calling account's profiles, kids and adult among them", async () => {
    const sub = decodeJwt(await login(DEMO)).sub!;
    const res = await call({ path: '/v1/profiles', sub });
    expect(res.status).toBe(200);
    const { profiles } = (await res.json()) as { profiles: { name: string; kids: boolean; maturityLevel: number }[] };
    expect(profiles.length).toBeGreaterThanOrEqual(3);
    expect(profiles.some((p) => p.kids)).toBe(true);
    expect(profiles.some((p) => !p.kids)).toBe(true);
  });

  it('selecting an own profile returns a profile token naming that profile and its maturity level', async () => {
    const sub = decodeJwt(await login(DEMO)).sub!;
    const list = (await (await call({ path: '/v1/profiles', sub })).json()) as {
      profiles: { id: string; maturityLevel: number }[];
    };
    const profile = list.profiles[0]!;
    const res = await call({ method: 'POST', path: `/v1/profiles/${profile.id}/select`, sub });
    expect(res.status).toBe(200);
    const claims = decodeJwt(((await res.json()) as { token: string }).token);
    expect(claims).toMatchObject({ sub, scope: 'profile', pid: profile.id, mat: profile.maturityLevel });
  });

  it('never reaches a profile of another account (403), whatever the path says', async () => {
    const demoSub = decodeJwt(await login(DEMO)).sub!;
    const familySub = decodeJwt(await login(FAMILY)).sub!;
    const familyProfiles = (await (await call({ path: '/v1/profiles', sub: familySub })).json()) as {
      profiles: { id: string }[];
    };
    const foreign = familyProfiles.profiles[0]!.id;
    await expectProblem(
      await call({ method: 'POST', path: `/v1/profiles/${foreign}/select`, sub: demoSub }),
      403,
      'forbidden',
    );
  });

  it('answers an unknown profile id like a foreign one (403), so ids cannot be probed', async () => {
    const sub = decodeJwt(await login(DEMO)).sub!;
    const res = await call({ method: 'POST', path: '/v1/profiles/00000000-0000-4000-8000-000000000000/select', sub });
    await expectProblem(res, 403, 'forbidden');
  });

  it('rejects a profile id that is not a UUID with 400', async () => {
    const sub = decodeJwt(await login(DEMO)).sub!;
    await expectProblem(await call({ method: 'POST', path: '/v1/profiles/42/select', sub }), 400, 'validation_failed');
  });

  it('needs an account identity in the credential', async () => {
    await expectProblem(await call({ path: '/v1/profiles' }), 401, 'unauthenticated');
  });
});

describe('unknown routes and health', () => {
  it('answers an unknown route with a 404 problem', async () => {
    await expectProblem(await call({ path: '/v1/nothing-here' }), 404, 'not_found');
  });

  it('echoes the request id over HTTP on a route answer, a refusal and an unknown route', async () => {
    const server = await listen(origin.app);
    try {
      const account = (await origin.deps.stores.accounts.findAccountByEmail(DEMO.email))!;
      const get = async (path: string, requestId: string, token?: string) => {
        const headers: Record<string, string> = { 'x-request-id': requestId };
        if (token) headers.authorization = `Bearer ${token}`;
        const res = await fetch(`${server.url}${path}`, { headers });
        const body = await res.text();
        return { status: res.status, id: res.headers.get('x-request-id'), body };
      };
      const credential = (path: string) =>
        signServiceToken({ htm: 'GET', htu: path, rid: 'test-request-0001', sub: account.id }, keys.serviceSecret);
      const listed = await get('/v1/profiles', 'req-listed-0001', await credential('/v1/profiles'));
      expect(listed).toMatchObject({ status: 200, id: 'req-listed-0001' });
      expect(JSON.parse(listed.body)).toHaveProperty('profiles');
      expect(await get('/v1/profiles', 'req-refused-0001')).toMatchObject({ status: 401, id: 'req-refused-0001' });
      const unknown = await get('/v1/nothing-here', 'req-unknown-0001', await credential('/v1/nothing-here'));
      expect(unknown).toMatchObject({ status: 404, id: 'req-unknown-0001' });
      expect((await get('/healthz', 'req-health-0001')).id).toBe('req-health-0001');
    } finally {
      await server.close();
    }
  });

  it('reports every store ready on /readyz', async () => {
    const res = await origin.app.request('/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'ready',
      checks: { postgres: { ok: true }, cassandra: { ok: true }, kafka: { ok: true } },
    });
  });
});
