import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchHit, SearchPage } from '../../core/search.ts';
import { seedDatabase } from '../src/seed/write.ts';
import { asEdge } from './support/as-edge.ts';
import type { TestKeys } from './support/keys.ts';
import { labelled, rankOf } from './support/search-labels.ts';
import { realStackOrigin, type TestOrigin } from './support/origin.ts';

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
    for (const label of labelled.queries) {
      const top = await hits(label.query, 50, 3);
      if (rankOf(top, label) > 0) found++;
      else misses.push(`${label.query} → ${JSON.stringify(label)} (got ${top.map((h) => h.name).join(' | ')})`);
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
    const hit = (await hits(episode.query, 50, 3)).find((h) => rankOf([h], episode) === 1);
    expect(hit?.type).toBe('series');
    expect(hit?.matchedEpisode?.name.toLowerCase()).toBe(episode.query);
  });
});

describe('GET /v1/search maturity', () => {
  it('never finds a title above the profile maturity level, whatever the query, nor a trace of one in the page', async () => {
    const words = ['the', 'last', 'mighty', 'blood', 'garden', 'horror', 'kiss', 'jose', 'murder', 'otter', 'dark'];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom(...words),
          fc.string({ minLength: 1, maxLength: 12 }),
          fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }),
        ),
        fc.constantFrom(0, 10, 20, 30, 40),
        fc.integer({ min: 1, max: 50 }),
        async (q, mat, limit) => {
          if (q.trim() === '' || q.includes('\0') || /\p{Cs}/u.test(q)) return;
          const res = await search(`q=${enc(q)}&limit=${limit}`, mat);
          expect(res.status).toBe(200);
          const page = (await res.json()) as SearchPage;
          expect(page.items.every((h) => h.maturityLevel <= mat)).toBe(true);
          // Hidden titles take no room: a short page is the last one, and nothing counts them.
          if (page.items.length < limit) expect(page.nextCursor).toBeNull();
          expect(Object.keys(page).sort()).toEqual(['items', 'nextCursor']);
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
  it('pages through a broad query without repeating or skipping a title, and refuses a cursor of another query', async () => {
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
    } while (cursor && pages < 7);
    expect(pages).toBeGreaterThan(1);
    expect(new Set(seen).size).toBe(seen.length);
    // The pages laid end to end are the one long page: no gap between two of them.
    const whole = (await (await search(`q=the&limit=${seen.length}`)).json()) as SearchPage;
    expect(whole.items.map((h) => h.id)).toEqual(seen);

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
    // Letters that unaccent folds into full-text syntax (a quote, a colon) and a backslash.
    'ʼŉː \\ it’s',
    '桜の島',
    'Νύχτα',
  ];
  // Not UTF-8 or not a Unicode scalar value once decoded: a lone surrogate in either form.
  const undecodable = ['%ED%A0%80', '%uD800', 'a%F0%9F', '%C0%80', '%FF'];

  it('answers 400 problem+json for an empty, too long or NUL query', async () => {
    for (const q of refused) {
      const res = await search(`q=${enc(q)}`);
      expect(res.status, JSON.stringify(q)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await search('limit=5')).status).toBe(400);
  });

  it('answers 200 for punctuation, SQL-like text, emoji and text folding turns into syntax, 200 or 400 for bytes that are not text, and the catalog is intact', async () => {
    for (const q of answered) {
      const res = await search(`q=${enc(q)}`);
      expect(res.status, JSON.stringify(q)).toBe(200);
    }
    for (const raw of undecodable) {
      const res = await search(`q=${raw}`);
      expect([200, 400], raw).toContain(res.status);
      if (res.status === 400) expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM titles`;
    expect(row!.n).toBeGreaterThan(0);
  });
});
