import type cassandra from 'cassandra-driver';
import { writeTimestampMicros } from '../../../core/progress.ts';
import { CASSANDRA_TABLES } from './names.ts';
import type { ContentType, HistoryRecord, ProgressRecord, ProgressStore } from './types.ts';

const T = CASSANDRA_TABLES.viewingProgress;
const H = CASSANDRA_TABLES.watchHistory;
const COLUMNS =
  'profile_id, title_id, series_id, content_type, position_seconds, duration_seconds, completed, device_id, last_watched_at, tie';

/** The write timestamp of a record: event time and tie, as the coalescing rule orders them. */
function recordTimestamp(r: Pick<ProgressRecord, 'lastWatchedAt' | 'tie'>): bigint {
  return writeTimestampMicros({ eventTime: r.lastWatchedAt.getTime(), tie: r.tie });
}

const uuidOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toRecord(row: cassandra.types.Row): ProgressRecord {
  return {
    profileId: String(row['profile_id']),
    titleId: String(row['title_id']),
    seriesId: uuidOrNull(row['series_id']),
    contentType: row['content_type'] as ContentType,
    positionSeconds: Number(row['position_seconds']),
    durationSeconds: Number(row['duration_seconds']),
    completed: Boolean(row['completed']),
    deviceId: String(row['device_id']),
    lastWatchedAt: row['last_watched_at'] as Date,
    tie: Number(row['tie'] ?? 0),
  };
}

/** The partition's hidden items (its static `hidden` map), as a row of it carries them. */
const hiddenOf = (row: cassandra.types.Row | undefined): Map<string, Date> =>
  new Map(Object.entries((row?.['hidden'] ?? {}) as Record<string, Date>));

function toHistory(row: cassandra.types.Row): HistoryRecord {
  return {
    profileId: String(row['profile_id']),
    titleId: String(row['title_id']),
    seriesId: uuidOrNull(row['series_id']),
    contentType: row['content_type'] as ContentType,
    watchedAt: row['watched_at'] as Date,
  };
}

function groupByProfile<T extends { profileId: string }>(records: readonly T[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const r of records) {
    const group = groups.get(r.profileId);
    if (group) group.push(r);
    else groups.set(r.profileId, [r]);
  }
  return [...groups.values()];
}

/**
 * Progress in Cassandra. Each write carries `USING TIMESTAMP` from the record's event time and
 * tie, so Cassandra's last-write-wins keeps the newest state whatever order writes arrive in;
 * writes for one profile go in one single-partition (unlogged, hence atomic) batch, or a plain
 * execute for a single row.
 */
export function cassandraProgressStore(client: cassandra.Client): ProgressStore {
  const insert = `INSERT INTO ${T} (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`;
  const insertHistory = `INSERT INTO ${H} (profile_id, watched_at, title_id, series_id, content_type) VALUES (?, ?, ?, ?, ?)`;
  const idempotent = { prepare: true, isIdempotent: true } as const;
  /** The whole partition, paged so a long history never loads in one response. */
  async function listPartition(profileId: string, withHidden: boolean) {
    const records: ProgressRecord[] = [];
    let hidden = new Map<string, Date>();
    let pageState: string | undefined;
    do {
      const rs = await client.execute(
        `SELECT ${COLUMNS}${withHidden ? ', hidden' : ''} FROM ${T} WHERE profile_id = ?`,
        [profileId],
        { ...idempotent, fetchSize: 500, ...(pageState ? { pageState } : {}) },
      );
      if (withHidden && !pageState) hidden = hiddenOf(rs.first());
      // A partition holding hidden items and no progress answers one row without a title.
      for (const row of rs.rows) if (row['title_id'] !== null) records.push(toRecord(row));
      pageState = rs.pageState ?? undefined;
    } while (pageState);
    records.sort((a, b) => b.lastWatchedAt.getTime() - a.lastWatchedAt.getTime() || b.tie - a.tie);
    return { records, hidden };
  }
  return {
    async upsert(records) {
      const params = (r: ProgressRecord) => [
        r.profileId,
        r.titleId,
        r.seriesId,
        r.contentType,
        r.positionSeconds,
        r.durationSeconds,
        r.completed,
        r.deviceId,
        r.lastWatchedAt,
        r.tie,
        recordTimestamp(r),
      ];
      await Promise.all(
        groupByProfile(records).map((group) =>
          // A batch of one statement costs the coordinator more than the statement alone, and a
          // single-row write is atomic anyway: the usual flush (one title) is a plain execute.
          group.length === 1
            ? client.execute(insert, params(group[0]!), idempotent)
            : client.batch(
                group.map((r) => ({ query: insert, params: params(r) })),
                { ...idempotent, logged: false },
              ),
        ),
      );
    },
    async get(profileId, titleId) {
      const rs = await client.execute(
        `SELECT ${COLUMNS} FROM ${T} WHERE profile_id = ? AND title_id = ?`,
        [profileId, titleId],
        idempotent,
      );
      const row = rs.first();
      return row ? toRecord(row) : null;
    },
    async listForProfile(profileId) {
      return (await listPartition(profileId, false)).records;
    },
    async hide(profileId, itemId, at) {
      await client.execute(
        `UPDATE ${T} USING TIMESTAMP ? SET hidden[?] = ? WHERE profile_id = ?`,
        [BigInt(at.getTime()) * 1000n, itemId, at, profileId],
        idempotent,
      );
    },
    async hiddenItems(profileId) {
      // The static part of the partition alone.
      const rs = await client.execute(
        `SELECT DISTINCT profile_id, hidden FROM ${T} WHERE profile_id = ?`,
        [profileId],
        idempotent,
      );
      return hiddenOf(rs.first());
    },
    listWithHidden: (profileId) => listPartition(profileId, true),
    async recordHistory(records) {
      await Promise.all(
        groupByProfile(records).map((group) =>
          client.batch(
            group.map((r) => ({
              query: insertHistory,
              params: [r.profileId, r.watchedAt, r.titleId, r.seriesId, r.contentType],
            })),
            { ...idempotent, logged: false },
          ),
        ),
      );
    },
    async listHistory(profileId, { limit, cursor }) {
      if (cursor !== undefined && !/^(?:[0-9a-f]{2}){1,1024}$/.test(cursor))
        throw new RangeError('invalid history cursor');
      let rs: cassandra.types.ResultSet;
      try {
        rs = await client.execute(
          `SELECT profile_id, watched_at, title_id, series_id, content_type FROM ${H} WHERE profile_id = ?`,
          [profileId],
          { ...idempotent, fetchSize: limit, ...(cursor ? { pageState: cursor } : {}) },
        );
      } catch (err) {
        // A paging state that Cassandra cannot decode is the client's mistake, not ours: Invalid
        // (0x2200), or a protocol error (0x000A, "Invalid value for the paging state") for hex
        // that is no paging state at all.
        const code = (err as { code?: number }).code;
        if (cursor && (code === 0x2200 || code === 0x000a)) throw new RangeError('invalid history cursor');
        throw err;
      }
      return { items: rs.rows.map(toHistory), nextCursor: rs.pageState ?? null };
    },
    async ping() {
      await client.execute('SELECT release_version FROM system.local');
    },
    async close() {
      await client.shutdown();
    },
  };
}
