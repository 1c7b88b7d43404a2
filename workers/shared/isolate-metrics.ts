/** The isolate's edge counters and timings, reported to the origin by the edge (`edge/src/http/request-metrics.ts`). */
import { EdgeMetrics, type EdgeTiming } from '../../core/edge-metrics.ts';

export const isolateMetrics = new EdgeMetrics(5000);

/** Runs `work` and records how long it took under `name`, whether it succeeded or threw. */
export async function timed<T>(name: EdgeTiming, labels: Record<string, string>, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    isolateMetrics.time(name, labels, (performance.now() - started) / 1000);
  }
}
