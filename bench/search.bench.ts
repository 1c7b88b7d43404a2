/**
 * Search: relevance on the labelled queries (recall@3, MRR) over the catalog they were labelled on
 * (the demo 300), then GET /v1/search at the origin (service credential, in-process app) beside
 * the store's SQL alone, on the real stack, over BENCH_SEARCH_TITLES titles (default 300; `15000`
 * is `--size full`: the seed only adds titles, so the labelled ones stay as they were).
 */
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import type { SearchPage } from '../core/search.ts';
import { seedDatabase } from '../origin/src/seed/write.ts';
import { postgresSearchStore } from '../origin/src/stores/postgres-search.ts';
import { asEdge } from '../origin/test/support/as-edge.ts';
import { realStackOrigin } from '../origin/test/support/origin.ts';
import { labelled, rankOf } from '../origin/test/support/search-labels.ts';
import { compare, type BenchRow } from './harness.ts';

const enc = (q: string) =>
  encodeURIComponent(q).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export default async function run(log: (line: string) => void): Promise<BenchRow[]> {
  const titles = Number(process.env['BENCH_SEARCH_TITLES'] ?? 300);
  const real = await realStackOrigin('bench_search');
  const sql = postgres(real.databaseUrl, { max: 4, onnotice: () => {} });
  try {
    log(`search: seeding ${labelled.catalogTitles} titles`);
    await seedDatabase(sql, { titles: labelled.catalogTitles, accounts: false });
    const viaOrigin = async (q: string, limit = 10): Promise<SearchPage> => {
      const res = await asEdge(real.origin, real.keys.serviceSecret, {
        path: `/v1/search?q=${enc(q)}&limit=${limit}`,
        sub: randomUUID(),
        pid: randomUUID(),
        mat: 50,
      });
      if (res.status !== 200) throw new Error(`search answered ${res.status}`);
      return (await res.json()) as SearchPage;
    };
    let found = 0;
    let reciprocal = 0;
    for (const label of labelled.queries) {
      const rank = rankOf((await viaOrigin(label.query)).items, label);
      if (rank >= 1 && rank <= 3) found++;
      if (rank >= 1) reciprocal += 1 / rank;
    }
    const n = labelled.queries.length;
    const quality = { 'recall@3': Number((found / n).toFixed(3)), MRR: Number((reciprocal / n).toFixed(3)) };
    log(`search: recall@3 ${quality['recall@3']} (goal 0.95), MRR ${quality.MRR} over ${n} queries`);
    if (titles > labelled.catalogTitles) {
      log(`search: seeding up to ${titles} titles`);
      await seedDatabase(sql, { titles, accounts: false });
    }
    const store = postgresSearchStore(sql);
    let i = 0;
    let j = 0;
    const row = await compare(
      `origin GET /v1/search, ${titles} titles`,
      {
        name: 'GET /v1/search (credential, validation, SQL)',
        op: () => viaOrigin(labelled.queries[i++ % n]!.query, 20),
      },
      {
        name: 'the search SQL alone (postgres.js)',
        op: () => store.search({ q: labelled.queries[j++ % n]!.query, limit: 20, maxMaturityLevel: 50 }),
      },
      { concurrency: 4, durationMs: 5000, warmupMs: 1000 },
    );
    log(`search: origin p99 ${row.oursResult.p99Ms} ms (goal < 50 ms), SQL p99 ${row.ceilingResult.p99Ms} ms`);
    return [{ ...row, quality }];
  } finally {
    await sql.end();
    await real.stop();
  }
}
