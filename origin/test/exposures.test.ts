import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Experiment, ExperimentResults } from '../../core/experiments/schema.ts';
import { handleViewingEvent } from '../src/consumers/completions.ts';
import { startExposureConsumer } from '../src/consumers/exposures.ts';
import { silentLogger } from '../src/log.ts';
import { exposureEventId } from '../src/routes/experiments.ts';
import { TOPICS } from '../src/stores/names.ts';
import type { Subscription } from '../src/stores/types.ts';
import { asEdge } from './support/as-edge.ts';
import type { FixtureTitles } from './support/fixtures.ts';
import type { TestKeys } from './support/keys.ts';
import { realTestOrigin, type TestOrigin } from './support/origin.ts';

let keys: TestKeys;
let origin: TestOrigin;
let t: FixtureTitles;
let consumer: Subscription;
const cleanup: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const real = await realTestOrigin('exposures');
  ({ origin, keys, titles: t } = real);
  cleanup.push(() => real.stop());
  consumer = await startExposureConsumer(origin.deps.stores, silentLogger);
  cleanup.unshift(() => consumer.stop());
});

afterAll(async () => {
  for (const step of cleanup) await step();
});

function op(method: string, path: string, body?: unknown) {
  return origin.app.request(`/operator/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${keys.operatorKey}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

let counter = 0;
async function runningExperiment(weights: number[]): Promise<Experiment> {
  const id = `srm_${Date.now().toString(36)}_${(counter += 1)}`;
  const res = await op('POST', '/experiments', {
    id,
    name: id,
    allocation: 100,
    variants: weights.map((weight, i) => ({ id: `v${i}`, name: `V${i}`, weight })),
  });
  expect(res.status).toBe(201);
  return (await (await op('POST', `/experiments/${id}/status`, { status: 'running' })).json()) as Experiment;
}

async function results(id: string, query = ''): Promise<ExperimentResults> {
  const res = await op('GET', `/experiments/${id}/results${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as ExperimentResults;
}

/** Posts exposures as the edge does, for one profile. */
function expose(
  profileId: string,
  exposures: { experimentId: string; version: number; variantId: string }[],
  at = Date.now(),
) {
  return asEdge(origin, keys.serviceSecret, {
    method: 'POST',
    path: '/internal/v1/experiments/exposures',
    body: { exposures: exposures.map((e) => ({ ...e, exposedAt: at })) },
    sub: randomUUID(),
    pid: profileId,
    mat: 50,
  });
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Records exposures straight into the table, as the consumer would: for large synthetic splits. */
async function seedExposures(e: Experiment, perVariant: number[], at = new Date()) {
  const records = perVariant.flatMap((n, i) =>
    Array.from({ length: n }, () => ({
      experimentId: e.id,
      version: e.version,
      profileId: randomUUID(),
      variantId: e.variants[i]!.id,
      exposedAt: at,
    })),
  );
  for (let i = 0; i < records.length; i += 1000) {
    await origin.deps.stores.experiments.recordExposures(records.slice(i, i + 1000));
  }
}

describe('exposures', () => {
  it('counts each profile once per experiment version through Kafka, despite repeated and redelivered events', async () => {
    const e = await runningExperiment([50, 50]);
    const profiles = [randomUUID(), randomUUID(), randomUUID()];
    const one = (p: string, variantId: string) => [{ experimentId: e.id, version: e.version, variantId }];
    // The same exposure from several edge isolates, and once more straight onto the topic (a redelivery).
    for (const p of profiles) {
      expect((await expose(p, one(p, 'v0'))).status).toBe(202);
      expect((await expose(p, one(p, 'v0'))).status).toBe(202);
    }
    await origin.deps.stores.events.publish(TOPICS.experimentExposures, [
      {
        id: exposureEventId(profiles[0]!, e.id, e.version),
        key: profiles[0]!,
        value: {
          type: 'experiment_exposure',
          profileId: profiles[0],
          experimentId: e.id,
          version: e.version,
          variantId: 'v0',
          exposedAt: Date.now(),
        },
      },
    ]);
    // Events of one key arrive in order: once this later exposure of profiles[0] is counted, its
    // duplicates and the redelivery before it have been consumed too.
    const marker = await runningExperiment([50, 50]);
    expect((await expose(profiles[0]!, [{ experimentId: marker.id, version: 1, variantId: 'v1' }])).status).toBe(202);
    await eventually(
      () => results(marker.id),
      (x) => x.exposures === 1,
    );
    const r = await eventually(
      () => results(e.id),
      (x) => x.exposures === 3,
    );
    expect(r.variants.map((v) => v.observed)).toEqual([3, 0]);
    const rows = await origin.deps.stores.experiments.variantCounts(e.id, e.version);
    expect(rows.get('v0')).toEqual({ exposed: 3, completed: 0 });
  });

  it('counts a profile exposed again after a widening (new version) once, in its one variant', async () => {
    const e = await runningExperiment([50, 50]);
    const p = randomUUID();
    const first = new Date(Date.now() - 60_000);
    await origin.deps.stores.experiments.recordExposures([
      { experimentId: e.id, version: 1, profileId: p, variantId: 'v1', exposedAt: first },
      { experimentId: e.id, version: 2, profileId: p, variantId: 'v1', exposedAt: new Date() },
    ]);
    const all = await results(e.id);
    expect(all.variants.map((v) => v.observed)).toEqual([0, 1]);
    expect((await results(e.id, '?version=2')).variants.map((v) => v.observed)).toEqual([0, 1]);
  });
});

describe('results', () => {
  it('flags a sample ratio mismatch for a deliberately skewed split (5,300 / 4,700 under 50/50)', async () => {
    const e = await runningExperiment([50, 50]);
    await seedExposures(e, [5300, 4700]);
    const r = await results(e.id);
    expect(r.variants.map((v) => [v.expected, v.observed])).toEqual([
      [5000, 5300],
      [5000, 4700],
    ]);
    expect(r.srm.chiSquared).toBeCloseTo(36, 6);
    expect(r.srm.pValue).toBeLessThan(0.001);
    expect(r.srm.mismatch).toBe(true);
  });

  it('passes a fair three-way split (1,012 / 2,975 / 6,013 under 10/30/60)', async () => {
    const e = await runningExperiment([10, 30, 60]);
    await seedExposures(e, [1012, 2975, 6013]);
    const r = await results(e.id);
    expect(r.srm).toMatchObject({ degreesOfFreedom: 2, mismatch: false, threshold: 0.001 });
    expect(r.srm.pValue).toBeGreaterThan(0.1);
  });

  it('answers no mismatch and null completion rates before any exposure', async () => {
    const e = await runningExperiment([50, 50]);
    const r = await results(e.id);
    expect(r).toMatchObject({ exposures: 0, srm: { pValue: 1, mismatch: false } });
    expect(r.variants.map((v) => v.completionRate)).toEqual([null, null]);
  });

  it('rates completions per variant: profiles that completed a title after their exposure', async () => {
    const e = await runningExperiment([50, 50]);
    const exposedAt = Date.now() - 3_600_000;
    const [a, b, c, d] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await origin.deps.stores.experiments.recordExposures([
      { experimentId: e.id, version: 1, profileId: a, variantId: 'v0', exposedAt: new Date(exposedAt) },
      { experimentId: e.id, version: 1, profileId: b, variantId: 'v0', exposedAt: new Date(exposedAt) },
      { experimentId: e.id, version: 1, profileId: c, variantId: 'v1', exposedAt: new Date(exposedAt) },
      { experimentId: e.id, version: 1, profileId: d, variantId: 'v1', exposedAt: new Date(exposedAt) },
    ]);
    const complete = (profileId: string, at: number) =>
      handleViewingEvent(origin.deps.stores, silentLogger, {
        type: 'progress_update',
        profileId,
        titleId: t.movie,
        seriesId: null,
        contentType: 'movie',
        completed: true,
        eventTime: at,
      });
    await complete(a, exposedAt + 60_000); // after exposure: counts
    await complete(c, exposedAt + 60_000); // counts
    await complete(d, exposedAt - 86_400_000); // before exposure: does not
    const r = await results(e.id);
    expect(r.variants.map((v) => [v.variantId, v.observed, v.completions, v.completionRate])).toEqual([
      ['v0', 2, 1, 0.5],
      ['v1', 2, 1, 0.5],
    ]);
  });
});
