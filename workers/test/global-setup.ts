import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { makeTestKeys } from '../../origin/test/support/keys.ts';
import { createTestOrigin, listen } from '../../origin/test/support/origin.ts';
import { insertPlaybackFixtures } from '../../origin/test/support/playback.ts';
import { freshDatabase, freshKeyspace, requireStack } from '../../origin/test/support/stack.ts';
import { startChaosProxy } from './chaos-proxy.ts';

/**
 * Starts a real origin (real PostgreSQL, Cassandra, Kafka) for the edge tests to call, behind a
 * chaos proxy that passes everything through until a test arms a failure.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = await requireStack();
  const keys = await makeTestKeys();
  const db = await freshDatabase(stack.DATABASE_URL, 'edge');
  const ks = freshKeyspace(stack, 'edge');
  const origin = await createTestOrigin({
    mode: 'real',
    keys,
    databaseUrl: db.url,
    cassandra: {
      contactPoints: stack.CASSANDRA_CONTACT_POINTS,
      localDc: stack.CASSANDRA_LOCAL_DC,
      keyspace: ks.keyspace,
    },
    kafkaBrokers: stack.KAFKA_BROKERS,
  });
  const server = await listen(origin.app);
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
    titles: JSON.stringify(await seededTitles(db.url)),
    playback: JSON.stringify(await insertPlaybackFixtures(db.url)),
    segmentKeys: keys.segmentSigningKeys,
  });
  return async () => {
    await chaos.close();
    await server.close();
    await origin.stop();
    await db.drop();
    await ks.drop();
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
      segmentKeys: string;
    };
  }
}
