import type postgres from 'postgres';
import { TTL_SECONDS } from './names.ts';
import type { ContentType, ProgressRecord, ProgressStore } from './types.ts';

interface Row {
  profile_id: string;
  title_id: string;
  series_id: string | null;
  content_type: ContentType;
  position_seconds: number;
  duration_seconds: number;
  completed: boolean;
  device_id: string;
  last_watched_at: Date;
}

const toRecord = (r: Row): ProgressRecord => ({
  profileId: r.profile_id,
  titleId: r.title_id,
  seriesId: r.series_id,
  contentType: r.content_type,
  positionSeconds: r.position_seconds,
  durationSeconds: r.duration_seconds,
  completed: r.completed,
  deviceId: r.device_id,
  lastWatchedAt: r.last_watched_at,
});

/** Progress in PGlite with Cassandra's rules: last write (by event time) wins, rows expire. */
export function embeddedProgressStore(sql: postgres.Sql): ProgressStore {
  return {
    async upsert(records) {
      if (records.length === 0) return;
      const rows = records.map((r) => ({
        profile_id: r.profileId,
        title_id: r.titleId,
        series_id: r.seriesId,
        content_type: r.contentType,
        position_seconds: r.positionSeconds,
        duration_seconds: r.durationSeconds,
        completed: r.completed,
        device_id: r.deviceId,
        last_watched_at: r.lastWatchedAt,
        write_time_us: (BigInt(r.lastWatchedAt.getTime()) * 1000n).toString(),
        expires_at: new Date(Date.now() + TTL_SECONDS.viewingProgress * 1000),
      }));
      // Sorted so the newest of several records for one title is applied last within the statement.
      rows.sort((a, b) => a.last_watched_at.getTime() - b.last_watched_at.getTime());
      await sql.begin(async (tx) => {
        for (const row of rows) {
          await tx`
            INSERT INTO embedded.viewing_progress ${tx(row)}
            ON CONFLICT (profile_id, title_id) DO UPDATE SET
              series_id = excluded.series_id, content_type = excluded.content_type,
              position_seconds = excluded.position_seconds, duration_seconds = excluded.duration_seconds,
              completed = excluded.completed, device_id = excluded.device_id,
              last_watched_at = excluded.last_watched_at, write_time_us = excluded.write_time_us,
              expires_at = excluded.expires_at
            WHERE embedded.viewing_progress.write_time_us <= excluded.write_time_us`;
        }
      });
    },
    async get(profileId, titleId) {
      const rows = await sql<Row[]>`
        SELECT * FROM embedded.viewing_progress
        WHERE profile_id = ${profileId} AND title_id = ${titleId} AND expires_at > now()`;
      return rows[0] ? toRecord(rows[0]) : null;
    },
    async listForProfile(profileId) {
      const rows = await sql<Row[]>`
        SELECT * FROM embedded.viewing_progress
        WHERE profile_id = ${profileId} AND expires_at > now()
        ORDER BY last_watched_at DESC`;
      return rows.map(toRecord);
    },
    async ping() {
      await sql`SELECT 1`;
    },
    async close() {},
  };
}
