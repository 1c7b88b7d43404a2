import type cassandra from 'cassandra-driver';
import { CASSANDRA_TABLES } from './names.ts';
import type { ContentType, ProgressRecord, ProgressStore } from './types.ts';

const T = CASSANDRA_TABLES.viewingProgress;
const COLUMNS =
  'profile_id, title_id, series_id, content_type, position_seconds, duration_seconds, completed, device_id, last_watched_at';

/** Microseconds since the epoch: Cassandra's write-timestamp unit. */
export function writeTimestampMicros(at: Date): bigint {
  return BigInt(at.getTime()) * 1000n;
}

function toRecord(row: cassandra.types.Row): ProgressRecord {
  const seriesId = row['series_id'] as cassandra.types.Uuid | null;
  return {
    profileId: String(row['profile_id']),
    titleId: String(row['title_id']),
    seriesId: seriesId === null ? null : String(seriesId),
    contentType: row['content_type'] as ContentType,
    positionSeconds: Number(row['position_seconds']),
    durationSeconds: Number(row['duration_seconds']),
    completed: Boolean(row['completed']),
    deviceId: String(row['device_id']),
    lastWatchedAt: row['last_watched_at'] as Date,
  };
}

/**
 * Progress in Cassandra. Each write carries `USING TIMESTAMP` from the record's event time, so
 * Cassandra's last-write-wins keeps the newest heartbeat whatever order writes arrive in; writes
 * for one profile go in one single-partition (unlogged, hence atomic) batch.
 */
export function cassandraProgressStore(client: cassandra.Client): ProgressStore {
  const insert = `INSERT INTO ${T} (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`;
  return {
    async upsert(records) {
      const byProfile = new Map<string, ProgressRecord[]>();
      for (const r of records) byProfile.set(r.profileId, [...(byProfile.get(r.profileId) ?? []), r]);
      await Promise.all(
        [...byProfile.values()].map((group) =>
          client.batch(
            group.map((r) => ({
              query: insert,
              params: [
                r.profileId,
                r.titleId,
                r.seriesId,
                r.contentType,
                r.positionSeconds,
                r.durationSeconds,
                r.completed,
                r.deviceId,
                r.lastWatchedAt,
                writeTimestampMicros(r.lastWatchedAt),
              ],
            })),
            { prepare: true, logged: false, isIdempotent: true },
          ),
        ),
      );
    },
    async get(profileId, titleId) {
      const rs = await client.execute(`SELECT ${COLUMNS} FROM ${T} WHERE profile_id = ? AND title_id = ?`, [
        profileId,
        titleId,
      ]);
      const row = rs.first();
      return row ? toRecord(row) : null;
    },
    async listForProfile(profileId) {
      const rows: ProgressRecord[] = [];
      // Pages through the partition so a long history never loads in one response.
      let pageState: string | undefined;
      do {
        const rs = await client.execute(`SELECT ${COLUMNS} FROM ${T} WHERE profile_id = ?`, [profileId], {
          fetchSize: 500,
          ...(pageState ? { pageState } : {}),
        });
        for (const row of rs.rows) rows.push(toRecord(row));
        pageState = rs.pageState ?? undefined;
      } while (pageState);
      return rows.sort((a, b) => b.lastWatchedAt.getTime() - a.lastWatchedAt.getTime());
    },
    async ping() {
      await client.execute('SELECT release_version FROM system.local');
    },
    async close() {
      await client.shutdown();
    },
  };
}
