import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, appendFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import cassandra from 'cassandra-driver';
import postgres from 'postgres';
import { describe, expect, inject, it } from 'vitest';
import { ARTWORK_RENDERER_VERSION } from '../../core/artwork.ts';
import { cassandraClient, migrateCassandra, nativePortOf } from '../src/db/cassandra.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { MIGRATIONS_DIR, migratePostgres } from '../src/db/postgres.ts';
import { cassandraProgressStore } from '../src/stores/cassandra-progress.ts';
import { freshDatabase, freshKeyspace } from './support/stack.ts';

/** Migration names in a folder, as the runners report them. */
async function migrationsIn(dir: string, ext: '.sql' | '.cql'): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(ext)).sort();
  return ext === '.sql' ? files.map((f) => f.slice(0, -ext.length)) : files;
}

async function artworkRendererVersion(url: string): Promise<number | undefined> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return (await sql<{ version: number }[]>`SELECT version FROM artwork_renderer`)[0]?.version;
  } finally {
    await sql.end();
  }
}

async function tables(url: string, schema: string): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ table_name: string }[]>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = ${schema} ORDER BY table_name`;
    return rows.map((r) => r.table_name);
  } finally {
    await sql.end();
  }
}

describe('PostgreSQL migrations', () => {
  it('apply to an empty database, then apply nothing the second time, recording the artwork renderer', async () => {
    const db = await freshDatabase(inject('stack').DATABASE_URL, 'migrate');
    try {
      expect(await migratePostgres(db.url, { embedded: false })).toEqual(
        await migrationsIn(MIGRATIONS_DIR.postgres, '.sql'),
      );
      expect(await migratePostgres(db.url, { embedded: false })).toEqual([]);
      expect(await tables(db.url, 'public')).toEqual(
        expect.arrayContaining([
          'titles',
          'seasons',
          'encodings',
          'audio_tracks',
          'subtitle_tracks',
          'accounts',
          'profiles',
          'plans',
        ]),
      );
      expect(await tables(db.url, 'embedded')).toEqual([]);
      // An empty catalog is at every renderer version: the seed's URLs need no refresh afterwards.
      expect(await artworkRendererVersion(db.url)).toBe(ARTWORK_RENDERER_VERSION);
    } finally {
      await db.drop();
    }
  });

  it('run the same on the embedded PGlite store, with its stand-in tables', async () => {
    const pg = await startEmbeddedPostgres(null, 0);
    try {
      expect(await migratePostgres(pg.url, { embedded: true })).toEqual([
        ...(await migrationsIn(MIGRATIONS_DIR.postgres, '.sql')),
        ...(await migrationsIn(MIGRATIONS_DIR.embedded, '.sql')),
      ]);
      expect(await migratePostgres(pg.url, { embedded: true })).toEqual([]);
      expect(await artworkRendererVersion(pg.url)).toBe(ARTWORK_RENDERER_VERSION);
      expect(await tables(pg.url, 'embedded')).toEqual([
        'consumer_offsets',
        'continue_watching_hidden',
        'events',
        'viewing_progress',
        'watch_history',
      ]);
    } finally {
      await pg.stop();
    }
  });
});

describe('Cassandra migrations', () => {
  it('create the keyspace with the configured replication, apply once, and record what they applied', async () => {
    const ks = freshKeyspace(inject('stack'), 'migrate');
    const port = nativePortOf(ks.contactPoints);
    const client = new cassandra.Client({
      contactPoints: ks.contactPoints,
      localDataCenter: ks.localDataCenter,
      ...(port !== undefined ? { protocolOptions: { port } } : {}),
    });
    try {
      const files = await migrationsIn(MIGRATIONS_DIR.cassandra, '.cql');
      expect((await migrateCassandra(ks, MIGRATIONS_DIR.cassandra)).applied).toEqual(files);
      const again = await migrateCassandra(ks, MIGRATIONS_DIR.cassandra);
      expect(again).toEqual({ applied: [], skipped: files });
      const keyspace = await client.execute('SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?', [
        ks.keyspace,
      ]);
      // The stack's: SimpleStrategy RF 1 on the single node, datacenter1=3 on the cluster.
      const { class: strategy, ...factors } = ks.replication;
      expect(keyspace.first()?.['replication']).toMatchObject({
        class: `org.apache.cassandra.locator.${String(strategy)}`,
        ...Object.fromEntries(Object.entries(factors).map(([key, value]) => [key, String(value)])),
      });
      const ttls = await client.execute(
        'SELECT table_name, default_time_to_live FROM system_schema.tables WHERE keyspace_name = ?',
        [ks.keyspace],
      );
      // Rows expire as the design says: progress after 90 days, history after a year.
      expect(Object.fromEntries(ttls.rows.map((r) => [r['table_name'], r['default_time_to_live']]))).toMatchObject({
        viewing_progress: 90 * 24 * 3600,
        watch_history: 365 * 24 * 3600,
      });
      const created = await client.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?', [
        ks.keyspace,
      ]);
      expect(created.rows.map((r) => r['table_name']).sort()).toEqual([
        'continue_watching_hidden',
        'schema_migrations',
        'viewing_progress',
        'watch_history',
      ]);
    } finally {
      await client.shutdown();
      await ks.drop();
    }
  });

  it('copy hidden items into the progress partition, keeping when each was hidden and its write time', async () => {
    const ks = freshKeyspace(inject('stack'), 'migrate_hidden');
    const dir = await mkdtemp(path.join(tmpdir(), 'cql-'));
    const client = cassandraClient(ks);
    try {
      // A keyspace as it was before 0003, with items hidden the old way.
      for (const file of ['0001_viewing.cql', '0002_progress_tie_and_hidden.cql'])
        await cp(path.join(MIGRATIONS_DIR.cassandra, file), path.join(dir, file));
      await migrateCassandra(ks, dir);
      await client.connect();
      const profileId = randomUUID();
      const [movie, series] = [randomUUID(), randomUUID()];
      const at = (iso: string) => new Date(iso);
      for (const [item, when] of [
        [movie, '2026-11-01T12:00:00Z'],
        [series, '2026-11-01T13:00:00Z'],
      ] as const) {
        await client.execute(
          'INSERT INTO continue_watching_hidden (profile_id, item_id, hidden_at) VALUES (?, ?, ?) USING TIMESTAMP ?',
          [profileId, item, at(when), BigInt(at(when).getTime()) * 1000n],
          { prepare: true },
        );
      }
      await migrateCassandra(ks, MIGRATIONS_DIR.cassandra);
      const progress = cassandraProgressStore(client);
      const hidden = new Map([
        [movie, at('2026-11-01T12:00:00Z')],
        [series, at('2026-11-01T13:00:00Z')],
      ]);
      expect(await progress.hiddenItems(profileId)).toEqual(hidden);
      // The copy kept each write time: hiding again as of an earlier moment changes nothing.
      await progress.hide(profileId, movie, at('2026-11-01T11:00:00Z'));
      expect(await progress.hiddenItems(profileId)).toEqual(hidden);
      // And its remaining lifetime: the item expires when its old row would have.
      const [row] = (
        await client.execute(`SELECT TTL(hidden[${movie}]) AS ttl FROM viewing_progress WHERE profile_id = ?`, [
          profileId,
        ])
      ).rows;
      expect(Number(row?.['ttl'])).toBeGreaterThan(90 * 24 * 3600 - 600);
      expect(Number(row?.['ttl'])).toBeLessThanOrEqual(90 * 24 * 3600);
    } finally {
      await client.shutdown();
      await rm(dir, { recursive: true, force: true });
      await ks.drop();
    }
  });

  it('refuse to run when an applied file was edited afterwards', async () => {
    const ks = freshKeyspace(inject('stack'), 'migrate_edit');
    const dir = await mkdtemp(path.join(tmpdir(), 'cql-'));
    try {
      await cp(MIGRATIONS_DIR.cassandra, dir, { recursive: true });
      await migrateCassandra(ks, dir);
      await appendFile(path.join(dir, '0001_viewing.cql'), '\n-- edited\n');
      await expect(migrateCassandra(ks, dir)).rejects.toThrow(/0001_viewing\.cql was changed/);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await ks.drop();
    }
  });
});
