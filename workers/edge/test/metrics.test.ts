/**
 * The edge's counters and timings (Workers cannot be scraped): what the isolate gathers for
 * stream starts, playback errors, 429s by tier and token timings, and that a report reaches the
 * origin's `/metrics`. This file runs in its own isolate; its aggregator is drained by hand (with
 * a clock far ahead, so no request's own report takes the counts first).
 */
import { SELF, env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { EdgeMetrics, type EdgeMetricsReport } from '../../../core/edge-metrics.ts';
import { createEdgeApp } from '../src/app.ts';
import { report } from '../src/http/request-metrics.ts';
import { isolateMetrics } from '../../shared/isolate-metrics.ts';
import { newOwner, profileToken } from '../../test/helpers.ts';

const EDGE = 'https://edge.test';
const { titleId, matureTitleId } = JSON.parse(env.TEST_PLAYBACK) as { titleId: string; matureTitleId: string };
const FAR_AHEAD = 10 * 365 * 24 * 3600 * 1000;

/** Each drain a report interval past the last one, all far ahead of the requests' own clocks. */
let clock = Date.now() + FAR_AHEAD;
const drain = (): EdgeMetricsReport => {
  clock += isolateMetrics.intervalMs;
  return isolateMetrics.drain(clock) ?? { counters: [], timings: [] };
};
const counter = (r: EdgeMetricsReport, name: string, labels: Record<string, string> = {}) =>
  r.counters
    .filter((c) => c.name === name && Object.entries(labels).every(([k, v]) => c.labels[k] === v))
    .reduce((sum, c) => sum + c.value, 0);
const observations = (r: EdgeMetricsReport, name: string, labels: Record<string, string> = {}) =>
  r.timings
    .filter((t) => t.name === name && Object.entries(labels).every(([k, v]) => t.labels[k] === v))
    .reduce((sum, t) => sum + t.seconds.length, 0);

async function manifest(id: string, maturityLevel = 50): Promise<Response> {
  const token = await profileToken(newOwner(maturityLevel));
  return SELF.fetch(`${EDGE}/v1/playback/${id}/manifest.mpd`, { headers: { authorization: `Bearer ${token}` } });
}

beforeEach(() => {
  drain();
});

describe('edge metrics', () => {
  it('counts a stream start and times its manifest and token signing', async () => {
    const res = await manifest(titleId);
    expect(res.status).toBe(200);
    await res.body?.cancel();
    const r = drain();
    expect(counter(r, 'streaming_starts_total')).toBe(1);
    expect(counter(r, 'streaming_playback_errors_total')).toBe(0);
    expect(observations(r, 'manifest_generation_seconds')).toBe(1);
    expect(observations(r, 'edge_token_seconds', { kind: 'segment_sign' })).toBe(1);
    expect(counter(r, 'edge_requests_total', { route: '/v1/playback/:titleId/manifest.mpd', status: '200' })).toBe(1);
  });

  it('counts refused stream starts and refused segment fetches as playback errors, by reason', async () => {
    const refused = await manifest(matureTitleId, 0);
    expect(refused.status).toBe(403);
    const segment = await SELF.fetch(`${EDGE}/v1/media/titles/${titleId}/v/1/init.mp4?token=not-a-token`);
    expect(segment.status).toBe(403);
    const r = drain();
    expect(counter(r, 'streaming_starts_total')).toBe(0);
    expect(counter(r, 'streaming_playback_errors_total', { reason: 'forbidden' })).toBe(1);
    expect(counter(r, 'streaming_playback_errors_total', { reason: 'segment_forbidden' })).toBe(1);
    expect(observations(r, 'edge_token_seconds', { kind: 'segment_verify' })).toBe(1);
  });

  it('counts requests over a limit by tier, enforced and shadow apart', async () => {
    const app = createEdgeApp();
    const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
    const ip = `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const login = () =>
      new Request(`${EDGE}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip },
        body: JSON.stringify({ email: `nobody-${crypto.randomUUID()}@edgeflix.test`, password: 'wrong-password' }),
      });
    const enforced = { ...env, RATE_LIMITS: JSON.stringify({ tiers: { auth: { limit: 2 } } }) };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await app.fetch(login(), enforced, ctx)).status);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
    const shadow = { ...env, RATE_LIMITS: JSON.stringify({ tiers: { auth: { limit: 2, shadow: true } } }) };
    expect((await app.fetch(login(), shadow, ctx)).status).not.toBe(429);
    const r = drain();
    expect(counter(r, 'edge_rate_limited_total', { tier: 'auth', mode: 'enforced' })).toBe(2);
    expect(counter(r, 'edge_rate_limited_total', { tier: 'auth', mode: 'shadow' })).toBe(1);
  });

  it('a report reaches the origin\u2019s /metrics with source="edge"', async () => {
    const route = `/test/${crypto.randomUUID()}`;
    const metrics = new EdgeMetrics(0, 0);
    metrics.count('edge_requests_total', { method: 'GET', route, status: '200' }, 3);
    await report(env, `metrics-test-${crypto.randomUUID()}`, metrics);
    expect(metrics.drain(Date.now() + FAR_AHEAD)).toBeNull();
    const scrape = await fetch(new URL('/metrics', env.TEST_ORIGIN_URL), {
      headers: { authorization: `Bearer ${env.TEST_OPERATOR_KEY}` },
    });
    const text = await scrape.text();
    expect(text).toContain(`edge_requests_total{source="edge",method="GET",route="${route}",status="200"} 3`);
  });
});
