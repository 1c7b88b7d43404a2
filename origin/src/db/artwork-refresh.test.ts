import { runner } from 'node-pg-migrate';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTWORK_RENDERER_VERSION, artworkUrl } from '../../../core/artwork.ts';
import { generateCatalog } from '../seed/catalog.ts';
import { seedDatabase } from '../seed/write.ts';
import { refreshArtworkUrls } from './artwork-refresh.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.ts';
import { MIGRATIONS_DIR } from './postgres.ts';
import { PG_MIGRATIONS_TABLE } from '../stores/names.ts';

const TITLES = 25;
const catalog = generateCatalog({ titles: TITLES });
/** What the seed writes: every artwork row's URL from the current renderer. */
const current = new Map(catalog.artwork.map((a) => [a.id, a.url]));

/** The URLs renderer 1 gave the seed's rows, derived here from the generated rows themselves. */
function renderer1Urls(): Map<string, string> {
  const titles = new Map(catalog.titles.map((t) => [t.id, t]));
  const genres = new Map<string, string[]>();
  for (const g of catalog.title_genres) genres.set(g.title_id, [...(genres.get(g.title_id) ?? []), g.genre_id]);
  return new Map(
    catalog.artwork.map((a) => {
      const title = titles.get(a.title_id)!;
      const inputs = { titleId: a.title_id, kind: a.kind, variant: a.variant, name: title.name };
      return [a.id, artworkUrl({ ...inputs, genres: genres.get(title.series_id ?? title.id) ?? [] }, 1)];
    }),
  );
}

describe('artwork URLs after a renderer bump, against PGlite', () => {
  let pg: EmbeddedPostgres;
  let sql: postgres.Sql;

  beforeAll(async () => {
    pg = await startEmbeddedPostgres(null, 0);
    // The runner alone (not migratePostgres, which would record the version itself).
    await runner({
      databaseUrl: pg.url,
      dir: MIGRATIONS_DIR.postgres,
      direction: 'up',
      migrationsTable: PG_MIGRATIONS_TABLE,
      log: () => {},
    });
    sql = postgres(pg.url, { max: 1, onnotice: () => {} });
  }, 60_000);

  afterAll(async () => {
    await sql?.end({ timeout: 1 });
    await pg?.stop();
  });

  const storedUrls = async (): Promise<Map<string, string>> =>
    new Map((await sql<{ id: string; url: string }[]>`SELECT id, url FROM artwork`).map((r) => [r.id, r.url]));
  const storedVersion = async (): Promise<number> =>
    (await sql<{ version: number }[]>`SELECT version FROM artwork_renderer`)[0]!.version;

  /** The catalog as a seed from before the bump left it: renderer 1's URLs, version 1 recorded. */
  const asSeededByRenderer1 = async (): Promise<void> => {
    const old = renderer1Urls();
    await sql`
      UPDATE artwork a SET url = v.url
      FROM unnest(${sql.array([...old.keys()])}::uuid[], ${sql.array([...old.values()])}::text[]) AS v(id, url)
      WHERE a.id = v.id`;
    await sql`UPDATE artwork_renderer SET version = 1`;
    const stored = await storedUrls();
    expect([...stored].filter(([id, url]) => current.get(id) === url)).toEqual([]);
  };

  it('a fresh catalog is seeded with the current renderer version recorded beside its URLs', async () => {
    expect(await storedVersion()).toBe(0);
    await seedDatabase(sql, { titles: TITLES, accounts: false });
    expect(await storedVersion()).toBe(ARTWORK_RENDERER_VERSION);
    expect(await storedUrls()).toEqual(current);
  });

  it('re-derives every URL renderer 1 stored, batch by batch in one transaction, and a second run changes nothing', async () => {
    await asSeededByRenderer1();
    expect(await refreshArtworkUrls(sql, { batchRows: 7 })).toEqual({
      from: 1,
      to: ARTWORK_RENDERER_VERSION,
      updated: catalog.artwork.length,
    });
    expect(await storedUrls()).toEqual(current);
    expect(await storedVersion()).toBe(ARTWORK_RENDERER_VERSION);

    expect(await refreshArtworkUrls(sql)).toEqual({
      from: ARTWORK_RENDERER_VERSION,
      to: ARTWORK_RENDERER_VERSION,
      updated: 0,
    });
    expect(await storedUrls()).toEqual(current);
  });

  it('runs once when two origins start at once: the second finds the work done', async () => {
    await asSeededByRenderer1();
    const other = postgres(pg.url, { max: 1, onnotice: () => {} });
    try {
      const runs = await Promise.all([refreshArtworkUrls(sql), refreshArtworkUrls(other)]);
      expect(runs.map((r) => r.updated).sort((a, b) => a - b)).toEqual([0, catalog.artwork.length]);
    } finally {
      await other.end({ timeout: 1 });
    }
    expect(await storedUrls()).toEqual(current);
  });

  it('a re-seed over renderer 1 URLs (migrations skipped) brings the rows it keeps to the current renderer', async () => {
    await asSeededByRenderer1();
    const result = await seedDatabase(sql, { titles: TITLES, accounts: false });
    expect(result.changed.artwork).toBe(catalog.artwork.length);
    expect(await storedUrls()).toEqual(current);
    expect(await storedVersion()).toBe(ARTWORK_RENDERER_VERSION);
  });

  it('keeps URLs of another shape and never takes a newer renderer version back', async () => {
    const [fixture, other] = catalog.artwork;
    await sql`UPDATE artwork SET url = '/artwork/fixture-series/poster.jpg' WHERE id = ${fixture!.id}`;
    await sql`UPDATE artwork SET url = ${renderer1Urls().get(other!.id)!} WHERE id = ${other!.id}`;
    await sql`UPDATE artwork_renderer SET version = 0`;
    expect((await refreshArtworkUrls(sql)).updated).toBe(1);
    const stored = await storedUrls();
    expect(stored.get(fixture!.id)).toBe('/artwork/fixture-series/poster.jpg');
    expect(stored.get(other!.id)).toBe(other!.url);

    await sql`UPDATE artwork_renderer SET version = ${ARTWORK_RENDERER_VERSION + 1}`;
    await sql`UPDATE artwork SET url = ${renderer1Urls().get(other!.id)!} WHERE id = ${other!.id}`;
    expect(await refreshArtworkUrls(sql)).toEqual({
      from: ARTWORK_RENDERER_VERSION + 1,
      to: ARTWORK_RENDERER_VERSION + 1,
      updated: 0,
    });
    expect((await storedUrls()).get(other!.id)).toBe(renderer1Urls().get(other!.id));
  });
});
