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
  /**
   * `compare` only: split the time into this many slices, alternating ceiling and ours, so load
   * from elsewhere on a shared machine weighs on both sides alike (default 1: ceiling, then ours).
   */
  rounds?: number;
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

/** Calls and latencies of timed runs, summed over slices. */
class Tally {
  readonly latencies: number[] = [];
  count = 0;
  elapsedMs = 0;

  async run(op: () => Promise<unknown>, ms: number, concurrency: number): Promise<void> {
    const started = performance.now();
    this.count += await runFor(op, ms, concurrency, this.latencies);
    this.elapsedMs += performance.now() - started;
  }

  result(): Measurement {
    this.latencies.sort((a, b) => a - b);
    return {
      opsPerSec: Math.round(this.count / (this.elapsedMs / 1000)),
      p50Ms: Number(percentile(this.latencies, 50).toFixed(3)),
      p99Ms: Number(percentile(this.latencies, 99).toFixed(3)),
      count: this.count,
    };
  }
}

export async function measure(op: () => Promise<unknown>, options: MeasureOptions = {}): Promise<Measurement> {
  const { durationMs = 3000, warmupMs = 500, concurrency = 8 } = options;
  await runFor(op, warmupMs, concurrency);
  const tally = new Tally();
  await tally.run(op, durationMs, concurrency);
  return tally.result();
}

/** Both ops warmed up, then measured in alternating slices of `durationMs / rounds` each. */
async function measureAlternating(
  ours: () => Promise<unknown>,
  ceiling: () => Promise<unknown>,
  options: MeasureOptions & { rounds: number },
): Promise<{ oursResult: Measurement; ceilingResult: Measurement }> {
  const { durationMs = 3000, warmupMs = 500, concurrency = 8, rounds } = options;
  await runFor(ceiling, warmupMs, concurrency);
  await runFor(ours, warmupMs, concurrency);
  const [o, c] = [new Tally(), new Tally()];
  for (let round = 0; round < rounds; round++) {
    await c.run(ceiling, durationMs / rounds, concurrency);
    await o.run(ours, durationMs / rounds, concurrency);
  }
  return { oursResult: o.result(), ceilingResult: c.result() };
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
  const rounds = options?.rounds ?? 1;
  const measured =
    rounds > 1
      ? await measureAlternating(ours.op, ceiling.op, { ...options, rounds })
      : { ceilingResult: await measure(ceiling.op, options), oursResult: await measure(ours.op, options) };
  const ceilingResult = perUnit(measured.ceilingResult, units);
  const oursResult = perUnit(measured.oursResult, units);
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
