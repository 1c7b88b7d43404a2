/** The isolate's edge counters and timings, reported to the origin by `http/metrics.ts`. */
import { EdgeMetrics } from '../../../core/edge-metrics.ts';

export const isolateMetrics = new EdgeMetrics(5000);
