/**
 * A small, bounded measurement loop: warm up, then run an async operation with fixed concurrency
 * for a fixed time, recording each call's latency. Our path and its ceiling are measured in the
 * same run, one after the other, so the ratio is what matters, not the absolute numbers.
 */

/**
 * Edge vars that turn the rate limiter off: benchmarks other than bench/rate-limit.bench.ts drive
 * a few accounts far past any human rate, and measure their own route, not the limiter.
 */
export const RATE_LIMITS_OFF = { RATE_LIMITS: JSON.stringify({ enabled: false }) };

export interface Measurement {
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  count: number;
}

export interface BenchRow {
  bench: string;
  /** What one unit is (a request, a row, an event); throughput is units per second. */
  unit?: string;
  ours: string;
  ceiling: string;
  oursResult: Measurement;
  ceilingResult: Measurement;
  /** ours / ceiling throughput: 1.0 means no overhead over the ceiling. */
  ratio: number;
  /** Figures other than speed, by name (search: recall@3, MRR). */
  quality?: Record<string, number>;
}

export interface MeasureOptions {
  durationMs?: number;
  warmupMs?: number;
  concurrency?: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function runFor(
  op: () => Promise<unknown>,
  ms: number,
  concurrency: number,
  latencies?: number[],
): Promise<number> {
  const deadline = performance.now() + ms;
  let count = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await op();
        latencies?.push(performance.now() - t);
        count += 1;
      }
    }),
  );
  return count;
}

export async function measure(op: () => Promise<unknown>, options: MeasureOptions = {}): Promise<Measurement> {
  const { durationMs = 3000, warmupMs = 500, concurrency = 8 } = options;
  await runFor(op, warmupMs, concurrency);
  const latencies: number[] = [];
  const started = performance.now();
  const count = await runFor(op, durationMs, concurrency, latencies);
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    opsPerSec: Math.round(count / elapsed),
    p50Ms: Number(percentile(latencies, 50).toFixed(3)),
    p99Ms: Number(percentile(latencies, 99).toFixed(3)),
    count,
  };
}

/** Scales a per-operation measurement to units (rows, events) per second. */
function perUnit(m: Measurement, unitsPerOp: number): Measurement {
  return { ...m, opsPerSec: m.opsPerSec * unitsPerOp, count: m.count * unitsPerOp };
}

/** Measures our path and its ceiling side by side. */
export async function compare(
  bench: string,
  ours: { name: string; op: () => Promise<unknown> },
  ceiling: { name: string; op: () => Promise<unknown> },
  options?: MeasureOptions & { unitsPerOp?: number; unit?: string },
): Promise<BenchRow> {
  const units = options?.unitsPerOp ?? 1;
  const ceilingResult = perUnit(await measure(ceiling.op, options), units);
  const oursResult = perUnit(await measure(ours.op, options), units);
  return {
    bench,
    unit: options?.unit ?? 'request',
    ours: ours.name,
    ceiling: ceiling.name,
    oursResult,
    ceilingResult,
    ratio: Number((oursResult.opsPerSec / Math.max(1, ceilingResult.opsPerSec)).toFixed(3)),
  };
}
