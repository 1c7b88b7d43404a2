import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';
import { runner } from 'node-pg-migrate';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../auth/passwords.ts';
import { serveWire, type WireServer } from '../db/embedded-wire.ts';
import { DEMO_CREDENTIALS, demoAccountId } from './accounts.ts';
import { generateCatalog } from './catalog.ts';
import { chunkSizes, seedDatabase } from './write.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/postgres', import.meta.url));

describe('chunkSizes', () => {
  it('covers every row with full chunks then power-of-two remainders', () => {
    expect(chunkSizes(0, 1024)).toEqual([]);
    expect(chunkSizes(2500, 1024)).toEqual([1024, 1024, 256, 128, 64, 4]);
    for (const n of [1, 7, 1023, 1024, 1025, 9999]) {
      const sizes = chunkSizes(n, 512);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(512);
    }
  });
});

describe('seedDatabase against PGlite over the embedded wire server', () => {
  let db: PGlite;
  let server: WireServer;
  let sql: postgres.Sql;
  let url: string;

  beforeAll(async () => {
    db = await PGlite.create({ extensions: { pg_trgm, unaccent } });
    server = await serveWire(db, { host: '127.0.0.1', port: 0, maxConnections: 4 });
    url = `postgres://postgres@${server.address}/postgres`;
    await runner({
      databaseUrl: url,
      dir: MIGRATIONS_DIR,
      direction: 'up',
      migrationsTable: 'pgmigrations',
      log: () => {},
    });
    sql = postgres(url, { max: 1, onnotice: () => {} });
  }, 60_000);

  afterAll(async () => {
    await sql?.end({ timeout: 1 });
    await server?.stop();
    await db?.close();
  });

  const tableCounts = async (): Promise<Record<string, number>> => {
    const [row] = await sql<Record<string, number>[]>`
      SELECT (SELECT count(*)::int FROM titles) AS titles, (SELECT count(*)::int FROM seasons) AS seasons,
             (SELECT count(*)::int FROM encodings) AS encodings, (SELECT count(*)::int FROM audio_tracks) AS audio_tracks,
             (SELECT count(*)::int FROM subtitle_tracks) AS subtitle_tracks, (SELECT count(*)::int FROM artwork) AS artwork,
             (SELECT count(*)::int FROM title_genres) AS title_genres, (SELECT count(*)::int FROM profiles) AS profiles,
             (SELECT count(*)::int FROM title_credits) AS title_credits,
             (SELECT count(*)::int FROM title_keywords) AS title_keywords,
             (SELECT count(*)::int FROM title_original_names) AS title_original_names,
             (SELECT count(*)::int FROM title_search) AS search_documents`;
    return row ?? {};
  };

  it('writes every generated row, then changes nothing when re-run, keeping password hashes', async () => {
    const phases = new Set<string>();
    const first = await seedDatabase(sql, { titles: 40, onProgress: (_d, _t, phase) => phases.add(phase) });
    const expected = generateCatalog({ titles: 40 });
    expect(await tableCounts()).toEqual({
      titles: expected.titles.length,
      seasons: expected.seasons.length,
      encodings: expected.encodings.length,
      audio_tracks: expected.audio_tracks.length,
      subtitle_tracks: expected.subtitle_tracks.length,
      artwork: expected.artwork.length,
      title_genres: expected.title_genres.length,
      profiles: 7,
      title_credits: expected.title_credits.length,
      title_keywords: expected.title_keywords.length,
      title_original_names: expected.title_original_names.length,
      search_documents: expected.titles.filter((t) => t.type !== 'episode').length,
    });
    expect(first.changed.encodings).toBe(expected.encodings.length);
    expect(first.titles).toBe(40);
    expect([...phases]).toEqual(['reference', 'catalog', 'accounts']);

    const hashes = await sql`SELECT email, password_hash FROM accounts ORDER BY email`;
    const again = await seedDatabase(sql, { titles: 40 });
    expect(Object.values(again.changed).every((n) => n === 0)).toBe(true);
    expect(await sql`SELECT email, password_hash FROM accounts ORDER BY email`).toEqual(hashes);
  }, 60_000);

  it('re-inserts only rows that went missing (ON CONFLICT DO NOTHING path)', async () => {
    await sql`DELETE FROM encodings WHERE id IN (SELECT id FROM encodings ORDER BY id LIMIT 7)`;
    const result = await seedDatabase(sql, { titles: 40, accounts: false });
    expect(result.changed.encodings).toBe(7);
    expect(result.changed.titles).toBe(0);
  }, 60_000);

  it('only adds the new titles when the catalog grows', async () => {
    const before = await tableCounts();
    const grown = await seedDatabase(sql, { titles: 60 });
    const expected = generateCatalog({ titles: 60 });
    expect(grown.changed.titles).toBe(expected.titles.length - (before.titles ?? 0));
    expect((await tableCounts()).encodings).toBe(expected.encodings.length);
  }, 60_000);

  it('creates the demo logins with the documented passwords, plans and profiles', async () => {
    const demo = DEMO_CREDENTIALS.find((c) => c.email === 'demo@edgeflix.test');
    expect(demo).toBeDefined();
    const [account] = await sql<{ id: string; password_hash: string; plan_id: string; country: string }[]>`
      SELECT id, password_hash, plan_id, country FROM accounts WHERE email = 'demo@edgeflix.test'`;
    expect(account).toMatchObject({ id: demoAccountId('demo@edgeflix.test'), plan_id: 'premium', country: 'US' });
    expect(await verifyPassword('edgeflix-demo', account?.password_hash ?? '')).toBe(true);
    const profiles = await sql`
      SELECT name, language, maturity_level, is_kids FROM profiles WHERE account_id = ${account?.id ?? ''}
      ORDER BY created_at, name`;
    expect(profiles.map((p) => ({ ...p }))).toEqual([
      { name: 'Alex', language: 'en', maturity_level: 50, is_kids: false },
      { name: 'Sam', language: 'en', maturity_level: 30, is_kids: false },
      { name: 'Kids', language: 'en', maturity_level: 10, is_kids: true },
      { name: 'Léa', language: 'fr', maturity_level: 50, is_kids: false },
    ]);
    const plans = await sql`SELECT a.email, a.plan_id, a.country, count(p.id)::int AS profiles
      FROM accounts a JOIN profiles p ON p.account_id = a.id GROUP BY a.email, a.plan_id, a.country ORDER BY a.email`;
    expect(plans.map((r) => ({ ...r }))).toEqual([
      { email: 'basic@edgeflix.test', plan_id: 'basic', country: 'DE', profiles: 1 },
      { email: 'demo@edgeflix.test', plan_id: 'premium', country: 'US', profiles: 4 },
      { email: 'family@edgeflix.test', plan_id: 'standard', country: 'GB', profiles: 2 },
    ]);
  }, 60_000);
});
