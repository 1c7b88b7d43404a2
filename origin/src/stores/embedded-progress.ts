import type postgres from 'postgres';
import { TTL_SECONDS } from './names.ts';
import type { ContentType, HistoryRecord, ProgressRecord, ProgressStore } from './types.ts';
import { unlessAllFailed } from './write-chunks.ts';

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
  tie: number;
}

interface HistoryRow {
  profile_id: string;
  watched_at: Date;
  title_id: string;
  series_id: string | null;
  content_type: ContentType;
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
  tie: r.tie,
});

const toHistory = (r: HistoryRow): HistoryRecord => ({
  profileId: r.profile_id,
  titleId: r.title_id,
  seriesId: r.series_id,
  contentType: r.content_type,
  watchedAt: r.watched_at,
});

const expiresIn = (seconds: number) => new Date(Date.now() + seconds * 1000);

/** History cursor: the last row's (watched_at, title_id), hex-encoded like Cassandra's paging state. */
function encodeCursor(r: HistoryRow): string {
  return Buffer.from(`${r.watched_at.getTime()}|${r.title_id}`).toString('hex');
}

function decodeCursor(cursor: string): { at: Date; titleId: string } | null {
  const [ms, titleId] = Buffer.from(cursor, 'hex').toString('utf8').split('|');
  if (!ms || !titleId || !/^\d+$/.test(ms) || !/^[0-9a-f-]{36}$/.test(titleId)) return null;
  return { at: new Date(Number(ms)), titleId };
}

/** Progress in PGlite with Cassandra's rules: last write (by event time, then tie) wins, rows expire. */
export function embeddedProgressStore(sql: postgres.Sql): ProgressStore {
  const store: ProgressStore = {
    // One transaction per group: PGlite runs one at a time anyway, its connections taking turns
    // on its one session (origin/src/db/embedded-wire.ts).
    upsertEach: async (groups) => unlessAllFailed(await Promise.allSettled(groups.map((g) => store.upsert(g)))),
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
        tie: r.tie,
        write_time_us: (BigInt(r.lastWatchedAt.getTime()) * 1000n + BigInt(r.tie)).toString(),
        expires_at: expiresIn(TTL_SECONDS.viewingProgress),
      }));
      await sql.begin(async (tx) => {
        for (const row of rows) {
          await tx`
            INSERT INTO embedded.viewing_progress ${tx(row)}
            ON CONFLICT (profile_id, title_id) DO UPDATE SET
              series_id = excluded.series_id, content_type = excluded.content_type,
              position_seconds = excluded.position_seconds, duration_seconds = excluded.duration_seconds,
              completed = excluded.completed, device_id = excluded.device_id,
              last_watched_at = excluded.last_watched_at, tie = excluded.tie,
              write_time_us = excluded.write_time_us, expires_at = excluded.expires_at
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
        ORDER BY last_watched_at DESC, tie DESC`;
      return rows.map(toRecord);
    },
    async hide(profileId, itemId, at) {
      await sql`
        INSERT INTO embedded.continue_watching_hidden (profile_id, item_id, hidden_at, expires_at)
        VALUES (${profileId}, ${itemId}, ${at}, ${expiresIn(TTL_SECONDS.viewingProgress)})
        ON CONFLICT (profile_id, item_id) DO UPDATE SET hidden_at = excluded.hidden_at, expires_at = excluded.expires_at
        WHERE embedded.continue_watching_hidden.hidden_at <= excluded.hidden_at`;
    },
    async hiddenItems(profileId) {
      const rows = await sql<{ item_id: string; hidden_at: Date }[]>`
        SELECT item_id, hidden_at FROM embedded.continue_watching_hidden
        WHERE profile_id = ${profileId} AND expires_at > now()`;
      return new Map(rows.map((r) => [r.item_id, r.hidden_at]));
    },
    async listWithHidden(profileId) {
      // One query, as Cassandra's one partition read: the hidden items (an aggregate, one row
      // even when there are none) beside every progress row.
      const rows = await sql<(Partial<Row> & { hidden: Record<string, string> })[]>`
        SELECT v.*, h.hidden
        FROM (SELECT coalesce(json_object_agg(item_id, hidden_at), '{}') AS hidden
              FROM embedded.continue_watching_hidden
              WHERE profile_id = ${profileId} AND expires_at > now()) h
        LEFT JOIN embedded.viewing_progress v ON v.profile_id = ${profileId} AND v.expires_at > now()
        ORDER BY v.last_watched_at DESC, v.tie DESC`;
      return {
        records: rows.flatMap((r) => (r.title_id ? [toRecord(r as Row)] : [])),
        hidden: new Map(Object.entries(rows[0]?.hidden ?? {}).map(([id, at]) => [id, new Date(at)])),
      };
    },
    async recordHistory(records) {
      if (records.length === 0) return;
      const rows = records.map((r) => ({
        profile_id: r.profileId,
        watched_at: r.watchedAt,
        title_id: r.titleId,
        series_id: r.seriesId,
        content_type: r.contentType,
        expires_at: expiresIn(TTL_SECONDS.watchHistory),
      }));
      await sql`INSERT INTO embedded.watch_history ${sql(rows)} ON CONFLICT DO NOTHING`;
    },
    async listHistory(profileId, { limit, cursor }) {
      const after = cursor ? decodeCursor(cursor) : null;
      if (cursor && !after) throw new RangeError('invalid history cursor');
      const rows = await sql<HistoryRow[]>`
        SELECT profile_id, watched_at, title_id, series_id, content_type FROM embedded.watch_history
        WHERE profile_id = ${profileId} AND expires_at > now()
          ${after ? sql`AND (watched_at, title_id) < (${after.at}, ${after.titleId}::uuid)` : sql``}
        ORDER BY watched_at DESC, title_id DESC
        LIMIT ${limit + 1}`;
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return { items: page.map(toHistory), nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
    },
    async ping() {
      await sql`SELECT 1`;
    },
    async close() {},
  };
  return store;
}
