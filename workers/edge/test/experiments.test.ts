import { env, exports } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { allocate } from '../../../core/experiments/allocate.ts';
import type { Assignment, ExperimentsResponse } from '../../../core/experiments/schema.ts';
import published from '../../../core/experiments/test-vectors.json' with { type: 'json' };
import { VECTOR_CONFIG } from '../../../core/experiments/vectors.ts';
import { importUserTokenSigner, signUserToken, type Identity } from '../../../core/tokens.ts';
import { calm, chaos, newOwner, originCalls, profileToken } from '../../test/helpers.ts';
import { CONFIG_CACHE_KEY, CONFIG_FRESH_MS, CONFIG_PATH, EXPOSURES_PATH, forgetConfig } from '../src/experiments.ts';

const DAY_S = 86_400;

/** A profile token with the plan and account age the test needs. */
const tokenFor = (owner: Identity, claims: { plan?: string; sinceDaysAgo?: number } = {}) =>
  profileToken(owner, {
    ...(claims.plan ? { plan: claims.plan } : {}),
    since: Math.floor(Date.now() / 1000) - (claims.sinceDaysAgo ?? 1000) * DAY_S,
  });

function experiments(token: string, init: { device?: string; country?: string } = {}): Promise<Response> {
  return exports.default.fetch('https://edge.test/v1/experiments', {
    headers: { authorization: `Bearer ${token}`, ...(init.device ? { 'x-device-type': init.device } : {}) },
    ...(init.country ? { cf: { country: init.country } } : {}),
  });
}

async function assignmentsOf(token: string, init: { device?: string; country?: string } = {}) {
  const res = await experiments(token, init);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as ExperimentsResponse;
}

/** The operator API, on the origin directly (the edge has no route to it). */
function operator(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(new URL(`/operator/v1${path}`, env.TEST_ORIGIN_URL), {
    method,
    headers: {
      authorization: `Bearer ${env.TEST_OPERATOR_KEY}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

/** Waits until the proxy in front of the origin has seen `count` answered calls of the owner to `path`. */
async function callsTo(owner: Identity, path: string, count: number, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const calls = await originCalls(owner, path);
    const answered = calls.length >= count && calls.every((c) => c.status !== null);
    if (answered || Date.now() > deadline) return calls;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const owners: Identity[] = [];
function owner(): Identity {
  const o = newOwner();
  owners.push(o);
  return o;
}

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(owners.splice(0).map(calm));
});

/** Moves the edge's clock past the config's freshness (Date only; timers stay real). */
function later(ms = CONFIG_FRESH_MS + 1000) {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.now() + ms);
}

describe('allocation inside workerd', () => {
  it('reproduces every published test vector (the same answers as Node and as other languages)', () => {
    const context = { country: 'US', device: null, plan: null, tenure: null };
    for (const p of published.profiles) {
      const got = allocate(p.profileId, VECTOR_CONFIG, context, Date.now());
      expect(
        got.map((a) => ({ experimentId: a.experimentId, variantId: a.variantId })),
        p.profileId,
      ).toEqual(p.assignments);
    }
  });
});

describe('GET /v1/experiments', () => {
  it('answers the profile’s variants of the running homepage experiments, with the targeting context', async () => {
    const o = owner();
    const body = await assignmentsOf(await tokenFor(o, { plan: 'standard', sinceDaysAgo: 3 }), { device: 'tv' });
    expect(body.context).toEqual({ country: 'US', device: 'tv', plan: 'standard', tenure: 'new' });
    expect(body.configStale).toBe(false);
    const byId = new Map(body.assignments.map((a) => [a.experimentId, a]));
    expect(['control', 'continue_first', 'trending_first', 'personalized']).toContain(
      byId.get('homepage_row_order')?.variantId,
    );
    expect(['default', 'genre_based', 'personalized']).toContain(byId.get('artwork_personalization')?.variantId);
  });

  it('agrees with the origin’s allocation for the same profiles and context (edge in workerd, origin on Node)', async () => {
    for (let i = 0; i < 5; i++) {
      const o = owner();
      const edge = await assignmentsOf(await tokenFor(o, { plan: 'basic', sinceDaysAgo: 100 }), {
        device: 'mobile',
        country: 'DE',
      });
      const res = await operator(
        'GET',
        `/assignments/${o.profileId}?country=DE&device=mobile&plan=basic&tenure=established`,
      );
      const origin = (await res.json()) as { assignments: Assignment[]; configVersion: string };
      expect(edge.configVersion).toBe(origin.configVersion);
      expect(edge.assignments).toEqual(origin.assignments);
    }
  });

  it('gives a profile the same assignments on every call', async () => {
    const token = await tokenFor(owner());
    const first = await assignmentsOf(token);
    for (let i = 0; i < 3; i++) expect((await assignmentsOf(token)).assignments).toEqual(first.assignments);
  });

  it('takes the country from the edge’s request data, and refuses an unknown X-Device-Type with 400', async () => {
    const token = await tokenFor(owner());
    expect((await assignmentsOf(token, { country: 'FR' })).context.country).toBe('FR');
    const res = await experiments(token, { device: 'toaster' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'validation_failed', errors: [{ path: 'x-device-type' }] });
  });

  it('needs a profile token: 401 without one, 403 with an account token', async () => {
    expect((await exports.default.fetch('https://edge.test/v1/experiments')).status).toBe(401);
    const signer = await importUserTokenSigner(JSON.parse(env.TEST_SIGNING_JWK));
    const { token } = await signUserToken(
      { sub: crypto.randomUUID(), scope: 'account', plan: 'premium', since: 1 },
      signer,
      { issuer: 'edgeflix', audience: 'edgeflix-api' },
    );
    expect((await experiments(token)).status).toBe(403);
  });

  it('offers no way to the operator API through the edge (404, never forwarded)', async () => {
    const o = owner();
    const res = await exports.default.fetch('https://edge.test/operator/v1/experiments', {
      headers: { authorization: `Bearer ${env.TEST_OPERATOR_KEY}` },
    });
    expect(res.status).toBe(404);
    const withToken = await exports.default.fetch('https://edge.test/v1/operator/v1/experiments', {
      headers: { authorization: `Bearer ${await tokenFor(o)}` },
    });
    expect(withToken.status).toBe(404);
    expect(await originCalls(o)).toEqual([]);
  });
});

describe('exposures', () => {
  it('reports a profile’s exposures to the origin once, however often its assignments are served', async () => {
    const o = owner();
    const token = await tokenFor(o);
    const { assignments } = await assignmentsOf(token);
    const [first] = await callsTo(o, EXPOSURES_PATH, 1);
    expect(first).toMatchObject({ method: 'POST', status: 202 });
    await assignmentsOf(token);
    await assignmentsOf(token);
    await new Promise((r) => setTimeout(r, 300));
    expect(await originCalls(o, EXPOSURES_PATH)).toHaveLength(1);
    expect(assignments.length).toBeGreaterThan(0);
  });

  it('reports again on a later request when the first report failed', async () => {
    const o = owner();
    const token = await tokenFor(o);
    await chaos(o, { mode: 'status', status: 503, failNext: 1, path: EXPOSURES_PATH });
    await assignmentsOf(token);
    await callsTo(o, EXPOSURES_PATH, 1);
    await new Promise((r) => setTimeout(r, 100));
    await assignmentsOf(token);
    const calls = await callsTo(o, EXPOSURES_PATH, 2);
    expect(calls.map((c) => c.status)).toEqual([503, 202]);
  });
});

describe('config cache', () => {
  // Each test starts with no copy anywhere, on the real clock.
  beforeEach(async () => {
    forgetConfig();
    await caches.default.delete(new Request(CONFIG_CACHE_KEY));
  });

  it('uses its cached config for a minute, then picks up what operators changed', async () => {
    const o = owner();
    const token = await tokenFor(o, { plan: 'premium' });
    await assignmentsOf(token); // warm
    const id = `edge_fresh_${Date.now().toString(36)}`;
    const created = await operator('POST', '/experiments', {
      id,
      name: 'Edge freshness',
      allocation: 100,
      variants: [
        { id: 'a', name: 'A', weight: 50 },
        { id: 'b', name: 'B', weight: 50 },
      ],
      targetGroups: [{ type: 'plan', values: ['premium'], include: true }],
    });
    expect(created.status).toBe(201);
    expect((await operator('POST', `/experiments/${id}/status`, { status: 'running' })).status).toBe(200);
    try {
      expect((await assignmentsOf(token)).assignments.map((a) => a.experimentId)).not.toContain(id);
      later();
      const fresh = await assignmentsOf(token);
      expect(fresh.assignments.map((a) => a.experimentId)).toContain(id);
      // Targeting: the same profile on another plan is left out.
      const basic = await assignmentsOf(await tokenFor(o, { plan: 'basic' }));
      expect(basic.assignments.map((a) => a.experimentId)).not.toContain(id);
    } finally {
      await operator('POST', `/experiments/${id}/status`, { status: 'completed' });
    }
  });

  it('serves the stale copy, marked, when the origin is down, and refreshes once it is back', async () => {
    const o = owner();
    const token = await tokenFor(o);
    const before = await assignmentsOf(token);
    later();
    await chaos(o, { mode: 'status', status: 503, failNext: 1, path: CONFIG_PATH });
    const stale = await assignmentsOf(token);
    expect(stale.configStale).toBe(true);
    expect(stale.assignments).toEqual(before.assignments);
    expect((await originCalls(o, CONFIG_PATH)).at(-1)).toMatchObject({ chaos: 'status' });
    vi.setSystemTime(Date.now() + 11_000); // past the retry pause
    const back = await assignmentsOf(token);
    expect(back.configStale).toBe(false);
  });

  it('serves the stale copy when the origin does not answer at all (connection reset)', async () => {
    const o = owner();
    const token = await tokenFor(o);
    await assignmentsOf(token);
    later();
    await chaos(o, { mode: 'reset', failNext: 1, path: CONFIG_PATH });
    const res = await experiments(token);
    expect(res.status).toBe(200);
    expect(((await res.json()) as ExperimentsResponse).configStale).toBe(true);
  });

  it('falls back on the colo cache when the isolate has no copy, and answers 502 only with no copy anywhere', async () => {
    const o = owner();
    const token = await tokenFor(o);
    await assignmentsOf(token);
    // The colo cache is written after the response.
    for (let i = 0; i < 50 && !(await caches.default.match(new Request(CONFIG_CACHE_KEY))); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    forgetConfig();
    later();
    await chaos(o, { mode: 'status', status: 503, failNext: 1, path: CONFIG_PATH });
    expect((await assignmentsOf(token)).configStale).toBe(true);

    forgetConfig();
    await caches.default.delete(new Request(CONFIG_CACHE_KEY));
    await chaos(o, { mode: 'status', status: 503, failNext: 1, path: CONFIG_PATH });
    const res = await experiments(token);
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ code: 'origin_unavailable' });
  });
});
