/**
 * POST /internal/v1/progress/flush-batch on the real stack: the flush relay's many-profile flush.
 * Each part is committed and answered on its own; bad batches are refused as a whole.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLUSH_BATCH_PATH, type FlushBatchResponse, type FlushPart, type ProgressEntry } from '../../core/progress.ts';
import { isCachedCatalog } from '../src/stores/cached-catalog.ts';
import { TOPICS } from '../src/stores/names.ts';
import type { EventBus, ProgressStore } from '../src/stores/types.ts';
import { asEdge, type EdgeCall } from './support/as-edge.ts';
import type { FixtureTitles } from './support/fixtures.ts';
import type { TestKeys } from './support/keys.ts';
import { interceptor, refuseProfileWrites } from './support/intercept.ts';
import { realTestOrigin, type TestOrigin } from './support/origin.ts';

const PATH = FLUSH_BATCH_PATH;

let keys: TestKeys;
let origin: TestOrigin;
let t: FixtureTitles;
let progress: ProgressStore;
let events: EventBus;
const cleanup: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const real = await realTestOrigin('flush_batch');
  ({ origin, keys, titles: t } = real);
  ({ progress, events } = origin.deps.stores);
  cleanup.push(() => real.stop());
});
afterAll(async () => {
  for (const step of cleanup) await step();
});

const { intercept } = interceptor();

const T0 = Date.now() - 600_000;
const entry = (titleId: string, position: number, eventTime = T0): ProgressEntry => ({
  titleId,
  positionSeconds: position,
  durationSeconds: 6000,
  eventTime,
  tie: 0,
  deviceId: 'tv-1',
});

function part(entries: ProgressEntry[], profileId = randomUUID(), batchId = randomUUID()): FlushPart {
  return { batchId, accountId: randomUUID(), profileId, entries };
}

/** Sends a batch as the relay does: a credential that names no user. */
function send(parts: unknown, call: Partial<EdgeCall> = {}) {
  return asEdge(origin, keys.serviceSecret, { method: 'POST', path: PATH, body: { parts }, ...call });
}

async function results(parts: FlushPart[]): Promise<FlushBatchResponse['results']> {
  const res = await send(parts);
  expect(res.status).toBe(200);
  return ((await res.json()) as FlushBatchResponse).results;
}

async function expectProblem(res: Response, status: number, code: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(await res.json()).toMatchObject({ status, code, type: `urn:edgeflix:problem:${code}` });
}

describe('flush batch', () => {
  it("answers each part with its own acknowledgement, in order, and stores every part's rows", async () => {
    const unknownTitle = randomUUID();
    const parts = [
      part([entry(t.movie, 100)]),
      part([entry(t.movie, 200), entry(t.episodes[0], 300)]),
      part([entry(t.movie, 400), entry(unknownTitle, 1), entry(t.series, 1)]),
    ];
    expect(await results(parts)).toEqual([
      { batchId: parts[0]!.batchId, acknowledged: 1, dropped: [] },
      { batchId: parts[1]!.batchId, acknowledged: 2, dropped: [] },
      { batchId: parts[2]!.batchId, acknowledged: 1, dropped: [unknownTitle, t.series] },
    ]);
    const stored = await Promise.all(parts.map((p) => progress.get(p.profileId, t.movie)));
    expect(stored.map((r) => r?.positionSeconds)).toEqual([100, 200, 400]);
    expect((await progress.get(parts[1]!.profileId, t.episodes[0]))?.contentType).toBe('episode');
  });

  it('publishes each part’s events under its own account and profile, in one Kafka send per commit', async () => {
    const sent: { key: string; value: Record<string, unknown> }[][] = [];
    intercept(events, 'publish', (publish) => async (topic, messages) => {
      if (topic === TOPICS.viewingEvents) sent.push(messages as never);
      return publish.call(events, topic, messages);
    });
    const parts = Array.from({ length: 20 }, (_, i) => part([entry(t.movie, 10 + i)]));
    await results(parts);
    const published = sent.flat();
    expect(published).toHaveLength(20);
    expect(sent.length).toBeLessThan(20);
    for (const p of parts) {
      const event = published.find((m) => m.key === p.profileId);
      expect(event?.value).toMatchObject({ accountId: p.accountId, profileId: p.profileId, titleId: t.movie });
    }
  });

  it('reports a part whose Cassandra write failed as unavailable and acknowledges the others', async () => {
    const victim = part([entry(t.movie, 300)]);
    refuseProfileWrites(intercept, progress, victim.profileId);
    const others = Array.from({ length: 6 }, () => part([entry(t.movie, 300)]));
    const answer = await results([...others.slice(0, 3), victim, ...others.slice(3)]);
    expect(answer[3]).toEqual({
      batchId: victim.batchId,
      error: 'unavailable',
      detail: 'The progress store is unavailable; retry later',
    });
    expect(answer.filter((r) => 'acknowledged' in r)).toHaveLength(6);
    expect(await progress.get(victim.profileId, t.movie)).toBeNull();
    const stored = await Promise.all(others.map((p) => progress.get(p.profileId, t.movie)));
    expect(stored.every((r) => r?.positionSeconds === 300)).toBe(true);
  });

  it('refuses a part whose profile belongs to another account, and commits the others', async () => {
    const foreign = part([entry(t.movie, 500)]);
    const { accounts } = origin.deps.stores;
    intercept(accounts, 'profileOwners', (owners) => async (profileIds) => {
      const known = await owners.call(accounts, profileIds);
      if (profileIds.includes(foreign.profileId)) known.set(foreign.profileId, randomUUID());
      return known;
    });
    const own = part([entry(t.movie, 500)]);
    const answer = await results([foreign, own]);
    expect(answer[0]).toMatchObject({ batchId: foreign.batchId, error: 'forbidden' });
    expect(answer[1]).toEqual({ batchId: own.batchId, acknowledged: 1, dropped: [] });
    expect(await progress.get(foreign.profileId, t.movie)).toBeNull();
  });

  it('is idempotent: a retried batch rewrites the same rows, and never moves a newer state back', async () => {
    const parts = [part([entry(t.movie, 700)]), part([entry(t.movie, 800)])];
    const first = await results(parts);
    expect(await results(parts)).toEqual(first);
    await results([{ ...parts[0]!, batchId: randomUUID(), entries: [entry(t.movie, 900, T0 + 10_000)] }]);
    await results(parts);
    const stored = await Promise.all(parts.map((p) => progress.get(p.profileId, t.movie)));
    expect(stored.map((r) => r?.positionSeconds)).toEqual([900, 800]);
  });

  // Last of its group: the injected failures may leave PostgreSQL's breaker open for a moment.
  it('answers 503 problem+json when the whole batch cannot be handled', async () => {
    // Under the catalog's cache (a title it holds is answered from memory), for a title it does not hold.
    const { catalog } = origin.deps.stores;
    intercept(isCachedCatalog(catalog) ? catalog.inner : catalog, 'titleSummaries', () => async () => {
      throw new Error('catalog down (injected)');
    });
    await expectProblem(await send([part([entry(randomUUID(), 1)])]), 503, 'unavailable');
  });
});

describe('flush batch validation', () => {
  it('refuses a profile named twice, empty or too many parts, and too many entries in all (400)', async () => {
    const twice = part([entry(t.movie, 1)]);
    const bad = [
      [twice, { ...twice, batchId: randomUUID() }],
      [],
      Array.from({ length: 501 }, () => part([entry(t.movie, 1)])),
      Array.from({ length: 5 }, () => part(Array.from({ length: 401 }, () => entry(t.movie, 1)))),
      [part([])],
      [{ ...part([entry(t.movie, -1)]) }],
      [{ ...part([entry(t.movie, 1)]), profileId: 'not-a-uuid' }],
      [{ ...part([entry(t.movie, 1)]), extra: true }],
    ];
    for (const parts of bad) await expectProblem(await send(parts), 400, 'validation_failed');
    expect(await progress.get(twice.profileId, t.movie)).toBeNull();
  });

  it('refuses a body over 1 MiB (413) and one that is not JSON (400)', async () => {
    await expectProblem(await send(undefined, { rawBody: 'x'.repeat(1024 * 1024 + 1) }), 413, 'payload_too_large');
    await expectProblem(await send(undefined, { rawBody: '{"parts":' }), 400, 'malformed_json');
  });

  it('refuses a credential that names a user (403), and a request without one (401)', async () => {
    const parts = [part([entry(t.movie, 1)])];
    const user = { sub: parts[0]!.accountId, pid: parts[0]!.profileId, mat: 50 };
    await expectProblem(await send(parts, user), 403, 'forbidden');
    await expectProblem(await send(parts, { sub: parts[0]!.accountId }), 403, 'forbidden');
    expect((await send(parts, { noCredential: true })).status).toBe(401);
    expect(await progress.get(parts[0]!.profileId, t.movie)).toBeNull();
  });
});
