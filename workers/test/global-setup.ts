import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { refreshSearchDocuments } from '../../origin/src/seed/write.ts';
import { listen, realStackOrigin } from '../../origin/test/support/origin.ts';
import { insertPlaybackFixtures } from '../../origin/test/support/playback.ts';
import { insertProtectedFixtures } from '../../origin/test/support/protected.ts';
import { startChaosProxy } from './chaos-proxy.ts';

/**
 * Starts a real origin (real PostgreSQL, Cassandra, Kafka) for the edge tests to call, behind a
 * chaos proxy that passes everything through until a test arms a failure.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Edge tests age the isolate's caches by moving its clock (vi.setSystemTime) up to a few minutes
  // ahead; the origin's clock stays put, so it must accept credentials minted that far ahead.
  const real = await realStackOrigin('edge', { serviceClockToleranceS: 600 });
  const { keys, databaseUrl } = real;
  const server = await listen(real.origin.app);
  const chaos = await startChaosProxy(server.url);
  project.provide('edge', {
    originUrl: chaos.url,
    directOriginUrl: server.url,
    chaosControlUrl: `${chaos.url}/__chaos`,
    publicJwks: JSON.stringify(keys.publicJwks),
    serviceSecret: keys.serviceSecret,
    operatorKey: keys.operatorKey,
    signingJwk: JSON.stringify(keys.signingJwk),
    foreignSigningJwk: JSON.stringify(keys.foreignSigningJwk),
    titles: JSON.stringify(await seededTitles(databaseUrl)),
    playback: JSON.stringify(await insertPlaybackFixtures(databaseUrl)),
    protectedPlayback: JSON.stringify(await insertProtectedFixtures(databaseUrl, keys.contentKeyKek)),
    segmentKeys: keys.segmentSigningKeys,
  });
  // The fixtures above were written after the seed built the search documents.
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  await refreshSearchDocuments(sql).finally(() => sql.end());
  return async () => {
    await chaos.close();
    await server.close();
    await real.stop();
  };
}

/** The seeded catalog as the tests need it: which ids are playable and at what maturity level. */
async function seededTitles(url: string) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<
      {
        id: string;
        type: 'movie' | 'episode' | 'series';
        seriesId: string | null;
        durationSeconds: number | null;
        maturityLevel: number;
      }[]
    >`
      SELECT t.id, t.type, t.series_id AS "seriesId", t.duration_seconds AS "durationSeconds",
             r.level AS "maturityLevel"
      FROM titles t JOIN maturity_ratings r ON r.code = t.maturity_rating
      ORDER BY t.type, t.id`;
    return rows.map((row) => ({ ...row }));
  } finally {
    await sql.end();
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    edge: {
      originUrl: string;
      directOriginUrl: string;
      chaosControlUrl: string;
      publicJwks: string;
      serviceSecret: string;
      operatorKey: string;
      signingJwk: string;
      foreignSigningJwk: string;
      titles: string;
      playback: string;
      protectedPlayback: string;
      segmentKeys: string;
    };
  }
}
