import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchHit, SearchPage } from '../../core/search.ts';
import { seedDatabase } from '../src/seed/write.ts';
import { asEdge } from './support/as-edge.ts';
import type { TestKeys } from './support/keys.ts';
import { realStackOrigin, type TestOrigin } from './support/origin.ts';

interface Labelled {
  catalogTitles: number;
  queries: { query: string; expect: string; kind: string }[];
}
const labelled = JSON.parse(readFileSync(new URL('./search-queries.json', import.meta.url), 'utf8')) as Labelled;

let keys: TestKeys;
let origin: TestOrigin;
let sql: postgres.Sql;
const cleanup: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const real = await realStackOrigin('search');
  ({ origin, keys } = real);
  sql = postgres(real.databaseUrl, { max: 1, onnotice: () => {} });
  cleanup.push(
    () => sql.end(),
    () => real.stop(),
  );
  await seedDatabase(sql, { titles: labelled.catalogTitles, accounts: false });
}, 240_000);

afterAll(async () => {
  for (const step of cleanup) await step();
});

/** Every reserved character percent-encoded, so the path the credential names is the path the server sees. */
const enc = (q: string) =>
  encodeURIComponent(q).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const search = (query: string, mat = 50) =>
  asEdge(origin, keys.serviceSecret, { path: `/v1/search?${query}`, sub: randomUUID(), pid: randomUUID(), mat });

async function hits(q: string, mat = 50, limit = 10): Promise<SearchHit[]> {
  const res = await search(`q=${enc(q)}&limit=${limit}`, mat);
  expect(res.status).toBe(200);
  return ((await res.json()) as SearchPage).items;
}

describe('GET /v1/search relevance', () => {
  it('finds the labelled title among the first three results for at least 95% of the labelled queries', async () => {
    let found = 0;
    const misses: string[] = [];
    for (const { query, expect: name } of labelled.queries) {
      const top = (await hits(query, 50, 3)).map((h) => h.name);
      if (top.includes(name)) found++;
      else misses.push(`${query} → ${name} (got ${top.join(' | ')})`);
    }
    expect(labelled.queries.length).toBeGreaterThanOrEqual(50);
    expect(found / labelled.queries.length, misses.join('\n')).toBeGreaterThanOrEqual(0.95);
  }, 120_000);

  it('forgives typos, missing accents and unfinished words', async () => {
    expect((await hits('mighty detectivs'))[0]?.name).toBe('Mighty Detectives');
    expect((await hits('bogota garden'))[0]?.name).toBe('Bogotá Garden');
    expect((await hits('the last strik'))[0]?.name).toBe('The Last Strike');
    expect((await hits('MIGHTY DETECTIVES'))[0]?.name).toBe('Mighty Detectives');
  });

  it('answers an episode match with its series and names the episode', async () => {
    const episode = labelled.queries.find((q) => q.kind === 'episode')!;
    const hit = (await hits(episode.query, 50, 3)).find((h) => h.name === episode.expect);
    expect(hit?.type).toBe('series');
    expect(hit?.matchedEpisode?.name.toLowerCase()).toBe(episode.query);
  });
});

describe('GET /v1/search maturity', () => {
  it('never finds a title above the profile maturity level, whatever the query', async () => {
    const words = ['the', 'last', 'mighty', 'blood', 'garden', 'horror', 'kiss', 'jose', 'murder', 'otter', 'dark'];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom(...words), fc.string({ minLength: 1, maxLength: 12 })),
        fc.constantFrom(0, 10, 20, 30, 40),
        async (q, mat) => {
          if (q.trim() === '' || q.includes('\0')) return;
          const res = await search(`q=${enc(q)}&limit=50`, mat);
          expect(res.status).toBe(200);
          const page = (await res.json()) as SearchPage;
          expect(page.items.every((h) => h.maturityLevel <= mat)).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);

  it('finds the same title for an adult and not at all for a kids profile when it is rated above kids', async () => {
    const [adult] = await sql<{ name: string }[]>`
      SELECT t.name FROM titles t JOIN maturity_ratings r ON r.code = t.maturity_rating
      WHERE t.type <> 'episode' AND r.level >= 40 ORDER BY t.popularity DESC LIMIT 1`;
    expect((await hits(adult!.name, 50, 3)).map((h) => h.name)).toContain(adult!.name);
    expect((await hits(adult!.name, 10, 50)).map((h) => h.name)).not.toContain(adult!.name);
  });
});

describe('GET /v1/search paging', () => {
  it('pages through a broad query without repeating a title, and refuses a cursor of another query', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await search(`q=the&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as SearchPage;
      seen.push(...page.items.map((h) => h.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBeGreaterThan(1);
    expect(new Set(seen).size).toBe(seen.length);

    const first = (await (await search('q=the&limit=2')).json()) as SearchPage;
    const other = await search(`q=garden&limit=2&cursor=${first.nextCursor}`);
    expect(other.status).toBe(400);
  });
});

describe('GET /v1/search hostile input', () => {
  const refused = ['', '   ', 'a'.repeat(201), 'abc\0def'];
  const answered = [
    '!!!',
    '%_%',
    "'; DROP TABLE titles; --",
    'x) OR 1=1 --',
    '😀🎬',
    '"\\',
    'a'.repeat(200),
    '&|!:*()',
    // The most words and trigrams a query may carry: answered within the search's own timeout.
    'ab '.repeat(66),
    'harbor quiet lighthouse keeper message ocean storm night '.repeat(4).slice(0, 200),
  ];

  it('answers 400 problem+json for an empty, too long or NUL query', async () => {
    for (const q of refused) {
      const res = await search(`q=${enc(q)}`);
      expect(res.status, JSON.stringify(q)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await search('limit=5')).status).toBe(400);
  });

  it('answers 200 for punctuation, SQL-like text and emoji, and the catalog is intact', async () => {
    for (const q of answered) {
      const res = await search(`q=${enc(q)}`);
      expect(res.status, JSON.stringify(q)).toBe(200);
    }
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM titles`;
    expect(row!.n).toBeGreaterThan(0);
  });
});
