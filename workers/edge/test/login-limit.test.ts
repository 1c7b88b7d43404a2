import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { SessionTokenResponse } from '../../../core/wire.ts';
import { createEdgeApp } from '../src/app.ts';

/**
 * The login limiter against the real origin and the real RateLimiter Durable Object, with a low
 * `auth` limit. Each test gets limiter objects of its own (a name prefix), so no count is left over
 * from another test or another suite signing the same account in.
 */
const app = createEdgeApp();
const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
const DEMO = { email: 'demo@edgeflix.test', password: 'edgeflix-demo' };
const FAMILY = { email: 'family@edgeflix.test', password: 'edgeflix-family' };
const WRONG = { ...DEMO, password: 'not-the-password' };
const LIMIT = 3;

const byte = () => Math.floor(Math.random() * 250) + 1;
const randomIpv4 = () => `10.${byte()}.${byte()}.${byte()}`;

type Login = { email: string; password: string; deviceToken?: string | undefined };

/** An edge whose sign-in limit is `LIMIT`, with fresh limiter state: `login(body, address?)`. */
function freshEdge() {
  const prefix = crypto.randomUUID();
  const limiter = {
    idFromName: (name: string) => env.RATE_LIMITER.idFromName(`${prefix}:${name}`),
    get: (id: DurableObjectId) => env.RATE_LIMITER.get(id),
  } as unknown as Env['RATE_LIMITER'];
  const limitedEnv = {
    ...env,
    RATE_LIMITS: JSON.stringify({ tiers: { auth: { limit: LIMIT } } }),
    RATE_LIMITER: limiter,
  };
  return async (body: Login, address = randomIpv4()): Promise<Response> =>
    app.fetch(
      new Request('https://edge.test/v1/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cf-connecting-ip': address },
        body: JSON.stringify(body),
      }),
      limitedEnv,
      ctx,
    );
}

async function codeOf(res: Response): Promise<string | number> {
  if (res.status < 400) {
    await res.body?.cancel();
    return res.status;
  }
  return ((await res.json()) as { code: string }).code;
}

async function deviceTokenOf(res: Response): Promise<string> {
  expect(res.status).toBe(200);
  const { deviceToken } = (await res.json()) as SessionTokenResponse;
  expect(deviceToken).toMatch(/^dt1\./);
  return deviceToken!;
}

describe('the login limiter', () => {
  it('lets the victim’s known device sign in while wrong passwords for its email arrive from many addresses', async () => {
    const login = freshEdge();
    const home = randomIpv4();
    const deviceToken = await deviceTokenOf(await login(DEMO, home));
    const guesses = await Promise.all(Array.from({ length: 12 }, () => login(WRONG).then(codeOf)));
    expect(guesses.filter((c) => c === 'invalid_credentials')).toHaveLength(LIMIT);
    expect(guesses.filter((c) => c === 'rate_limited')).toHaveLength(12 - LIMIT);
    // The owner's device is not locked out, and gets its next token.
    const again = await login({ ...DEMO, deviceToken }, home);
    expect(await deviceTokenOf(again)).not.toBe(deviceToken);
    // A device that never signed in is: the email's failures are used up.
    expect(await codeOf(await login(DEMO))).toBe('rate_limited');
  });

  it('locks out an unknown device after the limit of failures, even with the right password, and says when to retry', async () => {
    const login = freshEdge();
    const familyToken = await deviceTokenOf(await login(FAMILY));
    for (let i = 0; i < LIMIT; i++) expect(await codeOf(await login(WRONG))).toBe('invalid_credentials');
    const refused = await login(DEMO);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ code: 'rate_limited' });
    // A device token issued for another email is no device token for this one.
    expect(await codeOf(await login({ ...DEMO, deviceToken: familyToken }))).toBe('rate_limited');
    expect(await codeOf(await login({ ...DEMO, deviceToken: 'dt1.forged' }))).toBe('rate_limited');
  });

  it('does not spend the per-email budget on successful sign-ins', async () => {
    const login = freshEdge();
    for (let i = 0; i < 2 * LIMIT; i++) expect(await codeOf(await login(DEMO))).toBe(200);
    for (let i = 0; i < LIMIT; i++) expect(await codeOf(await login(WRONG))).toBe('invalid_credentials');
    expect(await codeOf(await login(WRONG))).toBe('rate_limited');
  });

  it('keeps the per-address limit: a known device gets no more attempts from one address', async () => {
    const login = freshEdge();
    const deviceToken = await deviceTokenOf(await login(DEMO));
    const address = randomIpv4();
    for (let i = 0; i < LIMIT; i++) expect(await codeOf(await login({ ...DEMO, deviceToken }, address))).toBe(200);
    expect(await codeOf(await login({ ...DEMO, deviceToken }, address))).toBe('rate_limited');
    expect(await codeOf(await login({ ...DEMO, deviceToken }))).toBe(200);
  });

  it('invalidates a device token after the limit of its own failures: from then on its device counts as unknown', async () => {
    const login = freshEdge();
    const guessed = await deviceTokenOf(await login(DEMO));
    const untouched = await deviceTokenOf(await login(DEMO));
    // The token's own budget, then the email's.
    for (let i = 0; i < 2 * LIMIT; i++) {
      expect(await codeOf(await login({ ...WRONG, deviceToken: guessed }))).toBe('invalid_credentials');
    }
    expect(await codeOf(await login({ ...DEMO, deviceToken: guessed }))).toBe('rate_limited');
    // Another device's token is still good.
    expect(await codeOf(await login({ ...DEMO, deviceToken: untouched }))).toBe(200);
  });

  it('resets a known device’s failures when it signs in', async () => {
    const login = freshEdge();
    let deviceToken = await deviceTokenOf(await login(DEMO));
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < LIMIT - 1; i++) {
        expect(await codeOf(await login({ ...WRONG, deviceToken }))).toBe('invalid_credentials');
      }
      deviceToken = await deviceTokenOf(await login({ ...DEMO, deviceToken }));
    }
    // Never more than LIMIT - 1 in a row: the email's budget is untouched.
    for (let i = 0; i < LIMIT; i++) expect(await codeOf(await login(WRONG))).toBe('invalid_credentials');
  });
});
