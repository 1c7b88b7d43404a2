/**
 * Origin paths on the real stack, each beside the raw driver call it wraps:
 * - GET /v1/profiles (service-credential check + routing + Postgres) vs the same SQL query raw;
 * - a progress upsert (one single-partition batch of 20 titles) vs 20 raw concurrent prepared inserts.
 */
import { randomUUID } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { signServiceToken } from '../core/tokens.ts';
import { realTestOrigin } from '../origin/test/support/origin.ts';
import { postgresClient } from '../origin/src/db/postgres.ts';
import { cassandraClient } from '../origin/src/db/cassandra.ts';
import type { ProgressRecord } from '../origin/src/stores/types.ts';
import { compare, type BenchRow } from './harness.ts';

export default async function run(log: (line: string) => void): Promise<BenchRow[]> {
  const real = await realTestOrigin('bench');
  const { origin, keys } = real;
  const sql = postgresClient(real.databaseUrl, { max: 10 });
  const raw = cassandraClient(real.keyspace);
  const rows: BenchRow[] = [];
  try {
    const account = (await origin.deps.stores.accounts.findAccountByEmail('demo@edgeflix.test'))!;

    log('origin: GET /v1/profiles vs raw SQL');
    rows.push(
      await compare(
        'origin GET /v1/profiles',
        {
          name: 'service credential (minted per call, as the edge does) + Hono + postgres.js',
          op: async () => {
            const token = await signServiceToken(
              { htm: 'GET', htu: '/v1/profiles', rid: 'bench-000001', sub: account.id },
              keys.serviceSecret,
            );
            const res = await origin.app.request('/v1/profiles', { headers: { authorization: `Bearer ${token}` } });
            if (res.status !== 200) throw new Error(`status ${res.status}`);
            await res.arrayBuffer();
          },
        },
        {
          name: 'raw postgres.js query',
          op: () =>
            sql`SELECT id, account_id, name, language, maturity_level, is_kids, avatar
                FROM profiles WHERE account_id = ${account.id} ORDER BY created_at, name`,
        },
      ),
    );

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
    await sql.end();
    await raw.shutdown();
    await real.stop();
  }
  return rows;
}
