/** The progress buffer's settings, read from the worker's vars (wrangler.toml) and checked once. */
import { completionThresholds } from '../../../core/progress.ts';

/**
 * Default flush interval. Players send a heartbeat every 10 s, so five minutes coalesce about 30
 * heartbeats per title into one Cassandra write and one event, and the origin sees one flush per
 * watching profile per five minutes (many of them per request, through a flush relay); pauses, stops, completions and title switches flush at once
 * (flush-policy.ts). The delay is invisible to the viewer: the profile's reads go through its buffer.
 */
export const DEFAULT_FLUSH_INTERVAL_MS = 300_000;
const MIN_FLUSH_INTERVAL_MS = 1_000;
const MAX_FLUSH_INTERVAL_MS = 15 * 60_000;

/** `PROGRESS_FLUSH_INTERVAL_MS` in milliseconds; a bad value throws an error naming the variable. */
export function flushIntervalMs(env: Pick<Env, 'PROGRESS_FLUSH_INTERVAL_MS'>): number {
  const raw = env.PROGRESS_FLUSH_INTERVAL_MS;
  if (raw === undefined || raw === '') return DEFAULT_FLUSH_INTERVAL_MS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < MIN_FLUSH_INTERVAL_MS || value > MAX_FLUSH_INTERVAL_MS) {
    throw new Error(
      `PROGRESS_FLUSH_INTERVAL_MS must be an integer between ${MIN_FLUSH_INTERVAL_MS} and ${MAX_FLUSH_INTERVAL_MS} (ms), not "${raw}"`,
    );
  }
  return value;
}

/**
 * The fraction of the duration from which a state counts as completed for the early flush: the
 * lower of the movie and episode thresholds (`COMPLETION_THRESHOLD_*`, core/progress.ts), since the
 * buffer does not know a title's content type.
 */
export function earlyFlushFraction(env: Parameters<typeof completionThresholds>[0]): number {
  const thresholds = completionThresholds(env);
  return Math.min(thresholds.movie, thresholds.episode);
}

/** Flush relays a buffer's flushes are spread over (workers/flush-relay), by a hash of the profile. */
export const DEFAULT_FLUSH_RELAY_SHARDS = 4;
const MAX_FLUSH_RELAY_SHARDS = 256;

/**
 * `FLUSH_RELAY_SHARDS`; a bad value throws an error naming the variable. Few relays make big
 * batches; more spread the relays' work. Changing it only moves profiles to another relay: a relay
 * keeps nothing, so a flush in flight during the change is at worst retried.
 */
export function flushRelayShards(env: Pick<Env, 'FLUSH_RELAY_SHARDS'>): number {
  const raw = env.FLUSH_RELAY_SHARDS;
  if (raw === undefined || raw === '') return DEFAULT_FLUSH_RELAY_SHARDS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > MAX_FLUSH_RELAY_SHARDS) {
    throw new Error(`FLUSH_RELAY_SHARDS must be an integer between 1 and ${MAX_FLUSH_RELAY_SHARDS}, not "${raw}"`);
  }
  return value;
}
