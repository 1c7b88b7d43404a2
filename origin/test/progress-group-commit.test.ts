/**
 * Group commit of progress flushes (origin/src/progress/group-commit.ts) on the real stack:
 * concurrent flushes of many profiles share commits, and each is answered by its own outcome.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEntry } from '../../core/progress.ts';
import type { EventBus, ProgressStore } from '../src/stores/types.ts';
import { asEdge } from './support/as-edge.ts';
import type { FixtureTitles } from './support/fixtures.ts';
import type { TestKeys } from './support/keys.ts';
import { interceptor, refuseProfileWrites } from './support/intercept.ts';
import { realTestOrigin, type TestOrigin } from './support/origin.ts';

let keys: TestKeys;
let origin: TestOrigin;
let t: FixtureTitles;
let progress: ProgressStore;
let events: EventBus;
const cleanup: (() => Promise<void>)[] = [];
const account = randomUUID();

beforeAll(async () => {
  const real = await realTestOrigin('group_commit');
  ({ origin, keys, titles: t } = real);
  ({ progress, events } = origin.deps.stores);
  cleanup.push(() => real.stop());
});
afterAll(async () => {
  for (const step of cleanup) await step();
});

const { intercept, restore } = interceptor();

const T0 = Date.now() - 600_000;
const entry = (position: number, eventTime = T0): ProgressEntry => ({
  titleId: t.movie,
  positionSeconds: position,
  durationSeconds: 6000,
  eventTime,
  tie: 0,
  deviceId: 'tv-1',
});

function flush(profileId: string, entries: ProgressEntry[], batchId = randomUUID()) {
  return asEdge(origin, keys.serviceSecret, {
    method: 'POST',
    path: '/internal/v1/progress/flush',
    body: { batchId, entries },
    sub: account,
    pid: profileId,
    mat: 50,
  });
}

describe('progress flush group commit', () => {
  it('merges concurrent flushes of many profiles into fewer Kafka sends, and stores every row it acknowledged', async () => {
    let sends = 0;
    intercept(events, 'publish', (publish) => async (topic, messages) => {
      sends += 1;
      return publish.call(events, topic, messages);
    });
    const profiles = Array.from({ length: 40 }, () => randomUUID());
    const answers = await Promise.all(profiles.map((p, i) => flush(p, [entry(100 + i)])));
    expect(answers.map((r) => r.status)).toEqual(profiles.map(() => 200));
    expect(sends).toBeGreaterThan(0);
    expect(sends).toBeLessThan(profiles.length);
    const stored = await Promise.all(profiles.map((p) => progress.get(p, t.movie)));
    expect(stored.map((r) => r?.positionSeconds)).toEqual(profiles.map((_, i) => 100 + i));
  });

  it('answers 503 to a flush whose Cassandra write failed and 200 to the others committed with it', async () => {
    const victim = randomUUID();
    refuseProfileWrites(intercept, progress, victim);
    const others = Array.from({ length: 20 }, () => randomUUID());
    const all = [...others.slice(0, 10), victim, ...others.slice(10)];
    const answers = await Promise.all(all.map((p) => flush(p, [entry(300)])));
    const status = new Map(all.map((p, i) => [p, answers[i]!.status]));
    expect(status.get(victim)).toBe(503);
    expect(others.map((p) => status.get(p))).toEqual(others.map(() => 200));
    expect(await progress.get(victim, t.movie)).toBeNull();
    const stored = await Promise.all(others.map((p) => progress.get(p, t.movie)));
    expect(stored.every((r) => r?.positionSeconds === 300)).toBe(true);
  });

  it('answers no flush 2xx while the event log refuses the send, and a retry of the same batch succeeds idempotently', async () => {
    const profiles = Array.from({ length: 10 }, () => randomUUID());
    const batches = profiles.map(() => randomUUID());
    intercept(events, 'publish', () => async () => {
      throw new Error('broker not available (injected)');
    });
    const refused = await Promise.all(profiles.map((p, i) => flush(p, [entry(500)], batches[i])));
    expect(refused.map((r) => r.status)).toEqual(profiles.map(() => 503));
    restore();

    // The buffer retries the same states: the row is rewritten as it was, and a newer state
    // acknowledged meanwhile is never moved back by a late retry of an older one.
    const retried = await Promise.all(profiles.map((p, i) => flush(p, [entry(500)], batches[i])));
    expect(retried.map((r) => r.status)).toEqual(profiles.map(() => 200));
    expect(((await retried[0]!.json()) as { acknowledged: number }).acknowledged).toBe(1);
    expect((await flush(profiles[0]!, [entry(900, T0 + 10_000)])).status).toBe(200);
    expect((await flush(profiles[0]!, [entry(500)], batches[0])).status).toBe(200);
    const stored = await Promise.all(profiles.map((p) => progress.get(p, t.movie)));
    expect(stored.map((r) => r?.positionSeconds)).toEqual(profiles.map((_, i) => (i === 0 ? 900 : 500)));
  });
});
