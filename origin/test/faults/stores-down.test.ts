/**
 * The origin with Cassandra or Kafka really stopped: a flush is refused with 503 (so the buffer
 * keeps it and retries), readiness says which store is down, and once the server is back the
 * retried flush lands: every acknowledged entry in Cassandra, no position moved backwards, every
 * event in Kafka at least once.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEntry } from '../../../core/progress.ts';
import { stackDown, stackUp } from '../../../scripts/stack/index.ts';
import { TOPICS } from '../../src/stores/names.ts';
import { asEdge } from '../support/as-edge.ts';
import type { FixtureTitles } from '../support/fixtures.ts';
import type { TestKeys } from '../support/keys.ts';
import { realTestOrigin, type TestOrigin } from '../support/origin.ts';

let keys: TestKeys;
let origin: TestOrigin;
let t: FixtureTitles;
const cleanup: (() => Promise<void>)[] = [];
const quiet = () => {};

beforeAll(async () => {
  const real = await realTestOrigin('faults');
  ({ origin, keys, titles: t } = real);
  cleanup.push(() => real.stop());
});

afterAll(async () => {
  // Whatever happened above, leave the stack as the other suites expect it.
  await stackUp(undefined, quiet);
  for (const step of cleanup) await step();
});

function flush(profileId: string, entries: ProgressEntry[], batchId = randomUUID()) {
  return asEdge(origin, keys.serviceSecret, {
    method: 'POST',
    path: '/internal/v1/progress/flush',
    body: { batchId, entries },
    sub: randomUUID(),
    pid: profileId,
    mat: 50,
  });
}

/** Retries a flush the way the buffer does (until acknowledged), returning how many tries it took. */
async function flushUntilAcknowledged(
  profileId: string,
  entries: ProgressEntry[],
  timeoutMs = 120_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const res = await flush(profileId, entries);
    if (res.status === 200) return attempt;
    expect(res.status).toBe(503);
    if (Date.now() > deadline) throw new Error(`flush still refused after ${attempt} attempts`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Reads straight from the store once the driver's pool to the restarted node is back: a flush can
 * be acknowledged through one reconnected connection while the pool still reports none for a read.
 */
async function readWhenReconnected<T>(read: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await read();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

const entry = (titleId: string, positionSeconds: number, eventTime: number): ProgressEntry => ({
  titleId,
  positionSeconds,
  durationSeconds: 6000,
  eventTime,
  tie: 0,
  deviceId: 'tv-faults',
});

describe('Cassandra down', () => {
  it('refuses flushes with 503 and Retry-After, reports itself not ready, and recovers when Cassandra is back', async () => {
    const p = randomUUID();
    const t0 = Date.now() - 60_000;
    expect((await flush(p, [entry(t.movie, 100, t0)])).status).toBe(200);

    await stackDown(['cassandra'], quiet);
    try {
      const refused = await flush(p, [entry(t.movie, 200, t0 + 1000)]);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(await refused.json()).toMatchObject({ code: 'unavailable' });
      const ready = await origin.app.request('/readyz');
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ checks: { cassandra: { ok: false }, postgres: { ok: true } } });
    } finally {
      await stackUp(['cassandra'], quiet);
    }

    await flushUntilAcknowledged(p, [entry(t.movie, 200, t0 + 1000)]);
    // A stale batch replayed after recovery does not move the position back.
    await flushUntilAcknowledged(p, [entry(t.movie, 100, t0)]);
    const stored = await readWhenReconnected(() => origin.deps.stores.progress.get(p, t.movie));
    expect(stored?.positionSeconds).toBe(200);
  });
});

describe('Kafka down', () => {
  it('refuses flushes with 503 while the broker is down; after it returns every acknowledged entry is stored and its event published', async () => {
    const p = randomUUID();
    const t0 = Date.now() - 60_000;
    await stackDown(['kafka'], quiet);
    try {
      const refused = await flush(p, [entry(t.movie, 300, t0)]);
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ code: 'unavailable' });
    } finally {
      await stackUp(['kafka'], quiet);
    }
    await flushUntilAcknowledged(p, [entry(t.movie, 300, t0)]);
    expect((await origin.deps.stores.progress.get(p, t.movie))?.positionSeconds).toBe(300);

    const ids = new Set<string>();
    const sub = await origin.deps.stores.events.subscribe(`faults-${p}`, TOPICS.viewingEvents, async (e) => {
      if (e.value['profileId'] === p) ids.add(e.id);
    });
    try {
      const deadline = Date.now() + 60_000;
      while (ids.size === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect([...ids]).toEqual([`progress:${p}:${t.movie}:${t0}:0`]);
    } finally {
      await sub.stop();
    }
  });
});
