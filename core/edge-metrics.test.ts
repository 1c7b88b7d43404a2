import { describe, expect, it } from 'vitest';
import { EdgeMetrics, EdgeMetricsReport } from './edge-metrics.ts';

describe('EdgeMetrics', () => {
  it('sums counters per label set and reports at most once per interval', () => {
    const m = new EdgeMetrics(5000, 0);
    m.count('edge_requests_total', { method: 'GET', route: '/v1/titles', status: '200' });
    m.count('edge_requests_total', { method: 'GET', route: '/v1/titles', status: '200' });
    m.count('edge_requests_total', { method: 'GET', route: '/v1/titles', status: '404' });
    expect(m.drain(4999)).toBeNull();
    const report = m.drain(5000)!;
    expect(EdgeMetricsReport.parse(report)).toEqual(report);
    expect(report.counters.map((c) => c.value).sort()).toEqual([1, 2]);
    expect(m.drain(20_000)).toBeNull();
  });

  it('keeps the counts of a report that could not be delivered for the next one', () => {
    const m = new EdgeMetrics(1000, 0);
    m.count('edge_rate_limited_total', { tier: 'auth' }, 3);
    m.time('edge_request_seconds', { route: '/v1/home' }, 0.02);
    const failed = m.drain(1000)!;
    m.restore(failed);
    m.count('edge_rate_limited_total', { tier: 'auth' });
    const next = m.drain(2000)!;
    expect(next.counters).toEqual([{ name: 'edge_rate_limited_total', labels: { tier: 'auth' }, value: 4 }]);
    expect(next.timings[0]?.seconds).toEqual([0.02]);
  });
});
