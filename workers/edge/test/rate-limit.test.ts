import { env, runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { shardOf, type RateLimitOverrides } from '../../../core/rate-limit.ts';
import { importUserTokenSigner, signUserToken } from '../../../core/tokens.ts';
import { createEdgeApp } from '../src/app.ts';
import { checkLimits, WHEN_LIMITER_FAILS } from '../src/http/rate-limit.ts';

/**
 * The suites share one worker whose RATE_LIMITS are generous (workers/vitest.config.ts); these
 * tests run the app with their own low limits and fresh keys (random addresses and accounts), so
 * neither side uses up the other's budget.
 */
const app = createEdgeApp();
const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;

function limited(overrides: RateLimitOverrides) {
  const limitedEnv = { ...env, RATE_LIMITS: JSON.stringify(overrides) };
  return async (path: string, init: RequestInit = {}): Promise<Response> =>
    app.fetch(new Request(`https://edge.test${path}`, init), limitedEnv, ctx);
}

/** The app with a limiter whose Durable Object cannot answer (every `check` fails, as when it is unavailable). */
function withFailingLimiter(overrides: RateLimitOverrides = {}) {
  const unavailable = {
    idFromName: (name: string) => env.RATE_LIMITER.idFromName(name),
    get: () => ({ check: () => Promise.reject(new Error('Durable Object is overloaded')) }),
  } as unknown as Env['RATE_LIMITER'];
  const failingEnv = { ...env, RATE_LIMITS: JSON.stringify(overrides), RATE_LIMITER: unavailable };
  return async (path: string, init: RequestInit = {}): Promise<Response> =>
    app.fetch(new Request(`https://edge.test${path}`, init), failingEnv, ctx);
}

const byte = () => Math.floor(Math.random() * 250) + 1;
const randomIpv4 = () => `10.${byte()}.${byte()}.${byte()}`;
const hex = () => Math.floor(Math.random() * 0xffff).toString(16);
const randomPrefix64 = () => `2001:db8:${hex()}:${hex()}`;

async function profileToken(sub = crypto.randomUUID()): Promise<string> {
  const signer = await importUserTokenSigner(JSON.parse(env.TEST_SIGNING_JWK));
  const claims = { sub, scope: 'profile', pid: crypto.randomUUID(), mat: 50, plan: 'premium', since: 1 } as const;
  return (await signUserToken(claims, signer, { issuer: 'edgeflix', audience: 'edgeflix-api' })).token;
}

const login = (
  ip: string,
  email = `nobody-${crypto.randomUUID()}@edgeflix.test`,
  headers: Record<string, string> = {},
) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip, ...headers },
  body: JSON.stringify({ email, password: 'not-the-password' }),
});
const asUser = (token: string, ip = randomIpv4()) => ({
  headers: { authorization: `Bearer ${token}`, 'cf-connecting-ip': ip },
});

afterEach(() => vi.restoreAllMocks());

describe('sliding-window limits at the edge', () => {
  it('admits exactly the limit from a burst of concurrent requests on one key (Durable Object)', async () => {
    const key = `browse:test:${crypto.randomUUID()}`;
    const decisions = await Promise.all(
      Array.from({ length: 100 }, () => checkLimits(env, 64, [{ key, limit: 7, windowMs: 60_000 }])),
    );
    expect(decisions.filter(([d]) => d!.allowed)).toHaveLength(7);
    expect(decisions.filter(([d]) => !d!.allowed).every(([d]) => d!.retryAfter > 0)).toBe(true);
  });

  it('keeps counting after its Durable Object is evicted (the logs are stored)', async () => {
    const key = `browse:test:${crypto.randomUUID()}`;
    const rule = { key, limit: 3, windowMs: 60_000 };
    await checkLimits(env, 64, [rule]);
    await checkLimits(env, 64, [rule]);
    const shard = () => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`shard-${shardOf(key, 64)}`));
    await runInDurableObject(shard(), (_instance, state) => state.abort('evicted by the test')).catch(() => {});
    const fresh = await runInDurableObject(shard(), (instance) => instance.stats(key));
    expect(fresh).toMatchObject({ status: 'ready', counted: 2 });
    const [third, fourth] = [(await checkLimits(env, 64, [rule]))[0]!, (await checkLimits(env, 64, [rule]))[0]!];
    expect(third).toMatchObject({ allowed: true, remaining: 0 });
    expect(fourth.allowed).toBe(false);
  });

  it('never admits more than the limit per client in a burst from many concurrent clients', async () => {
    const api = limited({ tiers: { browse: { limit: 3 } } });
    const clients = await Promise.all(Array.from({ length: 8 }, () => profileToken()));
    const answers = await Promise.all(
      clients.flatMap((token, client) =>
        Array.from({ length: 10 }, () =>
          api('/v1/titles?limit=1', asUser(token)).then((r) => ({ client, status: r.status })),
        ),
      ),
    );
    for (let client = 0; client < clients.length; client++) {
      const mine = answers.filter((a) => a.client === client);
      expect(mine.filter((a) => a.status !== 429)).toHaveLength(3);
    }
  });

  it('keys a signed-in caller by account, whatever address it comes from', async () => {
    const api = limited({ tiers: { browse: { limit: 2 } } });
    const token = await profileToken();
    for (let i = 0; i < 2; i++) expect((await api('/v1/titles?limit=1', asUser(token))).status).not.toBe(429);
    expect((await api('/v1/titles?limit=1', asUser(token))).status).toBe(429);
    expect((await api('/v1/titles?limit=1', asUser(await profileToken()))).status).not.toBe(429);
  });

  it('answers every limited response with X-RateLimit-* and IETF RateLimit headers, and refuses with 429 + Retry-After', async () => {
    const api = limited({ tiers: { browse: { limit: 2, windowSeconds: 60 } } });
    const token = await profileToken();
    const first = await api('/v1/titles?limit=1', asUser(token));
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    const reset = Date.parse(first.headers.get('x-ratelimit-reset')!);
    expect(reset).toBeGreaterThan(Date.now() + 55_000);
    expect(first.headers.get('ratelimit-policy')).toBe('2;w=60');
    expect(first.headers.get('ratelimit')).toMatch(/^limit=2, remaining=1, reset=(59|60)$/);
    expect(first.headers.get('retry-after')).toBeNull();
    await api('/v1/titles?limit=1', asUser(token));
    const refused = await api('/v1/titles?limit=1', asUser(token));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(await refused.json()).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(refused.headers.get('ratelimit')).toMatch(/^limit=2, remaining=0, reset=(59|60)$/);
  });

  it('does not let a spoofed X-Forwarded-For escape the limit of the address the edge saw', async () => {
    const api = limited({ tiers: { auth: { limit: 3 } } });
    const ip = randomIpv4();
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      const res = await api('/v1/auth/login', login(ip, undefined, { 'x-forwarded-for': randomIpv4() }));
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
  });

  it('does not let rotating IPv6 addresses within one /64 escape, while another /64 is separate', async () => {
    const api = limited({ tiers: { auth: { limit: 2 } } });
    const prefix = randomPrefix64();
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await api('/v1/auth/login', login(`${prefix}:${hex()}:${hex()}:${hex()}:${hex()}`))).status);
    }
    expect(statuses).toEqual([401, 401, 429, 429]);
    expect((await api('/v1/auth/login', login(`${randomPrefix64()}::1`))).status).toBe(401);
  });

  it('limits sign-in per target email too, across addresses and letter case', async () => {
    const api = limited({ tiers: { auth: { limit: 2 } } });
    const email = `victim-${crypto.randomUUID()}@edgeflix.test`;
    expect((await api('/v1/auth/login', login(randomIpv4(), email))).status).toBe(401);
    expect((await api('/v1/auth/login', login(randomIpv4(), email.toUpperCase()))).status).toBe(401);
    const refused = await api('/v1/auth/login', login(randomIpv4(), email));
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ code: 'rate_limited' });
  });

  it('admits but counts in shadow mode, logging each would-be refusal', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const api = limited({ tiers: { auth: { limit: 2, shadow: true } } });
    const ip = randomIpv4();
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await api('/v1/auth/login', login(ip)));
    expect(answers.map((r) => r.status)).toEqual([401, 401, 401, 401]);
    expect(answers.map((r) => r.headers.get('x-ratelimit-remaining'))).toEqual(['1', '0', '0', '0']);
    expect(answers.every((r) => r.headers.get('retry-after') === null)).toBe(true);
    const lines = warn.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
    const shadow = lines.filter((l) => l.event === 'rate_limit_shadow_refusal');
    expect(shadow).toHaveLength(2);
    expect(shadow[0]).toMatchObject({ level: 'warn', service: 'edge', metadata: { tier: 'auth', limit: 2 } });
    expect(JSON.stringify(shadow)).not.toContain('@edgeflix.test');
  });

  it('does not limit segments or HLS media playlists (players fetch them in bursts)', async () => {
    const api = limited({ tiers: { browse: { limit: 1 }, playbackStart: { limit: 1 } } });
    const ip = randomIpv4();
    for (let i = 0; i < 5; i++) {
      for (const path of [
        `/v1/media/${crypto.randomUUID()}/v1/seg-${i}.m4s`,
        `/v1/playback/${crypto.randomUUID()}/hls/v1.m3u8`,
      ]) {
        const res = await api(path, { headers: { 'cf-connecting-ip': ip } });
        expect(res.status).not.toBe(429);
        expect(res.headers.get('x-ratelimit-limit')).toBeNull();
      }
    }
  });

  it('fails closed for sign-in when the limiter cannot answer: 503 with Retry-After, logged', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const api = withFailingLimiter();
    for (let i = 0; i < 3; i++) {
      const res = await api('/v1/auth/login', login(randomIpv4()));
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toMatchObject({ code: 'unavailable', status: 503 });
    }
    const lines = error.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
    expect(lines.filter((l) => l.event === 'rate_limit_unavailable')).toHaveLength(3);
    expect(lines.find((l) => l.event === 'rate_limit_unavailable')).toMatchObject({ metadata: { tier: 'auth' } });
  });

  it('fails open for browsing when the limiter cannot answer, and for a shadow sign-in tier', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(WHEN_LIMITER_FAILS).toMatchObject({ auth: 'closed', browse: 'open' });
    const browse = await withFailingLimiter()('/v1/titles?limit=1', asUser(await profileToken()));
    expect(browse.status).toBe(200);
    expect(browse.headers.get('x-ratelimit-limit')).toBeNull();
    const shadow = withFailingLimiter({ tiers: { auth: { shadow: true } } });
    expect((await shadow('/v1/auth/login', login(randomIpv4()))).status).toBe(401);
  });

  it('limits nothing when disabled', async () => {
    const api = limited({ enabled: false, tiers: { auth: { limit: 1 } } });
    const ip = randomIpv4();
    for (let i = 0; i < 3; i++) {
      const res = await api('/v1/auth/login', login(ip));
      expect(res.status).toBe(401);
      expect(res.headers.get('x-ratelimit-limit')).toBeNull();
    }
  });
});
