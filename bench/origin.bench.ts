/**
 * Origin paths on the real stack, each beside the raw driver call it wraps:
 * - a progress upsert (one single-partition batch of 20 titles) vs 20 raw concurrent prepared inserts.
 * GET /v1/profiles vs its raw SQL query (the service credential's cost) is in sessions.bench.ts.
 */
import { randomUUID } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { realTestOrigin } from '../origin/test/support/origin.ts';
import { cassandraClient } from '../origin/src/db/cassandra.ts';
import type { ProgressRecord } from '../origin/src/stores/types.ts';
import { compare, type BenchRow } from './harness.ts';

export default async function run(log: (line: string) => void): Promise<BenchRow[]> {
  const real = await realTestOrigin('bench');
  const { origin } = real;
  const raw = cassandraClient(real.keyspace);
  const rows: BenchRow[] = [];
  try {
    log('origin: progress upsert vs raw Cassandra inserts');
    const batch = (): ProgressRecord[] => {
      const profileId = randomUUID();
      const now = Date.now();
      return Array.from({ length: 20 }, (_, i) => ({
        profileId,
        titleId: randomUUID(),
        seriesId: null,
        contentType: 'movie' as const,
        positionSeconds: i * 10,
        durationSeconds: 5400,
        completed: false,
        deviceId: 'bench',
        lastWatchedAt: new Date(now + i),
        tie: 0,
      }));
    };
    const insert =
      'INSERT INTO viewing_progress (profile_id, title_id, series_id, content_type, position_seconds, duration_seconds, completed, device_id, last_watched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)';
    rows.push(
      await compare(
        'progress write, 20 titles of one profile',
        {
          name: 'ProgressStore.upsert (one single-partition batch)',
          op: () => origin.deps.stores.progress.upsert(batch()),
        },
        {
          name: 'cassandra-driver executeConcurrent, 20 prepared inserts',
          op: () =>
            cassandra.concurrent.executeConcurrent(
              raw,
              insert,
              batch().map((r) => [
                r.profileId,
                r.titleId,
                null,
                r.contentType,
                r.positionSeconds,
                r.durationSeconds,
                false,
                r.deviceId,
                r.lastWatchedAt,
              ]),
              { concurrencyLevel: 20, executionProfile: undefined },
            ),
        },
        { concurrency: 4 },
      ),
    );
  } finally {
    await raw.shutdown();
    await real.stop();
  }
  return rows;
}
