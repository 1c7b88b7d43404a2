import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asEdge } from './support/as-edge.ts';
import type { FixtureTitles } from './support/fixtures.ts';
import type { TestKeys } from './support/keys.ts';
import { sample, scrape } from './support/metrics.ts';
import { realTestOrigin, type TestOrigin } from './support/origin.ts';

let keys: TestKeys;
let origin: TestOrigin;
let t: FixtureTitles;
const cleanup: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const real = await realTestOrigin('metrics');
  ({ origin, keys, titles: t } = real);
  cleanup.push(() => real.stop());
});

afterAll(async () => {
  for (const step of cleanup) await step();
});

const call = (c: Parameters<typeof asEdge>[2]) => asEdge(origin, keys.serviceSecret, c);

describe('/metrics', () => {
  it('answers only the operator key', async () => {
    expect((await origin.app.request('/metrics')).status).toBe(401);
    const wrong = await origin.app.request('/metrics', { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
  });

  it('after a scripted session holds the expected series with the right counts', async () => {
    const login = await call({
      method: 'POST',
      path: '/v1/auth/login',
      body: { email: 'demo@edgeflix.test', password: 'edgeflix-demo' },
    });
    expect(login.status).toBe(200);
    const accountId = decodeJwt(((await login.json()) as { token: string }).token).sub!;
    const profiles = await call({ path: '/v1/profiles', sub: accountId });
    expect(profiles.status).toBe(200);
    const profileId = ((await profiles.json()) as { profiles: { id: string }[] }).profiles[0]!.id;
    expect((await call({ method: 'POST', path: `/v1/profiles/${profileId}/select`, sub: accountId })).status).toBe(200);

    const oldest = Date.now() - 30_000;
    const entry = (titleId: string, eventTime: number) => ({
      titleId,
      positionSeconds: 60,
      durationSeconds: 6000,
      eventTime,
      tie: 0,
      deviceId: 'tv-metrics',
    });
    for (const entries of [
      [entry(t.movie, oldest), entry(t.episodes[0], oldest + 1000)],
      [entry(t.movie, oldest + 2000)],
    ]) {
      const res = await call({
        method: 'POST',
        path: '/internal/v1/progress/flush',
        body: { batchId: randomUUID(), entries },
        sub: accountId,
        pid: profileId,
        mat: 50,
      });
      expect(res.status).toBe(200);
    }
    const home = await call({
      method: 'POST',
      path: '/internal/v1/home',
      body: { pending: [], variants: { rowOrder: 'control', artwork: 'default' } },
      sub: accountId,
      pid: profileId,
      mat: 50,
    });
    expect(home.status).toBe(200);
    expect(((await home.json()) as { fallback: unknown }).fallback).toBeNull();

    const text = await scrape(origin, keys.operatorKey);
    const route = (method: string, r: string, status = '200') => ({ method, route: r, status });
    expect(sample(text, 'http_request_duration_seconds_count', route('POST', '/v1/auth/login'))).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count', route('POST', '/v1/profiles/:profileId/select'))).toBe(
      1,
    );
    expect(sample(text, 'http_request_duration_seconds_count', route('POST', '/internal/v1/progress/flush'))).toBe(2);
    // Route templates only: no series carries a raw id.
    expect(text).not.toContain(profileId);
    expect(sample(text, 'progress_flush_rows_count')).toBe(2);
    expect(sample(text, 'progress_flush_rows_sum')).toBe(3);
    expect(sample(text, 'progress_write_seconds_count')).toBe(2);
    expect(sample(text, 'progress_flush_lag_seconds_count')).toBe(2);
    expect(sample(text, 'progress_flush_lag_seconds_sum')).toBeGreaterThanOrEqual(50);
    expect(sample(text, 'store_call_duration_seconds_count', { service: 'cassandra', method: 'upsertEach' })).toBe(2);
    expect(sample(text, 'store_call_duration_seconds_count', { service: 'kafka', method: 'publish' })).toBe(2);
    expect(
      sample(text, 'store_call_duration_seconds_count', { service: 'postgres', method: 'findAccountByEmail' }),
    ).toBe(1);
    for (const service of ['postgres', 'cassandra', 'kafka', 'personalization']) {
      expect(sample(text, 'circuit_breaker_state', { service })).toBe(0);
    }
    expect(sample(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    for (const name of [
      'streaming_starts_total',
      'streaming_playback_errors_total',
      'manifest_generation_seconds',
      'experiment_allocations_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });

  it('adds the edge\'s reported counters and timings with source="edge", and refuses unknown series', async () => {
    const report = {
      counters: [
        { name: 'edge_requests_total', labels: { method: 'GET', route: '/v1/home', status: '200' }, value: 7 },
        { name: 'edge_rate_limited_total', labels: { tier: 'auth' }, value: 2 },
        { name: 'streaming_starts_total', labels: {}, value: 3 },
      ],
      timings: [{ name: 'manifest_generation_seconds', labels: {}, seconds: [0.002, 0.004] }],
    };
    const post = (body: unknown) => call({ method: 'POST', path: '/internal/v1/edge-metrics', body });
    expect((await post(report)).status).toBe(204);
    expect((await post(report)).status).toBe(204);
    expect((await post({ counters: [{ name: 'anything_total', labels: {}, value: 1 }], timings: [] })).status).toBe(
      400,
    );
    const text = await scrape(origin, keys.operatorKey);
    expect(sample(text, 'edge_requests_total', { source: 'edge', route: '/v1/home', status: '200' })).toBe(14);
    expect(sample(text, 'edge_rate_limited_total', { source: 'edge', tier: 'auth' })).toBe(4);
    expect(sample(text, 'streaming_starts_total', { source: 'edge' })).toBe(6);
    expect(sample(text, 'manifest_generation_seconds_count', { source: 'edge' })).toBe(4);
  });
});
