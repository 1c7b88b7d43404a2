/** Hand-made catalog rows with known shapes, for tests that must not depend on the random seed. */
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';

export interface FixtureTitles {
  /** PG (level 20), 100 minutes. */
  movie: string;
  /** R (level 40), 90 minutes. */
  matureMovie: string;
  series: string;
  /** Season 1 episodes 1–3 of `series` (TV-14, level 30), 25 minutes each. */
  episodes: [string, string, string];
}

export async function insertFixtureTitles(databaseUrl: string): Promise<FixtureTitles> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const t: FixtureTitles = {
    movie: randomUUID(),
    matureMovie: randomUUID(),
    series: randomUUID(),
    episodes: [randomUUID(), randomUUID(), randomUUID()],
  };
  try {
    await sql.begin(async (tx) => {
      await tx`INSERT INTO titles (id, type, name, release_year, maturity_rating, duration_seconds)
               VALUES (${t.movie}, 'movie', 'Fixture Movie', 2024, 'PG', 6000),
                      (${t.matureMovie}, 'movie', 'Fixture Mature Movie', 2024, 'R', 5400)`;
      await tx`INSERT INTO titles (id, type, name, release_year, maturity_rating)
               VALUES (${t.series}, 'series', 'Fixture Series', 2023, 'TV-14')`;
      await tx`INSERT INTO seasons (series_id, season_number, name) VALUES (${t.series}, 1, 'Season 1')`;
      for (const [i, id] of t.episodes.entries()) {
        await tx`INSERT INTO titles (id, type, name, release_year, maturity_rating, duration_seconds, series_id, season_number, episode_number)
                 VALUES (${id}, 'episode', ${`Episode ${i + 1}`}, 2023, 'TV-14', 1500, ${t.series}, 1, ${i + 1})`;
      }
      await tx`INSERT INTO title_genres (title_id, genre_id)
               SELECT x.id, g.id FROM (VALUES (${t.movie}::uuid), (${t.series}::uuid)) AS x(id),
                 (SELECT id FROM genres ORDER BY id LIMIT 2) AS g`;
      await tx`INSERT INTO artwork (id, title_id, kind, url, width, height)
               VALUES (${randomUUID()}, ${t.series}, 'poster', '/artwork/fixture-series/poster.jpg', 600, 900)`;
    });
  } finally {
    await sql.end();
  }
  return t;
}
