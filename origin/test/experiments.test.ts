import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Experiment, ExperimentsConfig } from '../../core/experiments/schema.ts';
import { importUserTokenSigner, signServiceToken, signUserToken } from '../../core/tokens.ts';
import { asEdge } from './support/as-edge.ts';
import type { TestKeys } from './support/keys.ts';
import { realTestOrigin, TEST_TOKEN_SETTINGS, type TestOrigin } from './support/origin.ts';

let keys: TestKeys;
let origin: TestOrigin;
const cleanup: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const real = await realTestOrigin('experiments');
  ({ origin, keys } = real);
  cleanup.push(() => real.stop());
});

afterAll(async () => {
  for (const step of cleanup) await step();
});

/** Calls the operator API with the operator key (or another `authorization`). */
function op(method: string, path: string, body?: unknown, authorization = `Bearer ${keys.operatorKey}`) {
  const headers: Record<string, string> = { authorization };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return origin.app.request(`/operator/v1${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

async function expectProblem(res: Response, status: number, code: string, paths: string[] = []) {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = (await res.json()) as { code: string; status: number; errors?: { path: string }[] };
  expect({ status: res.status, code: body.code }).toEqual({ status, code });
  for (const p of paths) expect(body.errors?.map((e) => e.path)).toContain(p);
  return body;
}

let counter = 0;
const uniqueId = (prefix = 'exp') => `${prefix}_${Date.now().toString(36)}_${(counter += 1)}`;

function definition(overrides: Record<string, unknown> = {}) {
  return {
    id: uniqueId(),
    name: 'Row spacing',
    description: 'Tighter rows on TV',
    allocation: 50,
    variants: [
      { id: 'control', name: 'Control', weight: 50 },
      { id: 'tight', name: 'Tight', weight: 50, config: { spacing: 4 } },
    ],
    targetGroups: [{ type: 'device', values: ['tv'], include: true }],
    metrics: ['completion_rate'],
    ...overrides,
  };
}

async function create(overrides: Record<string, unknown> = {}): Promise<Experiment> {
  const res = await op('POST', '/experiments', definition(overrides));
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Experiment;
}

async function moveTo(id: string, status: string): Promise<Response> {
  return op('POST', `/experiments/${id}/status`, { status });
}

async function running(overrides: Record<string, unknown> = {}): Promise<Experiment> {
  const e = await create(overrides);
  const res = await moveTo(e.id, 'running');
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Experiment;
}

async function edgeConfig(ifNoneMatch?: string): Promise<Response> {
  const path = '/internal/v1/experiments/config';
  const token = await signServiceToken({ htm: 'GET', htu: path, rid: 'test-config' }, keys.serviceSecret);
  return origin.app.request(path, {
    headers: { authorization: `Bearer ${token}`, ...(ifNoneMatch ? { 'if-none-match': ifNoneMatch } : {}) },
  });
}

async function liveConfig(): Promise<ExperimentsConfig> {
  const res = await edgeConfig();
  expect(res.status).toBe(200);
  return (await res.json()) as ExperimentsConfig;
}

describe('operator API: who may call it', () => {
  it('answers 401 unauthenticated without a key, and 401 invalid_token for a wrong one', async () => {
    await expectProblem(await op('GET', '/experiments', undefined, ''), 401, 'unauthenticated');
    await expectProblem(await op('GET', '/experiments', undefined, `Bearer ${'x'.repeat(43)}`), 401, 'invalid_token');
    await expectProblem(
      await op('GET', '/experiments', undefined, `Basic ${keys.operatorKey}`),
      401,
      'unauthenticated',
    );
  });

  it('refuses a subscriber’s profile token with 401', async () => {
    const signer = await importUserTokenSigner(keys.signingJwk);
    const { token } = await signUserToken(
      { sub: randomUUID(), scope: 'profile', pid: randomUUID(), mat: 50, plan: 'premium', since: 1 },
      signer,
      TEST_TOKEN_SETTINGS,
    );
    await expectProblem(await op('GET', '/experiments', undefined, `Bearer ${token}`), 401, 'invalid_token');
  });

  it('refuses the edge’s service credential, even one minted for that exact request, with 401', async () => {
    const token = await signServiceToken(
      { htm: 'GET', htu: '/operator/v1/experiments', rid: 'test', sub: randomUUID(), pid: randomUUID(), mat: 50 },
      keys.serviceSecret,
    );
    await expectProblem(await op('GET', '/experiments', undefined, `Bearer ${token}`), 401, 'invalid_token');
    await expectProblem(
      await op('GET', '/experiments', undefined, `Bearer ${keys.serviceSecret}`),
      401,
      'invalid_token',
    );
  });
});

describe('operator API: creating experiments', () => {
  it('creates a draft at version 1, readable and listed', async () => {
    const def = definition();
    const res = await op('POST', '/experiments', def);
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/operator/v1/experiments/${def.id}`);
    const created = (await res.json()) as Experiment;
    expect(created).toMatchObject({
      id: def.id,
      status: 'draft',
      version: 1,
      layer: null,
      layerStart: 0,
      allocation: 50,
      startDate: null,
      endDate: null,
      variants: [
        { id: 'control', weight: 50, config: {} },
        { id: 'tight', weight: 50, config: { spacing: 4 } },
      ],
    });
    expect(await (await op('GET', `/experiments/${def.id}`)).json()).toEqual(created);
    const list = (await (await op('GET', '/experiments?status=draft')).json()) as { experiments: Experiment[] };
    expect(list.experiments.map((e) => e.id)).toContain(def.id);
  });

  it('answers 409 for an id that exists already and 404 for one that does not', async () => {
    const e = await create();
    await expectProblem(await op('POST', '/experiments', definition({ id: e.id })), 409, 'conflict');
    await expectProblem(await op('GET', '/experiments/no_such_experiment'), 404, 'not_found');
  });

  it.each([
    ['an allocation over 100', { allocation: 100.5 }, 'allocation'],
    ['a negative allocation', { allocation: -1 }, 'allocation'],
    ['an allocation finer than 0.01 %', { allocation: 12.345 }, 'allocation'],
    ['a single variant', { variants: [{ id: 'control', name: 'C', weight: 100 }] }, 'variants'],
    ['an id that is not a slug', { id: 'Row Spacing!' }, 'id'],
    [
      'an unknown targeting type',
      { targetGroups: [{ type: 'age', values: ['18'], include: true }] },
      'targetGroups.0.type',
    ],
    ['an unknown field', { owner: 'me' }, '$'],
    ['a date that is not ISO 8601', { startDate: 'next tuesday' }, 'startDate'],
  ])('refuses %s with 400 validation_failed', async (_what, change, path) => {
    await expectProblem(await op('POST', '/experiments', definition(change)), 400, 'validation_failed', [path]);
  });

  it.each([
    [
      'weights that do not sum to 100',
      {
        variants: [
          { id: 'control', name: 'C', weight: 50 },
          { id: 'b', name: 'B', weight: 40 },
        ],
      },
      'variants',
    ],
    [
      'two variants with one id',
      {
        variants: [
          { id: 'same', name: 'A', weight: 50 },
          { id: 'same', name: 'B', weight: 50 },
        ],
      },
      'variants.1.id',
    ],
    [
      'an end date before the start date',
      { startDate: '2026-12-01T00:00:00Z', endDate: '2026-11-01T00:00:00Z' },
      'endDate',
    ],
    [
      'a country that is not ISO 3166 alpha-2',
      { targetGroups: [{ type: 'country', values: ['usa'], include: true }] },
      'targetGroups.0.values.0',
    ],
    [
      'an unknown device',
      { targetGroups: [{ type: 'device', values: ['fridge'], include: true }] },
      'targetGroups.0.values.0',
    ],
    [
      'an unknown plan',
      { targetGroups: [{ type: 'plan', values: ['platinum'], include: false }] },
      'targetGroups.0.values.0',
    ],
    [
      'an unknown tenure',
      { targetGroups: [{ type: 'tenure', values: ['ancient'], include: true }] },
      'targetGroups.0.values.0',
    ],
    ['a layer range past bucket 9999', { layer: 'overflow', layerStart: 9000, allocation: 20 }, 'allocation'],
    ['a layer start without a layer', { layerStart: 10 }, 'layerStart'],
  ])('refuses %s with 422 unprocessable naming the field', async (_what, change, path) => {
    await expectProblem(await op('POST', '/experiments', definition(change)), 422, 'unprocessable', [path]);
  });
});

describe('operator API: state machine', () => {
  it('goes draft → running → paused → running → completed, live in the edge config only while running', async () => {
    const e = await create();
    expect((await liveConfig()).experiments.map((x) => x.id)).not.toContain(e.id);
    const started = (await (await moveTo(e.id, 'running')).json()) as Experiment;
    expect(started.status).toBe('running');
    expect(Date.parse(started.startDate!)).toBeLessThanOrEqual(Date.now());
    expect((await liveConfig()).experiments.map((x) => x.id)).toContain(e.id);
    expect(((await (await moveTo(e.id, 'paused')).json()) as Experiment).status).toBe('paused');
    expect((await liveConfig()).experiments.map((x) => x.id)).not.toContain(e.id);
    expect(((await (await moveTo(e.id, 'running')).json()) as Experiment).status).toBe('running');
    expect(((await (await moveTo(e.id, 'completed')).json()) as Experiment).status).toBe('completed');
    expect((await liveConfig()).experiments.map((x) => x.id)).not.toContain(e.id);
  });

  it('keeps completed final: no transition and no edit out of it (409)', async () => {
    const e = await running();
    await moveTo(e.id, 'completed');
    for (const status of ['running', 'paused', 'draft', 'completed']) {
      await expectProblem(await moveTo(e.id, status), 409, 'conflict');
    }
    await expectProblem(await op('PATCH', `/experiments/${e.id}`, { name: 'Renamed' }), 409, 'conflict');
  });

  it.each([
    ['draft', 'paused'],
    ['draft', 'completed'],
    ['running', 'draft'],
    ['running', 'running'],
  ])('refuses %s → %s with 409', async (from, to) => {
    const e = from === 'draft' ? await create() : await running();
    await expectProblem(await moveTo(e.id, to), 409, 'conflict');
  });

  it('refuses to start an experiment whose end date has passed (409), and an unknown status (400)', async () => {
    const e = await create({ startDate: '2020-01-01T00:00:00Z', endDate: '2020-02-01T00:00:00Z' });
    await expectProblem(await moveTo(e.id, 'running'), 409, 'conflict');
    await expectProblem(await moveTo(e.id, 'launched'), 400, 'validation_failed');
  });
});

describe('operator API: editing', () => {
  it('lets a draft change anything, the variants included', async () => {
    const e = await create();
    const res = await op('PATCH', `/experiments/${e.id}`, {
      variants: [
        { id: 'control', name: 'C', weight: 20 },
        { id: 'x', name: 'X', weight: 80 },
      ],
      layer: 'drafts',
      layerStart: 100,
      targetGroups: [],
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      layer: 'drafts',
      layerStart: 100,
      variants: [{ weight: 20 }, { weight: 80 }],
    });
  });

  it('lets a running experiment change its name, description, metrics and end date without a new version', async () => {
    const e = await running();
    const res = await op('PATCH', `/experiments/${e.id}`, {
      name: 'Renamed',
      description: 'new words',
      metrics: ['completion_rate', 'hours_watched'],
      endDate: '2099-01-01T00:00:00Z',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'Renamed', version: 1, endDate: '2099-01-01T00:00:00.000Z' });
  });

  it.each([
    [
      'weights',
      {
        variants: [
          { id: 'control', name: 'Control', weight: 40 },
          { id: 'tight', name: 'Tight', weight: 60, config: { spacing: 4 } },
        ],
      },
    ],
    [
      'variants',
      {
        variants: [
          { id: 'control', name: 'Control', weight: 50 },
          { id: 'loose', name: 'Loose', weight: 50 },
        ],
      },
    ],
    ['the layer', { layer: 'elsewhere' }],
    ['the targeting', { targetGroups: [] }],
    ['a lower allocation', { allocation: 25 }],
  ])(
    'refuses to change %s of a running or paused experiment with 409 (it would move profiles)',
    async (_what, patch) => {
      const e = await running();
      await expectProblem(await op('PATCH', `/experiments/${e.id}`, patch), 409, 'conflict');
      await moveTo(e.id, 'paused');
      await expectProblem(await op('PATCH', `/experiments/${e.id}`, patch), 409, 'conflict');
    },
  );

  it('widens a running experiment’s allocation, bumping its version in the edge config', async () => {
    const e = await running({ allocation: 10 });
    const before = await edgeConfig();
    const res = await op('PATCH', `/experiments/${e.id}`, { allocation: 35.5 });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ allocation: 35.5, version: 2 });
    const after = (await liveConfig()).experiments.find((x) => x.id === e.id);
    expect(after).toMatchObject({ allocation: 35.5, version: 2 });
    expect((await edgeConfig()).headers.get('etag')).not.toBe(before.headers.get('etag'));
  });

  it('keeps the ranges of one layer apart: no overlapping start, create or widening (409)', async () => {
    const layer = uniqueId('layer');
    const a = await running({ layer, layerStart: 0, allocation: 30 });
    const b = await running({ layer, layerStart: 3000, allocation: 20 });
    // A draft may not claim taken buckets, nor may one be started into them.
    await expectProblem(
      await op('POST', '/experiments', definition({ layer, layerStart: 4000, allocation: 10 })),
      409,
      'conflict',
      ['layerStart'],
    );
    await expectProblem(await op('PATCH', `/experiments/${a.id}`, { allocation: 30.01 }), 409, 'conflict');
    expect((await op('PATCH', `/experiments/${b.id}`, { allocation: 70 })).status).toBe(200);
    // A completed experiment frees its range.
    await moveTo(a.id, 'completed');
    const c = await create({ layer, layerStart: 0, allocation: 30 });
    expect((await moveTo(c.id, 'running')).status).toBe(200);
  });
});

describe('holdout', () => {
  it('is 0 by default, can be set with two decimals, and reaches the edge config', async () => {
    expect(await (await op('GET', '/holdout')).json()).toEqual({ percentage: 0 });
    expect(await (await op('PUT', '/holdout', { percentage: 2.5 })).json()).toEqual({ percentage: 2.5 });
    expect((await liveConfig()).holdout).toEqual({ percentage: 2.5 });
    await expectProblem(await op('PUT', '/holdout', { percentage: 101 }), 400, 'validation_failed', ['percentage']);
    await op('PUT', '/holdout', { percentage: 0 });
  });
});

describe('edge config', () => {
  it('serves the seeded homepage experiments, running at 100 % with even weights', async () => {
    const config = await liveConfig();
    const byId = new Map(config.experiments.map((e) => [e.id, e]));
    expect(byId.get('homepage_row_order')).toMatchObject({
      allocation: 100,
      layer: null,
      variants: ['control', 'continue_first', 'trending_first', 'personalized'].map((id) => ({ id, weight: 25 })),
    });
    expect(byId.get('artwork_personalization')).toMatchObject({
      allocation: 100,
      variants: [
        { id: 'default', weight: 33.33 },
        { id: 'genre_based', weight: 33.33 },
        { id: 'personalized', weight: 33.34 },
      ],
    });
  });

  it('carries its version as an ETag and answers 304 to a matching If-None-Match', async () => {
    const res = await edgeConfig();
    const config = (await res.json()) as ExperimentsConfig;
    expect(res.headers.get('etag')).toBe(`"${config.version}"`);
    const again = await edgeConfig(`"${config.version}"`);
    expect(again.status).toBe(304);
  });

  it('is reachable only with the edge’s service credential', async () => {
    const res = await origin.app.request('/internal/v1/experiments/config', {
      headers: { authorization: `Bearer ${keys.operatorKey}` },
    });
    await expectProblem(res, 401, 'unauthenticated');
  });

  it('allocates at the origin exactly as the shared code does (operator assignment lookup)', async () => {
    const profileId = randomUUID();
    const res = await op('GET', `/assignments/${profileId}?country=GB&device=tv&plan=basic&tenure=new`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { assignments: { experimentId: string; variantId: string }[] };
    const ids = body.assignments.map((a) => a.experimentId);
    expect(ids).toEqual(expect.arrayContaining(['homepage_row_order', 'artwork_personalization']));
    await expectProblem(await op('GET', `/assignments/${profileId}?device=fridge`), 400, 'validation_failed');
  });
});

describe('exposures route', () => {
  it('needs a profile in the credential, and drops exposures of unknown experiments', async () => {
    const path = '/internal/v1/experiments/exposures';
    const body = {
      exposures: [
        { experimentId: 'homepage_row_order', version: 1, variantId: 'control', exposedAt: Date.now() },
        { experimentId: 'no_such_experiment', version: 1, variantId: 'x1', exposedAt: Date.now() },
      ],
    };
    const anonymous = await asEdge(origin, keys.serviceSecret, { method: 'POST', path, body, sub: randomUUID() });
    await expectProblem(anonymous, 401, 'unauthenticated');
    const res = await asEdge(origin, keys.serviceSecret, {
      method: 'POST',
      path,
      body,
      sub: randomUUID(),
      pid: randomUUID(),
      mat: 50,
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1, dropped: ['no_such_experiment'] });
  });
});
