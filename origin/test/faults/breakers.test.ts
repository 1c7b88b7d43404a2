/**
 * Circuit breakers with a dependency really stopped: each affected route answers within its
 * budget with its fallback or a 503 problem+json with Retry-After, the breaker opens (and then
 * refuses at once), and closes again once the service is back; `circuit_breaker_state` follows.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEntry } from '../../../core/progress.ts';
import { stackDown, stackUp } from '../../../scripts/stack/index.ts';
import { createApp } from '../../src/app.ts';
import type { Service } from '../../src/telemetry/metrics.ts';
import { asEdge } from '../support/as-edge.ts';
import type { FixtureTitles } from '../support/fixtures.ts';
import type { TestKeys } from '../support/keys.ts';
import { sample, scrape } from '../support/metrics.ts';
import { realTestOrigin, type TestOrigin } from '../support/origin.ts';

/** Short budgets so the test sees every state within seconds. */
const BUDGET = { timeoutMs: 2000, volumeThreshold: 3, errorThresholdPercentage: 50, windowMs: 10_000, resetMs: 2000 };
/** What a request may take over its budget (scheduling, the fallback's own query). */
const SLACK_MS = 1500;

let keys: TestKeys;
let origin: TestOrigin;
let t: FixtureTitles;
const cleanup: (() => Promise<void>)[] = [];
const quiet = () => {};

beforeAll(async () => {
  const real = await realTestOrigin('breakers');
  ({ keys, titles: t } = real);
  const app = createApp({
    ...real.origin.deps,
    breakerSettings: { postgres: BUDGET, cassandra: BUDGET, kafka: BUDGET, personalization: BUDGET },
  });
  origin = { ...real.origin, app };
  cleanup.push(() => real.stop());
});

afterAll(async () => {
  await stackUp(undefined, quiet);
  for (const step of cleanup) await step();
});

const state = async (service: Service) =>
  sample(await scrape(origin, keys.operatorKey), 'circuit_breaker_state', { service });

const entry = (titleId: string, eventTime: number): ProgressEntry => ({
  titleId,
  positionSeconds: 120,
  durationSeconds: 6000,
  eventTime,
  tie: 0,
  deviceId: 'tv-breakers',
});

async function timed(call: Parameters<typeof asEdge>[2]): Promise<{ res: Response; ms: number }> {
  const started = Date.now();
  const res = await asEdge(origin, keys.serviceSecret, { sub: randomUUID(), pid: randomUUID(), mat: 50, ...call });
  return { res, ms: Date.now() - started };
}

const flushCall = (titleId: string) => ({
  method: 'POST',
  path: '/internal/v1/progress/flush',
  body: { batchId: randomUUID(), entries: [entry(titleId, Date.now() - 1000)] },
});
const homeCall = {
  method: 'POST',
  path: '/internal/v1/home',
  body: { pending: [], variants: { rowOrder: 'control', artwork: 'default' } },
};

async function expectUnavailable(res: Response): Promise<void> {
  expect(res.status).toBe(503);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(await res.json()).toMatchObject({ code: 'unavailable' });
}

/**
 * Calls while the service is down: every answer is a 503 within budget, and the breaker opens once
 * failures outweigh the successes still in its window (at most a few dozen calls).
 */
async function failUntilOpen(service: Service, call: () => ReturnType<typeof timed>): Promise<void> {
  for (let i = 0; i < 40 && (await state(service)) !== 2; i++) {
    const { res, ms } = await call();
    await expectUnavailable(res);
    expect(ms).toBeLessThan(BUDGET.timeoutMs + SLACK_MS);
  }
  expect(await state(service)).toBe(2);
}

/** Calls until the route answers 200 again (the breaker half-opens, the probe succeeds). */
async function untilRecovered(call: () => ReturnType<typeof timed>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { res } = await call();
    if (res.status === 200) return;
    if (Date.now() > deadline) throw new Error(`still ${res.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe.each([
  ['cassandra', 'cassandra'],
  ['kafka', 'kafka'],
] as const)('%s stopped', (name, service) => {
  it('flushes answer 503 within budget, the breaker opens and refuses at once, then closes when the service is back', async () => {
    expect((await timed(flushCall(t.movie))).res.status).toBe(200);
    expect(await state(service)).toBe(0);
    await stackDown([name], quiet);
    try {
      await failUntilOpen(service, () => timed(flushCall(t.movie)));
      const open = await timed(flushCall(t.movie));
      await expectUnavailable(open.res);
      expect(open.ms).toBeLessThan(500);
      if (service === 'cassandra') {
        // The homepage needs Continue Watching from Cassandra: it falls back to the generic page.
        const home = await timed(homeCall);
        expect(home.res.status).toBe(200);
        expect(home.ms).toBeLessThan(BUDGET.timeoutMs + SLACK_MS);
        expect(await home.res.json()).toMatchObject({ fallback: 'generic' });
      }
    } finally {
      await stackUp([name], quiet);
    }
    await untilRecovered(() => timed(flushCall(t.movie)));
    expect(await state(service)).toBe(0);
  });
});

describe('postgres stopped', () => {
  it('account reads and the homepage answer 503 within budget, the breaker opens, then closes when Postgres is back', async () => {
    const catalog = { path: '/v1/profiles' };
    expect((await timed(catalog)).res.status).toBe(200);
    await stackDown(['postgres'], quiet);
    try {
      await failUntilOpen('postgres', () => timed(catalog));
      const home = await timed(homeCall);
      await expectUnavailable(home.res);
      expect(home.ms).toBeLessThan(BUDGET.timeoutMs + SLACK_MS);
    } finally {
      await stackUp(['postgres'], quiet);
    }
    await untilRecovered(() => timed(catalog));
    expect(await state('postgres')).toBe(0);
  });
});
