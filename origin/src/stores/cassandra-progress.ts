import cassandra from 'cassandra-driver';
import { writeTimestampMicros } from '../../../core/progress.ts';
import { CASSANDRA_TABLES } from './names.ts';
import type { ContentType, HistoryRecord, ProgressRecord, ProgressStore } from './types.ts';
import { packChunks, unlessAllFailed, writeEach, type ChunkLimits } from './write-chunks.ts';

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

/**
 * Multi-partition batches within Cassandra's default warning limits: at most 10 partitions
 * (`unlogged_batch_across_partitions_warn_threshold`) and well under 5 KiB of data
 * (`batch_size_warn_threshold`), as estimated by `rowBytes`.
 */
const PROGRESS_CHUNK_LIMITS: ChunkLimits = { maxGroups: 10, maxBytes: 4 * 1024 };

/**
 * A generous estimate of a row's data in a mutation: two uuids, a nullable uuid, the enum, ints,
 * the timestamp, and each cell's own timestamp and length; the device id as UTF-8.
 */
const rowBytes = (r: ProgressRecord) => 160 + 3 * r.deviceId.length;

const { responseErrorCodes: codes } = cassandra.types;
const UNAVAILABLE_CODES = new Set<number>([
  codes.unavailableException,
  codes.overloaded,
  codes.isBootstrapping,
  codes.writeTimeout,
]);

/** The cluster could not take the write now (no replica, overloaded, timed out): not one partition's fault. */
function isUnavailable(err: unknown): boolean {
  return (
    err instanceof cassandra.errors.NoHostAvailableError ||
    err instanceof cassandra.errors.OperationTimedOutError ||
    (err instanceof cassandra.errors.ResponseError && UNAVAILABLE_CODES.has(err.code))
  );
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
 * tie, so Cassandra's last-write-wins keeps the newest state whatever order writes arrive in.
 * A profile's rows always go in one request (a single-partition unlogged batch is atomic, a single
 * row a plain execute); profiles whose partitions have the same replicas share an unlogged batch
 * (stores/write-chunks.ts), so a flush tick of hundreds of profiles costs tens of requests.
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
  /** Which nodes hold a profile's partition, as one key ('' before the driver knows the ring). */
  const replicaKey = (profileId: string): string => {
    const hosts = client.keyspace
      ? client.getReplicas(client.keyspace, cassandra.types.Uuid.fromString(profileId).getBuffer())
      : null;
    return hosts
      ? hosts
          .map((h) => h.address)
          .sort()
          .join(',')
      : '';
  };
  /** One request for some profiles' rows: a plain execute for one row, else an unlogged batch. */
  const writeRows = async (rows: readonly ProgressRecord[]): Promise<void> => {
    await (rows.length === 1
      ? client.execute(insert, params(rows[0]!), idempotent)
      : client.batch(
          rows.map((r) => ({ query: insert, params: params(r) })),
          { ...idempotent, logged: false },
        ));
  };
  /** Each group (one profile's records) written, in as few requests as the replicas allow. */
  const upsertGroups = async (groups: readonly (readonly ProgressRecord[])[]) => {
    const live = groups.map((g, i) => ({ g, i })).filter(({ g }) => g.length > 0);
    const chunks = packChunks(
      live.map(({ g }) => replicaKey(g[0]!.profileId)),
      live.map(({ g }) => g.reduce((n, r) => n + rowBytes(r), 0)),
      PROGRESS_CHUNK_LIMITS,
    );
    const written = await writeEach(
      live.length,
      chunks,
      (chunk) => writeRows(chunk.flatMap((k) => live[k]!.g)),
      isUnavailable,
    );
    const outcomes: PromiseSettledResult<void>[] = groups.map(() => ({ status: 'fulfilled', value: undefined }));
    live.forEach(({ i }, k) => (outcomes[i] = written[k]!));
    return outcomes;
  };
  return {
    async upsert(records) {
      const outcomes = await upsertGroups(groupByProfile(records));
      const failed = outcomes.find((o) => o.status === 'rejected');
      if (failed) throw failed.reason;
    },
    upsertEach: async (groups) => unlessAllFailed(await upsertGroups(groups)),
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
